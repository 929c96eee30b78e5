// culprit web UI: progressive enhancement only. Every page works without
// this script; it adds the search box's suggestions with keyboard
// navigation, the "/" shortcut, the review page's accept-all buttons, the
// matrix page's cell editor (its "Rate" links fill the form in place), and
// the suggestions of software and actors (without it those inputs take
// free text, with no suggestions).
"use strict";
document.documentElement.classList.add("js");

function debounce(fn, ms) {
  let t = 0;
  return (...a) => { clearTimeout(t); t = setTimeout(() => fn(...a), ms); };
}

function initSearch() {
  const input = document.getElementById("q");
  const list = document.getElementById("q-list");
  if (!input || !list) return;
  let hits = [], active = -1, seq = 0;
  const close = () => { list.hidden = true; input.setAttribute("aria-expanded", "false"); input.removeAttribute("aria-activedescendant"); active = -1; };
  const mark = (i) => {
    active = i;
    [...list.children].forEach((li, j) => li.setAttribute("aria-selected", j === i ? "true" : "false"));
    if (i >= 0) { input.setAttribute("aria-activedescendant", "q-opt-" + i); list.children[i].scrollIntoView({ block: "nearest" }); }
  };
  const show = () => {
    list.replaceChildren();
    hits.forEach((h, i) => {
      const li = document.createElement("li");
      li.id = "q-opt-" + i;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", "false");
      const kind = document.createElement("span"); kind.className = "kind"; kind.textContent = h.kind;
      const name = document.createElement("span"); name.textContent = h.name + (h.external_id ? " " + h.external_id : "");
      const tlp = document.createElement("span"); tlp.className = "tlp tlp-" + h.tlp.replace("TLP:", "").replace("+", "-").toLowerCase(); tlp.textContent = h.tlp;
      li.append(kind, name, tlp);
      li.addEventListener("mousedown", (e) => { e.preventDefault(); location.href = h.url; });
      list.append(li);
    });
    list.hidden = hits.length === 0;
    input.setAttribute("aria-expanded", hits.length ? "true" : "false");
    mark(-1);
  };
  const fetchHits = debounce(async () => {
    const q = input.value.trim();
    const mine = ++seq;
    if (!q) { hits = []; show(); return; }
    try {
      const r = await fetch("/ui/search.json?q=" + encodeURIComponent(q), { credentials: "same-origin" });
      if (!r.ok || mine !== seq) return;
      hits = (await r.json()).hits;
      show();
      list.dataset.q = q; // what the list is for (tests wait for it)
    } catch (e) { /* offline or logged out: the form still submits */ }
  }, 120);
  // Enter on a chosen suggestion opens it; the form's own submission (the
  // full search page) is stopped too, as some key paths submit anyway.
  let leaving = false;
  const go = () => { const h = hits[active]; leaving = true; close(); location.href = h.url; };
  input.form.addEventListener("submit", (e) => { if (leaving) { e.preventDefault(); } else if (active >= 0) { e.preventDefault(); go(); } });
  input.addEventListener("input", fetchHits);
  input.addEventListener("keydown", (e) => {
    if (e.key === "ArrowDown" && hits.length) { e.preventDefault(); list.hidden = false; mark((active + 1) % hits.length); }
    else if (e.key === "ArrowUp" && hits.length) { e.preventDefault(); mark(active <= 0 ? hits.length - 1 : active - 1); }
    else if (e.key === "Enter" && active >= 0) { e.preventDefault(); go(); }
    else if (e.key === "Escape") { close(); }
  });
  input.addEventListener("blur", () => setTimeout(close, 100));
  document.addEventListener("keydown", (e) => {
    const t = e.target;
    if (e.key === "/" && !(t instanceof HTMLInputElement || t instanceof HTMLTextAreaElement || t instanceof HTMLSelectElement)) {
      e.preventDefault(); input.focus();
    }
  });
}

function initReview() {
  const set = (v) => document.querySelectorAll('.review-item input[type=radio][value="' + v + '"]').forEach((r) => { r.checked = true; });
  const a = document.getElementById("accept-all"), r = document.getElementById("reject-all");
  if (a) a.addEventListener("click", () => set("accept"));
  if (r) r.addEventListener("click", () => set("reject"));
}

function initACH() {
  const form = document.getElementById("rate-form");
  if (!form) return;
  const item = document.getElementById("rate-item"), hyp = document.getElementById("rate-hyp"), rating = document.getElementById("rate-rating");
  const cellOf = () => [...document.querySelectorAll(".ach-cell")].find((c) => c.dataset.item === item.value && c.dataset.hyp === hyp.value);
  // show marks the chosen cell and starts the rating at its current one.
  const show = () => {
    document.querySelectorAll(".ach-cell.editing").forEach((c) => c.classList.remove("editing"));
    const c = cellOf();
    if (!c) return;
    c.classList.add("editing");
    rating.value = c.dataset.rating;
  };
  item.addEventListener("change", show);
  hyp.addEventListener("change", show);
  document.querySelectorAll(".ach-cell a.rate").forEach((a) => a.addEventListener("click", (e) => {
    e.preventDefault();
    const c = a.closest(".ach-cell");
    item.value = c.dataset.item;
    hyp.value = c.dataset.hyp;
    show();
    form.scrollIntoView({ block: "nearest" });
    rating.focus();
  }));
  show();
}

// initLists fills a datalist that names its options' source (data-src:
// thousands of names, too many to send with every page) the first time
// one of its inputs has the focus.
function initLists() {
  document.querySelectorAll("datalist[data-src]").forEach((dl) => {
    let state = "";
    const fill = () => {
      if (state) return;
      state = "loading";
      fetch(dl.dataset.src, { credentials: "same-origin" })
        .then((r) => { if (!r.ok) throw new Error(dl.dataset.src + ": " + r.status); return r.json(); })
        .then((opts) => {
          const frag = document.createDocumentFragment();
          for (const o of opts) {
            const el = document.createElement("option");
            el.value = o.value;
            if (o.label) el.textContent = o.label;
            frag.appendChild(el);
          }
          dl.replaceChildren(frag);
          state = "done";
        })
        .catch(() => { state = ""; });
    };
    // Focus alone may come without its event (a window in the background):
    // typing fills it too.
    document.querySelectorAll('input[list="' + dl.id + '"]').forEach((i) => {
      for (const ev of ["focus", "pointerdown", "keydown", "input"]) i.addEventListener(ev, fill);
    });
  });
}

document.addEventListener("DOMContentLoaded", () => { initSearch(); initReview(); initACH(); initLists(); });
