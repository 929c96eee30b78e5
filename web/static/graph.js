// culprit relationship graph: a canvas force layout that grows node by
// node. The page gives the root in data-root; each expansion fetches
// /ui/graph.json?id=ID (the server answers only with what the user's TLP
// level lets them see). Repulsion is computed on a grid of cells, so a
// layout step stays near linear in the number of nodes and a graph of a
// few thousand nodes stays responsive.
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
  let view = { x: 0, y: 0, k: 1 }, alpha = 1, running = false, expanding = 0;
  window.culpritGraph = { nodes, edges, expand: (id) => expand(id), ready: false };

  function resize() {
    const r = canvas.getBoundingClientRect(), d = window.devicePixelRatio || 1;
    canvas.width = Math.max(1, Math.round(r.width * d)); canvas.height = Math.max(1, Math.round(r.height * d));
    ctx.setTransform(d, 0, 0, d, 0, 0);
    kick();
  }
  function addNode(n, near) {
    if (byId.has(n.id)) return byId.get(n.id);
    const a = Math.random() * Math.PI * 2, r = near ? 40 + Math.random() * 40 : 0;
    const node = Object.assign({ x: (near ? near.x : 0) + Math.cos(a) * r, y: (near ? near.y : 0) + Math.sin(a) * r, vx: 0, vy: 0, expanded: false, deg: 0 }, n);
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
    edges.push({ s, t, type: e.type });
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
      for (const m of g.nodes) addNode(m, root);
      for (const e of g.edges) addEdge(e);
      alpha = Math.max(alpha, 0.8);
      kick();
      setStatus(nodes.length + " nodes, " + edges.length + " relationships" + (g.truncated ? " (this node has more than shown)" : ""));
    } catch (e) {
      setStatus("could not expand: " + e.message);
    } finally {
      expanding--;
      window.culpritGraph.ready = expanding === 0;
    }
  }
  function setStatus(s) { status.textContent = s; }

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
      a.vx -= a.x * 0.002 * alpha; a.vy -= a.y * 0.002 * alpha;
    }
    for (const e of edges) {
      const x = e.t.x - e.s.x, y = e.t.y - e.s.y, d = Math.sqrt(x * x + y * y) || 1;
      const f = (d - 70) * 0.02 * alpha / d;
      e.s.vx += x * f; e.s.vy += y * f; e.t.vx -= x * f; e.t.vy -= y * f;
    }
    for (const a of nodes) {
      if (a === drag) continue;
      a.vx *= 0.6; a.vy *= 0.6;
      a.x += Math.max(-20, Math.min(20, a.vx)); a.y += Math.max(-20, Math.min(20, a.vy));
    }
    alpha *= 0.985;
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
    const labels = nodes.length < 300 || view.k > 1.5;
    ctx.font = (11 / view.k) + "px system-ui, sans-serif";
    for (const a of nodes) {
      const r = (a.expanded ? 7 : 4.5) / Math.sqrt(view.k);
      ctx.fillStyle = colours[a.type] || "#37474f";
      ctx.beginPath(); ctx.arc(a.x, a.y, r, 0, Math.PI * 2); ctx.fill();
      if (a === hover || a.expanded || labels) { ctx.fillStyle = "#1b1f24"; ctx.fillText(a.label, a.x + r + 2, a.y + 3 / view.k); }
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
