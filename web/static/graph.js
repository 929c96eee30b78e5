// culprit relationship graph: a canvas layout that grows node by node.
// The page gives the root in data-root; each expansion fetches
// /ui/graph.json?id=ID (the server answers only with what the user's TLP
// level lets them see). The new neighbours of a node are placed on
// concentric rings around it (a full circle for the root, a fan facing
// away from its parent otherwise), grouped by type, far enough apart for
// their labels, which are drawn along the radius; a short force
// simulation then only resolves overlaps, its springs keeping the length
// each edge was placed at. Repulsion is computed on a grid of cells, so a
// step stays near linear in the number of nodes, and the simulation runs
// a bounded number of steps, so a graph of a few thousand nodes stays
// responsive.
"use strict";
(function () {
  const box = document.getElementById("graph");
  if (!box) return;
  const canvas = document.getElementById("graph-canvas");
  const status = document.getElementById("graph-status");
  const listEl = document.getElementById("graph-list");
  const ctx = canvas.getContext("2d");
  const colours = { "intrusion-set": "#8e1b54", "threat-actor": "#8e1b54", alias: "#c2185b", malware: "#0f6b4d", tool: "#2e7d32",
    "attack-pattern": "#0b57a4", campaign: "#6b4e00", incident: "#b71c1c", infrastructure: "#5d4037", indicator: "#455a64" };
  const nodes = [], byId = new Map(), edges = [], edgeKeys = new Set();
  let view = { x: 0, y: 0, k: 1 }, alpha = 1, running = false, expanding = 0, fitted = false;
  // Layout constants, in graph units: the distance between neighbours on
  // a ring (room for a label's height twice over), the first ring's
  // radius, the gap between rings and the widest single ring
  // (and, for a fan, the room left for the labels of its parent's rings).
  const spacing = 26, ring0 = 110, ringGap = 70, ringOne = 420, labelRoom = 170, restMin = 70;
  // With this many nodes or more, labels show only when zoomed in.
  const maxLabels = 300;
  window.culpritGraph = { nodes, edges, expand: (id) => expand(id), ready: false };

  function resize() {
    const r = canvas.getBoundingClientRect(), d = window.devicePixelRatio || 1;
    canvas.width = Math.max(1, Math.round(r.width * d)); canvas.height = Math.max(1, Math.round(r.height * d));
    ctx.setTransform(d, 0, 0, d, 0, 0);
    kick();
  }
  function addNode(n, near) {
    if (byId.has(n.id)) return byId.get(n.id);
    const node = Object.assign({ x: near ? near.x : 0, y: near ? near.y : 0, vx: 0, vy: 0, expanded: false, deg: 0, anchor: near }, n);
    // The canvas shows at most 26 characters of a ray's label; hovering
    // shows the whole, and so does the list.
    node.short = n.label.length > 26 ? n.label.slice(0, 25) + "\u2026" : n.label;
    nodes.push(node); byId.set(n.id, node);
    const li = document.createElement("li");
    const b = document.createElement("button");
    b.type = "button"; b.textContent = n.label + " (" + n.type + ", " + n.tlp + ")";
    b.addEventListener("click", () => expand(n.id));
    li.append(b); listEl.append(li); node.li = li;
    return node;
  }
  function addEdge(e) {
    const k = e.source + "|" + e.target + "|" + e.type;
    if (edgeKeys.has(k) || !byId.has(e.source) || !byId.has(e.target)) return;
    edgeKeys.add(k);
    const s = byId.get(e.source), t = byId.get(e.target);
    s.deg++; t.deg++;
    // The spring keeps the length the edge has now (a new node's ring
    // radius), so relaxing the layout does not pull the rings back in.
    const rest = Math.max(restMin, Math.hypot(t.x - s.x, t.y - s.y));
    edges.push({ s, t, type: e.type, rest });
  }
  // place puts fresh nodes on rings around centre, from radius r0 out:
  // over the whole circle, or over a fan of the given span facing dir.
  // Up to a hundred or so take one ring, as wide as they need (a label's
  // ray then crosses no other ring); more fill rings from the inside, each
  // holding as many as fit at the spacing. A ring's nodes share its span
  // evenly. It returns the outermost radius used.
  function place(centre, fresh, dir, span, r0) {
    fresh.sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : a.label.localeCompare(b.label)));
    const one = fresh.length * spacing / span;
    let i = 0, outer = r0;
    for (let ring = 0; i < fresh.length; ring++) {
      const r = one <= ringOne ? Math.max(r0, one) : r0 + ring * ringGap;
      outer = r;
      const room = one <= ringOne ? fresh.length : Math.max(1, Math.floor(span * r / spacing));
      const take = Math.min(room, fresh.length - i);
      // A full circle has no ends; a fan has two, both used.
      const gaps = span >= 2 * Math.PI - 1e-9 ? take : Math.max(1, take - 1);
      const start = take === 1 ? dir : dir - span / 2;
      // Stagger rings by half a step so rays do not line up.
      const off = (ring % 2) * 0.5 * span / gaps * (span >= 2 * Math.PI - 1e-9 ? 1 : 0);
      for (let j = 0; j < take; j++, i++) {
        const a = start + off + (take === 1 ? 0 : j * span / gaps);
        fresh[i].x = centre.x + Math.cos(a) * r;
        fresh[i].y = centre.y + Math.sin(a) * r;
      }
    }
    return outer;
  }
  // fit zooms out so the root's rings and their labels fit the canvas,
  // once, after the first expansion (the user's zoom is theirs after).
  function fit() {
    let fx = 1, fy = 1;
    for (const a of nodes) { fx = Math.max(fx, Math.abs(a.x)); fy = Math.max(fy, Math.abs(a.y)); }
    // Labels are drawn at a fixed size on screen: leave them room, if
    // there are few enough nodes to show them (see draw).
    const w = canvas.clientWidth, h = canvas.clientHeight, label = nodes.length < maxLabels ? Math.min(170, w / 5) : 10;
    const k = Math.min((w / 2 - label) / fx, (h / 2 - label - 20) / fy);
    view.k = Math.max(0.1, Math.min(1.5, k));
    fitted = true;
  }
  async function expand(id) {
    const n = byId.get(id);
    if (n && (n.expanded || n.type === "alias")) { if (n.url) location.href = n.url; return; }
    expanding++;
    setStatus("loading…");
    try {
      const r = await fetch("/ui/graph.json?id=" + encodeURIComponent(id), { credentials: "same-origin" });
      if (!r.ok) throw new Error("HTTP " + r.status);
      const g = await r.json();
      const root = addNode(g.node, null);
      root.expanded = true;
      const fresh = [];
      for (const m of g.nodes) if (!byId.has(m.id)) fresh.push(addNode(m, root));
      if (root.anchor) {
        // A fan facing away from the node's parent, wider for more,
        // starting beyond the parent's rings so that it crosses none.
        const p = root.anchor, d = Math.hypot(root.x - p.x, root.y - p.y);
        const dir = Math.atan2(root.y - p.y, root.x - p.x);
        const r0 = Math.max(ring0, (p.outer || 0) - d + labelRoom);
        root.outer = place(root, fresh, dir, Math.min(2 * Math.PI, Math.PI * 0.7 + fresh.length / 60), r0);
      } else {
        root.outer = place(root, fresh, -Math.PI / 2, 2 * Math.PI, ring0);
      }
      for (const e of g.edges) addEdge(e);
      if (!fitted) fit();
      alpha = Math.max(alpha, 0.25);
      kick();
      setStatus(plural(nodes.length, "node", "nodes") + ", " + plural(edges.length, "relationship", "relationships") + (g.truncated ? " (this node has more than shown)" : ""));
    } catch (e) {
      setStatus("could not expand: " + e.message);
    } finally {
      expanding--;
      window.culpritGraph.ready = expanding === 0;
    }
  }
  function setStatus(s) { status.textContent = s; }
  function plural(n, one, many) { return n + " " + (n === 1 ? one : many); }

  function step() {
    const n = nodes.length, cell = 60, grid = new Map();
    for (const a of nodes) {
      const k = Math.floor(a.x / cell) + "," + Math.floor(a.y / cell);
      let c = grid.get(k); if (!c) grid.set(k, c = []); c.push(a);
    }
    for (const a of nodes) {
      const cx = Math.floor(a.x / cell), cy = Math.floor(a.y / cell);
      for (let dx = -1; dx <= 1; dx++) for (let dy = -1; dy <= 1; dy++) {
        const c = grid.get((cx + dx) + "," + (cy + dy)); if (!c) continue;
        for (const b of c) {
          if (a === b) continue;
          let x = a.x - b.x, y = a.y - b.y, d2 = x * x + y * y;
          if (d2 < 0.01) { x = Math.random() - 0.5; y = Math.random() - 0.5; d2 = 0.5; }
          if (d2 > cell * cell) continue;
          const f = 900 / d2 * alpha;
          a.vx += x * f / Math.sqrt(d2); a.vy += y * f / Math.sqrt(d2);
        }
      }
    }
    for (const e of edges) {
      const x = e.t.x - e.s.x, y = e.t.y - e.s.y, d = Math.sqrt(x * x + y * y) || 1;
      const f = (d - e.rest) * 0.02 * alpha / d;
      e.s.vx += x * f; e.s.vy += y * f; e.t.vx -= x * f; e.t.vy -= y * f;
    }
    for (const a of nodes) {
      if (a === drag) continue;
      a.vx *= 0.6; a.vy *= 0.6;
      a.x += Math.max(-20, Math.min(20, a.vx)); a.y += Math.max(-20, Math.min(20, a.vy));
    }
    alpha *= 0.95;
    return n;
  }
  function draw() {
    const w = canvas.clientWidth, h = canvas.clientHeight;
    ctx.clearRect(0, 0, w, h);
    ctx.save();
    ctx.translate(w / 2 + view.x, h / 2 + view.y); ctx.scale(view.k, view.k);
    ctx.strokeStyle = "rgba(80,90,100,.35)"; ctx.lineWidth = 1 / view.k;
    ctx.beginPath();
    for (const e of edges) { ctx.moveTo(e.s.x, e.s.y); ctx.lineTo(e.t.x, e.t.y); }
    ctx.stroke();
    const labels = nodes.length < maxLabels || view.k > 1.5;
    ctx.font = (11 / view.k) + "px system-ui, sans-serif";
    ctx.textBaseline = "middle";
    for (const a of nodes) {
      const r = (a.expanded ? 7 : 4.5) / Math.sqrt(view.k);
      ctx.fillStyle = colours[a.type] || "#37474f";
      ctx.beginPath(); ctx.arc(a.x, a.y, r, 0, Math.PI * 2); ctx.fill();
    }
    // Labels after the dots, so no dot covers a label. A node's label
    // points away from the node it was placed around, as the rings' rays
    // do, so that neighbours' labels lie side by side, not on top of each
    // other. An expanded node's label is level, on a white halo, and drawn
    // last, over the rays'.
    ctx.fillStyle = "#1b1f24";
    const level = [];
    for (const a of nodes) {
      if (!(a === hover || a.expanded || labels)) continue;
      const r = (a.expanded ? 7 : 4.5) / Math.sqrt(view.k) + 3 / view.k;
      if (a.expanded || !a.anchor || a === hover) { level.push(a); continue; }
      let t = Math.atan2(a.y - a.anchor.y, a.x - a.anchor.x);
      const left = Math.abs(t) > Math.PI / 2;
      if (left) t += Math.PI;
      ctx.save(); ctx.translate(a.x, a.y); ctx.rotate(t);
      ctx.textAlign = left ? "right" : "left";
      ctx.fillText(a.short, left ? -r : r, 0);
      ctx.restore();
    }
    ctx.textAlign = "left";
    ctx.lineWidth = 3 / view.k; ctx.strokeStyle = "rgba(255,255,255,.9)";
    for (const a of level) {
      const r = (a.expanded ? 7 : 4.5) / Math.sqrt(view.k) + 3 / view.k;
      ctx.strokeText(a.label, a.x + r, a.y); ctx.fillText(a.label, a.x + r, a.y);
    }
    ctx.restore();
  }
  function frame() {
    const t0 = performance.now();
    do { step(); } while (alpha > 0.02 && performance.now() - t0 < 8 && nodes.length < 400);
    draw();
    if (alpha > 0.02 || drag) requestAnimationFrame(frame); else running = false;
  }
  function kick() { if (!running) { running = true; requestAnimationFrame(frame); } else draw(); }

  function toGraph(ev) {
    const r = canvas.getBoundingClientRect();
    return { x: (ev.clientX - r.left - r.width / 2 - view.x) / view.k, y: (ev.clientY - r.top - r.height / 2 - view.y) / view.k };
  }
  function nodeAt(p) {
    let best = null, bd = (10 / view.k) ** 2;
    for (const a of nodes) { const d = (a.x - p.x) ** 2 + (a.y - p.y) ** 2; if (d < bd) { bd = d; best = a; } }
    return best;
  }
  let drag = null, pan = null, moved = false, hover = null;
  canvas.addEventListener("pointerdown", (ev) => {
    const p = toGraph(ev); drag = nodeAt(p); moved = false;
    if (!drag) pan = { x: ev.clientX - view.x, y: ev.clientY - view.y };
    canvas.setPointerCapture(ev.pointerId);
  });
  canvas.addEventListener("pointermove", (ev) => {
    const p = toGraph(ev);
    if (drag) { drag.x = p.x; drag.y = p.y; moved = true; alpha = Math.max(alpha, 0.3); kick(); }
    else if (pan) { view.x = ev.clientX - pan.x; view.y = ev.clientY - pan.y; moved = true; draw(); }
    else { const h = nodeAt(p); if (h !== hover) { hover = h; canvas.title = h ? h.label + " (" + h.type + ")" : ""; draw(); } }
  });
  canvas.addEventListener("pointerup", () => {
    if (drag && !moved) expand(drag.id);
    drag = null; pan = null;
  });
  canvas.addEventListener("wheel", (ev) => {
    ev.preventDefault();
    view.k = Math.max(0.1, Math.min(6, view.k * (ev.deltaY < 0 ? 1.15 : 1 / 1.15)));
    draw();
  }, { passive: false });
  window.addEventListener("resize", resize);
  resize();
  expand(box.dataset.root);
})();
