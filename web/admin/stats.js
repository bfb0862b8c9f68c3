// The operator dashboard (/admin/stats): draws GET /api/stats as SVG charts. Plain JS, no
// library and nothing from elsewhere (the page's CSP allows only this origin). The owner signs in
// with the editor's token (the same localStorage key as app.js), sent only as a bearer header.
//
// Every chart is built from SVG elements made with createElementNS and textContent, never from
// HTML strings, so post titles cannot inject markup. Each mark carries a <title> (the browser's
// tooltip) and a data-* attribute the browser test counts.

const HOST = location.host;
const TOKEN_KEY = `lattice.token:${HOST}`; // shared with the editor (web/admin/app.js)
const SVG = "http://www.w3.org/2000/svg";
// The palette of app.css and stats.css, as values: SVG presentation attributes take no var().
const C = {
  accent: "#2f5d8a",
  hot: "#d9622b",
  warm: "#e0a526",
  cold: "#4f7cac",
  popular: "#8a4fb0",
  hit: "#2e7d4f",
  revalidated: "#86c29f",
  miss: "#e0a526",
  uncached: "#b8bfca",
  grid: "#edf0f4",
  love: "#c2417a",
};
// Named as under each post (web/live); no emoji in the charts, which would depend on the
// machine's fonts.
const REACTIONS = [
  ["like", "Like"],
  ["love", "Love"],
  ["insightful", "Insightful"],
  ["laugh", "Funny"],
];
const TIERS = [
  ["hot", "HOT", "in D1", C.hot],
  ["warm", "WARM", "in R2", C.warm],
  ["cold", "COLD", "archived in R2", C.cold],
  ["popular", "POPULAR", "in R2, a week at the edge", C.popular],
];
const CACHE = [
  ["cache_hit", "Hit", C.hit],
  ["cache_not_modified", "304", C.revalidated],
  ["cache_miss", "Miss", C.miss],
  ["cache_uncached", "Uncached", C.uncached],
];

const $ = (id) => document.getElementById(id);
const el = {
  blogName: $("blog-name"),
  range: $("range"),
  signOut: $("sign-out"),
  signin: $("signin"),
  signinForm: $("signin-form"),
  token: $("token"),
  signinError: $("signin-error"),
  dashboard: $("dashboard"),
  status: $("status"),
  kpis: $("kpis"),
  footnote: $("footnote"),
  charts: {
    views: $("chart-views"),
    top: $("chart-top"),
    reactions: $("chart-reactions"),
    cache: $("chart-cache"),
    d1: $("chart-d1"),
    tiers: $("chart-tiers"),
  },
};

const state = { token: null, days: 30, stats: null, loading: 0 };

function readToken() {
  try {
    const s = localStorage.getItem(TOKEN_KEY);
    const v = s === null ? null : JSON.parse(s);
    return typeof v === "string" ? v : null;
  } catch {
    return null;
  }
}
function writeToken(token) {
  try {
    if (token === null) localStorage.removeItem(TOKEN_KEY);
    else localStorage.setItem(TOKEN_KEY, JSON.stringify(token));
  } catch {}
}

class ApiError extends Error {
  constructor(status, data) {
    super(data?.error?.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = data?.error?.code ?? "";
  }
}

async function api(path, token = state.token) {
  const res = await fetch(path, {
    headers: { authorization: `Bearer ${token}`, accept: "application/json" },
    cache: "no-store",
    credentials: "omit",
  });
  let data = null;
  try {
    data = await res.json();
  } catch {}
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

// ---------------------------------------------------------------------------------------------
// Formatting

const nf = new Intl.NumberFormat("en");
const compact = new Intl.NumberFormat("en", { notation: "compact", maximumFractionDigits: 1 });
const fmt = (n) => nf.format(n);
const short = (n) => (Math.abs(n) < 10000 ? nf.format(n) : compact.format(n));
const pct = (r) => (r === null || r === undefined ? "—" : `${(r * 100).toFixed(r >= 0.995 && r < 1 ? 1 : 0)}%`);
function bytes(n) {
  if (n < 1024) return `${n} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}
// "an hour", "5 minutes", "30 s": how long figures take to arrive (VIEWS_FLUSH_SECONDS).
function within(seconds) {
  if (seconds === 3600) return "an hour";
  if (seconds % 3600 === 0) return `${seconds / 3600} hours`;
  if (seconds >= 60) return `${Math.round(seconds / 60)} minute${Math.round(seconds / 60) === 1 ? "" : "s"}`;
  return `${seconds} s`;
}
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
function dayLabel(iso) {
  const [, m, d] = iso.split("-").map(Number);
  return `${d} ${MONTHS[m - 1]}`;
}

// A "nice" axis maximum and step for values up to `max` (1, 2, 5 × 10^k steps).
function niceScale(max, ticks = 4) {
  if (!(max > 0)) return { top: ticks, step: 1 };
  const raw = max / ticks;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((f) => f * mag).find((s) => s >= raw);
  const whole = Math.max(1, Math.round(step));
  const s = step < 1 ? 1 : whole;
  return { top: Math.ceil(max / s) * s, step: s };
}

// ---------------------------------------------------------------------------------------------
// SVG helpers

function svg(tag, attrs = {}, parent = null) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) node.setAttribute(k, String(v));
  if (parent) parent.appendChild(node);
  return node;
}
function text(parent, x, y, content, attrs = {}) {
  const t = svg("text", { x, y, ...attrs }, parent);
  t.textContent = content;
  return t;
}
function tip(node, content) {
  svg("title", {}, node).textContent = content;
  return node;
}
function root(container, name, width, height, label) {
  const s = svg("svg", {
    viewBox: `0 0 ${width} ${height}`,
    width,
    height,
    role: "img",
    "aria-label": label,
    "data-chart": name,
  });
  container.replaceChildren(s);
  return s;
}
function empty(container, message) {
  const p = document.createElement("p");
  p.className = "empty-chart";
  p.dataset.empty = "true";
  p.textContent = message;
  container.replaceChildren(p);
}
function legend(container, items) {
  const ul = document.createElement("ul");
  ul.className = "legend";
  for (const [label, color, num] of items) {
    const li = document.createElement("li");
    const sw = document.createElement("span");
    sw.className = "swatch";
    sw.style.background = color;
    li.append(sw, label);
    if (num !== undefined) {
      const n = document.createElement("span");
      n.className = "num";
      n.textContent = num;
      li.append(" ", n);
    }
    ul.append(li);
  }
  container.append(ul);
  return ul;
}
const widthOf = (container) => Math.max(260, Math.floor(container.clientWidth || 600));

// The y axis: gridlines and labels from 0 to top; returns y(v).
function yAxis(s, { left, right, top, bottom }, scale, format = short) {
  const h = bottom - top;
  const y = (v) => bottom - (v / scale.top) * h;
  for (let v = 0; v <= scale.top + 1e-9; v += scale.step) {
    svg("line", { x1: left, x2: right, y1: y(v), y2: y(v), class: v === 0 ? "axis" : "gridline" }, s);
    text(s, left - 8, y(v) + 4, format(v), { "text-anchor": "end" });
  }
  return y;
}

// Day labels along the x axis, thinned to fit.
function xDays(s, daily, x, yBase, width) {
  const every = Math.max(1, Math.ceil(daily.length / Math.max(2, Math.floor(width / 80))));
  daily.forEach((d, i) => {
    if ((daily.length - 1 - i) % every !== 0) return; // always label the newest day
    const at = x(i);
    const anchor = at + 24 > width ? "end" : at - 24 < 0 ? "start" : "middle";
    text(s, anchor === "end" ? width : at, yBase + 18, dayLabel(d.date), { "text-anchor": anchor, class: "x-label" });
  });
}

// ---------------------------------------------------------------------------------------------
// Charts

function drawViews(container, stats) {
  const daily = stats.daily;
  if (stats.totals.views === 0 && stats.totals.events === 0) {
    empty(container, `No views in the last ${stats.days} days yet. Views reach this chart within ${within(stats.flush_seconds)}.`);
    return;
  }
  const width = widthOf(container);
  const height = 240;
  const box = { left: 48, right: width - 12, top: 12, bottom: height - 28 };
  const s = root(container, "views", width, height, `Views per day over ${stats.days} days`);
  const max = Math.max(1, ...daily.map((d) => Math.max(d.views, d.events)));
  const scale = niceScale(max);
  const y = yAxis(s, box, scale);
  const n = daily.length;
  const x = (i) => (n === 1 ? (box.left + box.right) / 2 : box.left + 8 + (i * (box.right - box.left - 16)) / (n - 1));

  const defs = svg("defs", {}, s);
  const grad = svg("linearGradient", { id: "views-fill", x1: 0, x2: 0, y1: 0, y2: 1 }, defs);
  svg("stop", { offset: "0%", "stop-color": "#2f5d8a", "stop-opacity": 0.28 }, grad);
  svg("stop", { offset: "100%", "stop-color": "#2f5d8a", "stop-opacity": 0.02 }, grad);

  const line = daily.map((d, i) => `${i ? "L" : "M"}${x(i).toFixed(1)},${y(d.views).toFixed(1)}`).join("");
  svg("path", { d: `${line}L${x(n - 1).toFixed(1)},${box.bottom}L${x(0).toFixed(1)},${box.bottom}Z`, fill: "url(#views-fill)", class: "area" }, s);
  svg("path", { d: line, fill: "none", stroke: C.accent, "stroke-width": 2.2, "stroke-linejoin": "round", class: "line" }, s);
  if (stats.totals.events > 0) {
    const ev = daily.map((d, i) => `${i ? "L" : "M"}${x(i).toFixed(1)},${y(d.events).toFixed(1)}`).join("");
    svg("path", { d: ev, fill: "none", stroke: C.popular, "stroke-width": 1.6, "stroke-dasharray": "4 4", class: "events-line" }, s);
  }
  const r = n > 60 ? 2 : n > 31 ? 2.5 : 3.5;
  daily.forEach((d, i) => {
    tip(svg("circle", { cx: x(i), cy: y(d.views), r, class: "point", "data-date": d.date, "data-views": d.views }, s),
      `${dayLabel(d.date)}: ${fmt(d.views)} view${d.views === 1 ? "" : "s"}` +
        (stats.totals.events > 0 ? `, ${fmt(d.events)} reader event${d.events === 1 ? "" : "s"}` : ""));
  });
  xDays(s, daily, x, box.bottom, width);
  const items = [["Page views", C.accent]];
  if (stats.totals.events > 0) items.push(["Reader events (POST /api/events)", C.popular]);
  legend(container, items);
}

// Horizontal bars: [{label, value, title, color}] → one row each.
function hbars(container, name, rows, { label, format = fmt, labelWidth }) {
  const width = widthOf(container);
  const rowH = 30;
  const height = rows.length * rowH + 4;
  const s = root(container, name, width, height, label);
  const lw = labelWidth ?? Math.min(200, Math.max(90, Math.floor(width * 0.38)));
  const valueW = 56;
  const max = Math.max(1, ...rows.map((r) => r.value));
  const barMax = width - lw - valueW - 8;
  rows.forEach((r, i) => {
    const top = i * rowH + 4;
    const g = svg("g", { class: "row" }, s);
    const t = text(g, lw - 10, top + 15, r.label, { "text-anchor": "end", class: "bar-label" });
    // Long labels are cut to fit; the tooltip has the whole text.
    if (t.getComputedTextLength && t.getComputedTextLength() > lw - 14) {
      let s2 = r.label;
      while (s2.length > 4 && t.getComputedTextLength() > lw - 14) {
        s2 = s2.slice(0, -2);
        t.textContent = `${s2.trimEnd()}…`;
      }
    }
    svg("rect", { x: lw, y: top + 2, width: barMax, height: rowH - 12, rx: 4, fill: C.grid }, g);
    const w = r.value > 0 ? Math.max(3, (r.value / max) * barMax) : 0;
    tip(svg("rect", { x: lw, y: top + 2, width: w.toFixed(1), height: rowH - 12, rx: 4, fill: r.color ?? C.accent, class: "bar", "data-value": r.value, "data-label": r.key ?? r.label }, g), r.title);
    text(g, lw + w + 6, top + 15, format(r.value), { class: "value-label" });
  });
  return s;
}

function drawTop(container, stats) {
  if (stats.top_posts.length === 0) {
    empty(container, "No post has been viewed in this period yet.");
    return;
  }
  hbars(
    container,
    "top",
    stats.top_posts.map((p) => ({
      key: p.slug,
      label: p.title || p.slug,
      value: p.views,
      title: `${p.title} (/blog/${p.slug}): ${fmt(p.views)} view${p.views === 1 ? "" : "s"}`,
    })),
    { label: `The ${stats.top_posts.length} most viewed posts` },
  );
}

function drawReactions(container, stats) {
  const known = new Set(REACTIONS.map(([k]) => k));
  const rows = REACTIONS.map(([key, name], i) => ({
    key,
    label: name,
    value: stats.reactions[key] ?? 0,
    color: [C.accent, C.love, C.warm, C.hit][i],
  }));
  for (const [key, value] of Object.entries(stats.reactions)) if (!known.has(key)) rows.push({ key, label: key, value });
  const total = rows.reduce((a, r) => a + r.value, 0);
  if (total === 0) {
    empty(container, "No reactions yet. Readers react under each post.");
    return;
  }
  for (const r of rows) r.title = `${r.label}: ${fmt(r.value)} (${Math.round((r.value / total) * 100)}% of ${fmt(total)})`;
  hbars(container, "reactions", rows, { label: `Reactions on all posts: ${fmt(total)}`, labelWidth: 120 });
}

function drawCache(container, stats) {
  const t = stats.totals;
  const viewed = t.views;
  if (viewed === 0) {
    empty(container, "No post views in this period, so nothing to say about the cache yet.");
    return;
  }
  container.replaceChildren();
  const row = document.createElement("div");
  row.className = "cache-row";
  const ringBox = document.createElement("div");
  ringBox.className = "ring";
  const barsBox = document.createElement("div");
  barsBox.className = "bars";
  row.append(ringBox, barsBox);
  container.append(row);

  // The ring: share of each outcome, the hit ratio in the middle.
  const size = 128;
  const s = svg("svg", { viewBox: `0 0 ${size} ${size}`, width: size, height: size, role: "img", "data-chart": "cache-ring", "aria-label": `Cache hit ratio ${pct(t.hit_ratio)}` }, ringBox);
  const rad = 50;
  const circ = 2 * Math.PI * rad;
  svg("circle", { cx: size / 2, cy: size / 2, r: rad, fill: "none", stroke: C.grid, "stroke-width": 14 }, s);
  let offset = 0;
  for (const [key, name, color] of CACHE) {
    const v = t[key];
    if (!v) continue;
    const len = (v / viewed) * circ;
    tip(svg("circle", {
      cx: size / 2, cy: size / 2, r: rad, fill: "none", stroke: color, "stroke-width": 14,
      "stroke-dasharray": `${len.toFixed(2)} ${(circ - len).toFixed(2)}`, "stroke-dashoffset": (-offset).toFixed(2),
      transform: `rotate(-90 ${size / 2} ${size / 2})`, class: "segment", "data-outcome": key, "data-value": v,
    }, s), `${name}: ${fmt(v)} of ${fmt(viewed)} views`);
    offset += len;
  }
  text(s, size / 2, size / 2 + 6, pct(t.hit_ratio), { "text-anchor": "middle", class: "value-label ratio" });
  text(s, size / 2, size / 2 + 22, "hit ratio", { "text-anchor": "middle" });

  // Stacked bars per day: how each day's views were served.
  const daily = stats.daily;
  const width = Math.max(200, Math.floor(barsBox.clientWidth || 300));
  const height = 150;
  const box = { left: 40, right: width - 4, top: 8, bottom: height - 24 };
  const b = svg("svg", { viewBox: `0 0 ${width} ${height}`, width, height, role: "img", "data-chart": "cache", "aria-label": "Views per day by how they were served" }, barsBox);
  const scale = niceScale(Math.max(1, ...daily.map((d) => d.views)), 3);
  const y = yAxis(b, box, scale);
  const n = daily.length;
  const slot = (box.right - box.left) / n;
  const bw = Math.max(1.5, Math.min(18, slot * 0.7));
  const x = (i) => box.left + slot * i + slot / 2;
  daily.forEach((d, i) => {
    let base = 0;
    const g = svg("g", { class: "day", "data-date": d.date }, b);
    for (const [key, name, color] of CACHE) {
      const v = d[key];
      if (!v) continue;
      tip(svg("rect", { x: (x(i) - bw / 2).toFixed(1), y: y(base + v).toFixed(1), width: bw.toFixed(1), height: (y(base) - y(base + v)).toFixed(1), fill: color, class: "bar", "data-outcome": key }, g),
        `${dayLabel(d.date)} · ${name}: ${fmt(v)} of ${fmt(d.views)}`);
      base += v;
    }
  });
  xDays(b, daily, x, box.bottom, width);
  legend(container, CACHE.map(([key, name, color]) => [name, color, fmt(t[key])]));
}

function drawD1(container, stats) {
  const daily = stats.daily;
  if (stats.totals.views === 0 && stats.totals.d1_queries === 0) {
    empty(container, "No post views in this period, so no D1 queries for them either.");
    return;
  }
  const width = widthOf(container);
  const height = 170;
  const box = { left: 40, right: width - 4, top: 10, bottom: height - 24 };
  const s = root(container, "d1", width, height, "D1 queries per day made to serve post views");
  const scale = niceScale(Math.max(1, ...daily.map((d) => d.d1_queries)), 3);
  const y = yAxis(s, box, scale);
  const n = daily.length;
  const slot = (box.right - box.left) / n;
  const bw = Math.max(1.5, Math.min(18, slot * 0.7));
  const x = (i) => box.left + slot * i + slot / 2;
  daily.forEach((d, i) => {
    const h = y(0) - y(d.d1_queries);
    tip(svg("rect", { x: (x(i) - bw / 2).toFixed(1), y: y(d.d1_queries).toFixed(1), width: bw.toFixed(1), height: Math.max(0, h).toFixed(1), rx: 2, fill: C.accent, class: "bar", "data-date": d.date, "data-value": d.d1_queries }, s),
      `${dayLabel(d.date)}: ${fmt(d.d1_queries)} D1 quer${d.d1_queries === 1 ? "y" : "ies"} for ${fmt(d.views)} view${d.views === 1 ? "" : "s"}`);
  });
  xDays(s, daily, x, box.bottom, width);
  const per1000 = stats.totals.views ? (stats.totals.d1_queries * 1000) / stats.totals.views : 0;
  const note = document.createElement("p");
  note.className = "hint";
  note.textContent = stats.totals.views
    ? `${fmt(stats.totals.d1_queries)} queries for ${fmt(stats.totals.views)} post views: ${per1000.toFixed(per1000 < 10 ? 1 : 0)} per 1,000.`
    : "No post views in this period.";
  container.append(note);
}

function drawTiers(container, stats) {
  const tiers = TIERS.map(([key, name, where, color]) => {
    const t = stats.tiers.find((x) => x.tier === key) ?? { posts: 0, bytes: 0 };
    return { key, name, where, color, posts: t.posts, bytes: t.bytes };
  });
  const total = tiers.reduce((a, t) => a + t.bytes, 0);
  const posts = tiers.reduce((a, t) => a + t.posts, 0);
  if (posts === 0) {
    empty(container, "No posts yet.");
    return;
  }
  const width = widthOf(container);
  const height = 44;
  const s = root(container, "tiers", width, height, `Content bytes by tier: ${bytes(total)}`);
  svg("rect", { x: 0, y: 6, width, height: 28, rx: 6, fill: C.grid }, s);
  const clip = svg("clipPath", { id: "tiers-clip" }, svg("defs", {}, s));
  svg("rect", { x: 0, y: 6, width, height: 28, rx: 6 }, clip);
  const g = svg("g", { "clip-path": "url(#tiers-clip)" }, s);
  let x = 0;
  for (const t of tiers) {
    if (!t.bytes) continue;
    const w = (t.bytes / Math.max(1, total)) * width;
    tip(svg("rect", { x: x.toFixed(1), y: 6, width: Math.max(2, w).toFixed(1), height: 28, fill: t.color, class: "bar", "data-tier": t.key, "data-value": t.bytes }, g),
      `${t.name} (${t.where}): ${bytes(t.bytes)} in ${fmt(t.posts)} post${t.posts === 1 ? "" : "s"} (${Math.round((t.bytes / total) * 100)}%)`);
    if (w > 64) text(g, x + 8, 25, `${t.name} ${Math.round((t.bytes / total) * 100)}%`, { class: "on-bar" });
    x += w;
  }
  legend(container, tiers.map((t) => [`${t.name}`, t.color, `${bytes(t.bytes)} · ${fmt(t.posts)} post${t.posts === 1 ? "" : "s"}`]));
}

function drawKpis(stats) {
  const t = stats.totals;
  const reactions = Object.values(stats.reactions).reduce((a, n) => a + n, 0);
  const content = stats.tiers.reduce((a, x) => a + x.bytes, 0);
  const items = [
    ["views", "Views", short(t.views), `last ${stats.days} days`],
    ["hit_ratio", "Cache hit ratio", pct(t.hit_ratio), t.hit_ratio === null ? "no cacheable views" : "hits and 304s"],
    ["d1", "D1 queries", short(t.d1_queries), "to serve those views"],
    ["reactions", "Reactions", short(reactions), "on all posts"],
    ["bytes", "Content", bytes(content), "markdown + html"],
  ];
  el.kpis.replaceChildren(
    ...items.map(([key, label, value, sub]) => {
      const d = document.createElement("div");
      d.className = "kpi";
      d.dataset.kpi = key;
      const l = document.createElement("p");
      l.className = "label";
      l.textContent = label;
      const v = document.createElement("div");
      v.className = "value";
      v.textContent = value;
      const s = document.createElement("div");
      s.className = "sub";
      s.textContent = sub;
      d.append(l, v, s);
      return d;
    }),
  );
}

function draw() {
  const stats = state.stats;
  if (!stats) return;
  drawKpis(stats);
  drawViews(el.charts.views, stats);
  drawTop(el.charts.top, stats);
  drawReactions(el.charts.reactions, stats);
  drawCache(el.charts.cache, stats);
  drawD1(el.charts.d1, stats);
  drawTiers(el.charts.tiers, stats);
  el.footnote.textContent =
    `${dayLabel(stats.from)} – ${dayLabel(stats.to)} (UTC). Views, cache and D1 figures are counted per post view ` +
    `and reach this page within ${within(stats.flush_seconds)}; reactions and storage are current totals.`;
}

// ---------------------------------------------------------------------------------------------
// Loading, signing in

async function load() {
  const ticket = ++state.loading;
  el.status.textContent = "Loading…";
  el.status.className = "status";
  document.body.dataset.state = "loading";
  try {
    const stats = await api(`/api/stats?days=${state.days}`);
    if (ticket !== state.loading) return;
    state.stats = stats;
    el.status.textContent = "";
    draw();
    document.body.dataset.state = "ready";
  } catch (err) {
    if (ticket !== state.loading) return;
    if (err instanceof ApiError && (err.status === 401 || err.status === 404)) {
      signOut("The token is no longer valid for this blog. Sign in again.");
      return;
    }
    el.status.textContent = `Could not load the figures: ${err.message}. Retry in a moment.`;
    el.status.className = "status error";
    document.body.dataset.state = "error";
  }
}

function showDashboard() {
  el.signin.hidden = true;
  el.dashboard.hidden = false;
  el.range.hidden = false;
  el.signOut.hidden = false;
}

function signOut(message = "") {
  state.token = null;
  state.stats = null;
  writeToken(null);
  el.dashboard.hidden = true;
  el.range.hidden = true;
  el.signOut.hidden = true;
  el.blogName.textContent = "Lattice";
  el.signin.hidden = false;
  el.signinError.textContent = message;
  document.body.dataset.state = "signin";
  el.token.focus();
}

async function start(token) {
  const { tenant } = await api("/api/tenant", token);
  state.token = token;
  el.blogName.textContent = tenant.display_name;
  document.title = `Dashboard · ${tenant.display_name}`;
  showDashboard();
  await load();
}

el.signinForm.addEventListener("submit", async (e) => {
  e.preventDefault();
  const token = el.token.value.trim();
  if (!token) {
    el.signinError.textContent = "Paste the owner token.";
    return;
  }
  el.signinError.textContent = "";
  try {
    await start(token);
    writeToken(token);
    el.token.value = "";
  } catch (err) {
    el.signinError.textContent =
      err instanceof ApiError && (err.status === 401 || err.status === 404)
        ? "This token does not open this blog."
        : `Could not sign in: ${err.message}`;
  }
});

el.signOut.addEventListener("click", () => signOut());

el.range.addEventListener("click", (e) => {
  const b = e.target.closest("button[data-days]");
  if (!b) return;
  state.days = Number(b.dataset.days);
  for (const x of el.range.querySelectorAll("button")) x.setAttribute("aria-pressed", String(x === b));
  load();
});

// Charts are drawn at the width they get (text stays 12 px), so a new width redraws them.
let resizeTimer = 0;
let drawnWidth = 0;
new ResizeObserver(([entry]) => {
  const w = Math.round(entry.contentRect.width);
  if (w === drawnWidth) return;
  drawnWidth = w;
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(draw, 120);
}).observe(el.dashboard);

const saved = readToken();
if (saved) {
  start(saved).catch((err) => {
    if (err instanceof ApiError && (err.status === 401 || err.status === 404)) signOut("The saved token is no longer valid. Sign in again.");
    else signOut(`Could not reach the blog: ${err.message}`);
  });
} else {
  signOut();
}
