// Turns the per-world phase results into figures, the side-by-side table and the JSON record.
import { costPerMillionViews } from "./cost.mjs";
import { addCounters, counter, d1Queries, per1k, ratio } from "./stats.mjs";

export const TARGETS = { d1_queries_per_1k_views_max: 5, hit_ratio_min: 0.99, stale_reads_max: 0 };

// Reads that shared an identical in-flight read instead of querying ("d1.query.coalesced", …).
const d1Coalesced = (c) => Object.entries(c).reduce((n, [k, v]) => (/^d1\..*coalesced$/.test(k) ? n + v : n), 0);

const round = (x, digits = 4) => (x == null ? null : Math.round(x * 10 ** digits) / 10 ** digits);

// Figures of one world from its warm-up and measured (steady-state) phases.
export function modeFigures(warmup, steady, prices) {
  const c = steady.counters;
  const viewOnly = addCounters({ ...c }, Object.fromEntries(Object.entries(steady.write_counters).map(([k, v]) => [k, -v])));
  const v = steady.views;
  const hasCacheMetrics = Object.keys(c).some((k) => k.startsWith("metric.cache."));
  const totals = addCounters({ ...warmup.counters }, c);
  return {
    views: v,
    writes: steady.writes,
    d1_queries: d1Queries(c),
    d1_queries_per_1k_views: per1k(d1Queries(c), v),
    d1_queries_per_1k_views_excl_writes: per1k(d1Queries(viewOnly), v),
    d1_queries_per_write: steady.writes ? round(d1Queries(steady.write_counters) / steady.writes, 2) : null,
    d1_coalesced_per_1k_views: per1k(d1Coalesced(c), v),
    d1_rows_read_per_1k_views: per1k(counter(c, "d1.rows_read"), v),
    d1_rows_written_per_1k_views: per1k(counter(c, "d1.rows_written"), v),
    kv_reads_per_1k_views: per1k(counter(c, "kv.get"), v),
    kv_writes_per_1k_views: per1k(counter(c, "kv.put"), v),
    kv_deletes_per_1k_views: per1k(counter(c, "kv.delete"), v),
    cache_match_per_1k_views: per1k(counter(c, "cache.match"), v),
    cache_put_per_1k_views: per1k(counter(c, "cache.put"), v),
    cache_delete_per_1k_views: per1k(counter(c, "cache.delete"), v),
    hit_ratio: round(steady.hit_ratio),
    // Cross-check from the core's own metric, when the engine emits one.
    hit_ratio_counters: hasCacheMetrics ? round(counter(c, "metric.cache.hit") / v) : null,
    hit_ratio_by_kind: Object.fromEntries(Object.entries(steady.by_kind).map(([k, s]) => [k, round(s.hits / s.views)])),
    cache_header: steady.cache_header,
    status_by_kind: Object.fromEntries(Object.entries(steady.by_kind).map(([k, s]) => [k, s.status])),
    stale_reads: steady.stale_reads,
    stale_detail: steady.stale_detail,
    write_failures: steady.write_failures,
    server_errors: steady.server_errors,
    latency_ms: steady.latency,
    cost_per_extra_1m_views: costPerMillionViews(prices, c, v, v + steady.writes),
    wall_s: { warmup: warmup.wall_s, steady: steady.wall_s },
    counters: { steady: c, steady_writes_only: steady.write_counters, warmup: warmup.counters },
    totals: {
      views: warmup.views + v,
      writes: steady.writes,
      d1_queries: d1Queries(totals),
      d1_queries_per_1k_views: per1k(d1Queries(totals), warmup.views + v),
      d1_rows_read: counter(totals, "d1.rows_read"),
      d1_rows_written: counter(totals, "d1.rows_written"),
      kv_reads: counter(totals, "kv.get"),
      kv_writes: counter(totals, "kv.put"),
      hits: warmup.hits + steady.hits,
      hit_ratio: round((warmup.hits + steady.hits) / (warmup.views + v)),
      stale_reads: warmup.stale_reads + steady.stale_reads,
    },
  };
}

export function checkTargets(cached) {
  return {
    d1_queries_per_1k_views_max: cached.d1_queries_per_1k_views <= TARGETS.d1_queries_per_1k_views_max,
    hit_ratio_min: cached.hit_ratio >= TARGETS.hit_ratio_min,
    stale_reads_max: cached.stale_reads <= TARGETS.stale_reads_max,
  };
}

// ---- the printed table ----

const fmt = (x, digits = 2) => (x == null ? "n/a" : typeof x === "number" ? x.toFixed(digits) : String(x));
const lat = (s) => (s.n ? `${fmt(s.p50_ms, 1)} / ${fmt(s.p95_ms, 1)}` : "n/a");
const times = (a, b) => (a && b != null ? `${(b / a).toFixed(1)}x` : a === 0 && b > 0 ? "inf" : "");

export function renderTable(cached, naive) {
  const rows = [
    ["views (steady state)", cached.views, naive.views, ""],
    ["writes (PUT, interleaved)", cached.writes, naive.writes, ""],
    ["D1 queries / 1k views", fmt(cached.d1_queries_per_1k_views), fmt(naive.d1_queries_per_1k_views),
      times(cached.d1_queries_per_1k_views, naive.d1_queries_per_1k_views)],
    ["  excluding the writes", fmt(cached.d1_queries_per_1k_views_excl_writes), fmt(naive.d1_queries_per_1k_views_excl_writes),
      times(cached.d1_queries_per_1k_views_excl_writes, naive.d1_queries_per_1k_views_excl_writes)],
    ["D1 rows read / 1k views", fmt(cached.d1_rows_read_per_1k_views), fmt(naive.d1_rows_read_per_1k_views), ""],
    ["D1 rows written / 1k views", fmt(cached.d1_rows_written_per_1k_views), fmt(naive.d1_rows_written_per_1k_views), ""],
    ["KV reads / 1k views", fmt(cached.kv_reads_per_1k_views), fmt(naive.kv_reads_per_1k_views), ""],
    ["KV writes / 1k views", fmt(cached.kv_writes_per_1k_views), fmt(naive.kv_writes_per_1k_views), ""],
    ["Cache API match / 1k views", fmt(cached.cache_match_per_1k_views), fmt(naive.cache_match_per_1k_views), ""],
    ["cache hit ratio (header)", fmt(cached.hit_ratio, 4), fmt(naive.hit_ratio, 4), ""],
    ["cache hit ratio (counters)", fmt(cached.hit_ratio_counters, 4), fmt(naive.hit_ratio_counters, 4), ""],
    ["latency hit  p50 / p95 ms", lat(cached.latency_ms.hit), lat(naive.latency_ms.hit), ""],
    ["latency miss p50 / p95 ms", lat(cached.latency_ms.miss), lat(naive.latency_ms.miss), ""],
    ["latency all  p50 / p95 ms", lat(cached.latency_ms.all), lat(naive.latency_ms.all), ""],
    ["stale reads", cached.stale_reads, naive.stale_reads, ""],
    ["  views checked for a write's marker", cached.stale_detail.marker_checks, naive.stale_detail.marker_checks, ""],
    ["$ per extra 1M views", fmt(cached.cost_per_extra_1m_views.total_usd, 4), fmt(naive.cost_per_extra_1m_views.total_usd, 4),
      times(cached.cost_per_extra_1m_views.total_usd, naive.cost_per_extra_1m_views.total_usd)],
    ["totals incl. warm-up: views", cached.totals.views, naive.totals.views, ""],
    ["totals: D1 queries / 1k views", fmt(cached.totals.d1_queries_per_1k_views), fmt(naive.totals.d1_queries_per_1k_views), ""],
  ];
  const header = ["", "cached", "naive", "naive/cached"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (r) => r.map((cell, i) => (i === 0 ? String(cell).padEnd(widths[i]) : String(cell).padStart(widths[i]))).join("   ");
  return [line(header), line(header.map((_, i) => "-".repeat(widths[i]))), ...rows.map(line)].join("\n");
}

export function renderTargets(cached, met) {
  const shown = {
    d1_queries_per_1k_views_max: [`D1 queries / 1k views <= ${TARGETS.d1_queries_per_1k_views_max}`, fmt(cached.d1_queries_per_1k_views)],
    hit_ratio_min: [`cache hit ratio >= ${TARGETS.hit_ratio_min}`, fmt(cached.hit_ratio, 4)],
    stale_reads_max: [`stale reads <= ${TARGETS.stale_reads_max}`, String(cached.stale_reads)],
  };
  return Object.entries(shown)
    .map(([k, [label, value]]) => `  ${met[k] ? "met   " : "MISSED"}  ${label.padEnd(30)} measured ${value}`)
    .join("\n");
}

// The whole printed report: heading, table, how it was measured, notes, targets.
export function renderReport({ cached, naive, met, params: p, prices }) {
  const out = [];
  out.push(`\nLattice cache benchmark: ${p.tenants} tenants x ${p.posts} posts (${p.published_posts} published), seed ${p.seed}, ` +
    `${p.views} views, Zipf s=${p.zipf_s}, ${p.list_share * 100}% lists, ${p.feed_share * 100}% feeds, 1 write / ${p.write_every_views} views`);
  out.push(`Steady state: figures are measured after a warm-up of one view per distinct page (${p.warmup_views} views); ` +
    `the "totals" rows include the warm-up. Writes are in the steady-state figures unless marked excluded.\n`);
  out.push(renderTable(cached, naive));
  out.push(`\nCost: Workers Paid list prices as of ${prices.as_of} (bench/prices.json), free allowances ignored; ` +
    "requests, D1 rows, KV, R2, DO priced; CPU time excluded (not measurable under Miniflare); Cache API free.");
  out.push(`Latency: client wall time per request through Miniflare (${p.client} client), one world at a time, ` +
    "one request at a time; local figures, not edge latency. Hit = x-lattice-cache: hit; miss = any other or no value.");
  const notes = [];
  if (!Object.keys(cached.cache_header).some((h) => h !== "absent"))
    notes.push("Note: no response carried x-lattice-cache: this engine has no caching layer yet, so CACHE_MODE is ignored and both worlds are naive.");
  if (naive.hit_ratio > 0) notes.push("Warning: the naive world answered cache hits: CACHE_MODE=off is not honoured.");
  for (const [kind, status] of Object.entries(cached.status_by_kind)) {
    const other = Object.entries(status).filter(([code]) => code !== "200");
    if (other.length) notes.push(`Note: ${kind} views answered ${other.map(([c, n]) => `${c} x${n}`).join(", ")} (cached world).`);
  }
  for (const [name, f] of [["cached", cached], ["naive", naive]]) {
    if (f.write_failures) notes.push(`Warning: ${f.write_failures} writes failed (${name}).`);
    if (f.server_errors) notes.push(`Warning: ${f.server_errors} views answered 5xx (${name}).`);
    if (f.stale_detail.samples.length) notes.push(`Stale reads (${name}), first ones: ${JSON.stringify(f.stale_detail.samples)}`);
  }
  if (notes.length) out.push("", ...notes);
  out.push(`\nTargets (cached world, steady state, writes included):\n${renderTargets(cached, met)}`);
  const missed = Object.keys(met).filter((k) => !met[k]);
  if (missed.length) {
    const banner = `*** ${missed.length} of ${Object.keys(met).length} targets MISSED: ${missed.join(", ")} ***`;
    out.push(process.stdout.isTTY ? `\x1b[1;31m${banner}\x1b[0m` : banner);
  } else {
    out.push("All targets met.");
  }
  return out.join("\n");
}

// bench/results/cache.json: headline figures first, then everything per mode.
export function buildRecord({ cached, naive, met, params, prices, engine, runtimeS }) {
  return {
    benchmark: "cache",
    date: new Date().toISOString(),
    parameters: params,
    engine,
    measured: "steady state after a warm-up of one view per distinct page; totals include the warm-up; writes included unless _excl_writes",
    views: cached.views,
    d1_queries_per_1k_views: cached.d1_queries_per_1k_views,
    d1_queries_per_1k_views_excl_writes: cached.d1_queries_per_1k_views_excl_writes,
    naive_d1_queries_per_1k_views: naive.d1_queries_per_1k_views,
    naive_d1_queries_per_1k_views_excl_writes: naive.d1_queries_per_1k_views_excl_writes,
    naive_over_cached_d1_queries: ratio(naive.d1_queries_per_1k_views, cached.d1_queries_per_1k_views),
    hit_ratio: cached.hit_ratio,
    hit_ratio_counters: cached.hit_ratio_counters,
    stale_reads: cached.stale_reads,
    cost_per_extra_1m_views_usd: { cached: cached.cost_per_extra_1m_views.total_usd, naive: naive.cost_per_extra_1m_views.total_usd },
    cache_header_seen: Object.keys(cached.cache_header).some((h) => h !== "absent"),
    targets: TARGETS,
    targets_met: met,
    all_targets_met: Object.values(met).every(Boolean),
    cached,
    naive,
    prices: { as_of: prices.as_of, file: "bench/prices.json", excluded: ["workers_cpu_ms", "free allowances"] },
    runtime_s: Math.round(runtimeS * 10) / 10,
  };
}
