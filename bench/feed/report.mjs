// The feed benchmark's figures: targets, the printed tables and bench/results/feed.json.
import { percentile } from "../lib/stats.mjs";

export const TARGETS = { warm_d1_queries_per_read_max: 0, warm_p50_below_naive_p50: true };

// On Cloudflare, work a request left under ctx.waitUntil is cancelled 30 s after its response.
export const WAIT_UNTIL_LIMIT_MS = 30_000;

const round = (x, d = 2) => (x == null ? null : Math.round(x * 10 ** d) / 10 ** d);
const ratio = (a, b) => (a && b != null ? round(b / a, 2) : null);

// Warm recent pages 1 and 2 (every measured FeedDO read of both) against the join's same pages.
export function checkTargets(reads) {
  const L = reads.latency_ms;
  return {
    warm_d1_queries_per_read_max: reads.per_read.feed.d1_queries <= TARGETS.warm_d1_queries_per_read_max,
    warm_p50_below_naive_p50: L.recent_p1.p50_ms < L.naive_p1.p50_ms && (!L.recent_p2.n || L.recent_p2.p50_ms < L.naive_p2.p50_ms),
  };
}

const mean = (xs) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);

// Per group of publishes ("many" followers, "few"): means, and percentiles of the timings.
export function publishFigures(publishes) {
  const groups = {};
  for (const name of ["many", "few", "all"]) {
    const ps = publishes.filter((p) => name === "all" || p.group === name);
    if (!ps.length) continue;
    const col = (k) => ps.map((p) => p[k]).filter((x) => x != null);
    groups[name] = {
      publishes: ps.length,
      failed: ps.filter((p) => p.status !== 200).length,
      followers_mean: round(mean(col("followers")), 1),
      followers_min: Math.min(...col("followers")),
      followers_max: Math.max(...col("followers")),
      feed_objects_told_mean: round(mean(col("feed_objects_told")), 1),
      feed_objects_told_equals_followers: ps.filter((p) => p.feed_objects_told === p.followers).length,
      d1_queries_mean: round(mean(col("d1_queries")), 2),
      d1_queries_min: Math.min(...col("d1_queries")),
      d1_queries_max: Math.max(...col("d1_queries")),
      do_calls_mean: round(mean(col("do_calls")), 1),
      response_ms: { p50: round(percentile(col("response_ms"), 50)), p95: round(percentile(col("response_ms"), 95)) },
      fanout_done_ms: { p50: round(percentile(col("fanout_done_ms"), 50)), p95: round(percentile(col("fanout_done_ms"), 95)),
        max: round(Math.max(...col("fanout_done_ms"))) },
      per_follower_ms: { mean: round(mean(col("per_follower_ms")), 3), p50: round(percentile(col("per_follower_ms"), 50), 3),
        min: round(Math.min(...col("per_follower_ms")), 3), max: round(Math.max(...col("per_follower_ms")), 3) },
      after_response_ms_max: round(Math.max(...col("after_response_ms"))),
      over_wait_until_limit: ps.filter((p) => p.after_response_ms > WAIT_UNTIL_LIMIT_MS).length,
      sampled_followers: ps.reduce((n, p) => n + p.sampled, 0),
      visible_in_sampled: ps.reduce((n, p) => n + p.visible_in_sampled, 0),
    };
  }
  return groups;
}

const fmt = (x, d = 1) => (x == null ? "n/a" : typeof x === "number" ? x.toFixed(d) : String(x));
const lat = (s) => (s.n ? `${fmt(s.p50_ms)} / ${fmt(s.p95_ms)} / ${fmt(s.p99_ms)} / ${fmt(s.mean_ms)}` : "n/a");

function table(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (r) => r.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join("   ");
  return [line(header), line(header.map((_, i) => "-".repeat(widths[i]))), ...rows.map(line)].join("\n");
}

export function renderReport({ plan, reads, publishes, met, params: p, timings, resets }) {
  const L = reads.latency_ms;
  const F = reads.per_read.feed;
  const N = reads.per_read.naive;
  const s = plan.summary;
  const out = [];
  out.push(`\nLattice Meadow feed benchmark: ${p.readers} readers, ${p.posts} posts over ${p.tenants} authors ` +
    `(${s.posts_per_tenant.min}-${s.posts_per_tenant.max} posts each, median ${s.posts_per_tenant.median}; last ${s.window_days} days), seed ${p.seed}`);
  out.push(`Follows: ${s.follows} (${s.follows_per_reader_mean} per reader, 1-15), authors by Zipf s=${p.zipf_s}: ` +
    `most followed ${s.top5_followers.join(", ")}; median author ${s.followers_per_tenant.median} followers.`);
  out.push(`Set-up ${fmt(timings.setup_s)} s (${p.concurrency} clients: sign-ups ${fmt(timings.signups_s)} s, follows + first read ` +
    `${fmt(timings.follows_s)} s), catalog render ${fmt(timings.render_s)} s, start + load ${fmt(timings.start_load_s)} s.\n`);
  out.push(`Feed page (limit ${p.page_size}), client latency in ms, p50 / p95 / p99 / mean:`);
  out.push(table(["", "FeedDO (warm)", "naive D1 join", "naive/warm p50", "p95"], [
    ["recent, page 1", lat(L.recent_p1), lat(L.naive_p1), fmt(ratio(L.recent_p1.p50_ms, L.naive_p1.p50_ms), 2) + "x",
      fmt(ratio(L.recent_p1.p95_ms, L.naive_p1.p95_ms), 2) + "x"],
    ["recent, page 2 (cursor)", lat(L.recent_p2), lat(L.naive_p2), fmt(ratio(L.recent_p2.p50_ms, L.naive_p2.p50_ms), 2) + "x",
      fmt(ratio(L.recent_p2.p95_ms, L.naive_p2.p95_ms), 2) + "x"],
    ["relevance, page 1", lat(L.relevance_p1), "-", "", ""],
    ["relevance, page 2 (cursor)", lat(L.relevance_p2), "-", "", ""],
    ["wake-up read (object idle)", lat(L.first_feed), lat(L.first_naive), "", ""],
    ["D1 queries / read", fmt(F.d1_queries, 3), fmt(N.d1_queries, 3), "", ""],
    ["D1 rows read / read", fmt(F.d1_rows_read, 1), fmt(N.d1_rows_read, 1), "", ""],
    ["KV reads / read (reader token)", fmt(F.kv_reads, 3), fmt(N.kv_reads, 3), "", ""],
    ["object calls / read", fmt(F.do_calls, 3), fmt(N.do_calls, 3), "", ""],
    ["reads (all, incl. wake-up)", reads.reads.feed, reads.reads.naive, "", ""],
  ]));
  const c = reads.check;
  out.push(`Pages compared (recent 1 and 2, FeedDO vs join): ${c.pages_identical}/${c.pages_compared} identical; ` +
    `${c.readers_with_page2} of ${c.readers} readers had a page 2 (recent), ${c.readers_with_relevance_page2} (relevance); ` +
    `non-200 answers: ${c.non200}; feed rebuilds during the phase: ${fmt(F.feed_rebuilds * reads.reads.feed, 0)}.`);
  if (c.mismatches.length) out.push(`Mismatched pages, first ones: ${JSON.stringify(c.mismatches)}`);

  const g = publishFigures(publishes);
  if (g.all) {
    const cols = ["many", "few"].filter((k) => g[k]);
    const row = (label, f) => [label, ...cols.map((k) => f(g[k]))];
    out.push(`\nFan-out per publish (PUT {status: "published"} of a draft; every follower is active):`);
    out.push(table(["", ...cols.map((k) => `${k === "many" ? "most followed" : "fewest followers"} (${g[k].publishes})`)], [
      row("followers (mean, min-max)", (x) => `${fmt(x.followers_mean)} (${x.followers_min}-${x.followers_max})`),
      row("FeedDOs told (meadow.fanout)", (x) => `${fmt(x.feed_objects_told_mean)} (= followers ${x.feed_objects_told_equals_followers}/${x.publishes})`),
      row("D1 queries (write + fan-out)", (x) => `${fmt(x.d1_queries_mean, 2)} (${x.d1_queries_min}-${x.d1_queries_max})`),
      row("object calls (all)", (x) => fmt(x.do_calls_mean)),
      row("publish response p50 / p95 ms", (x) => `${fmt(x.response_ms.p50)} / ${fmt(x.response_ms.p95)}`),
      row("fan-out done p50 / p95 / max ms", (x) => `${fmt(x.fanout_done_ms.p50)} / ${fmt(x.fanout_done_ms.p95)} / ${fmt(x.fanout_done_ms.max)}`),
      row("  (done - response) / told: p50 (min-max) ms", (x) => `${fmt(x.per_follower_ms.p50, 2)} (${fmt(x.per_follower_ms.min, 1)}-${fmt(x.per_follower_ms.max, 1)})`),
      row("post on top of sampled feeds", (x) => `${x.visible_in_sampled}/${x.sampled_followers}`),
      row("failed publishes", (x) => x.failed),
      row("after-response > 30 s", (x) => `${x.over_wait_until_limit} (longest ${fmt(x.after_response_ms_max / 1000)} s)`),
    ]));
    out.push("Fan-out done = from sending the PUT until the Worker's after-response work (background.pending) is back to 0: " +
      "by then every active follower's FeedDO has stored the post (the Worker awaits each call in turn). " +
      "With few followers the write's own after-response work dominates the per-follower figure.");
    if (g.all.over_wait_until_limit)
      out.push(`Warning: ${g.all.over_wait_until_limit} fan-outs ran longer than 30 s after their response; on Cloudflare, ` +
        "ctx.waitUntil work is cancelled then, so the followers after that point would miss the post until a rebuild.");
  }
  if (resets.count) out.push(`Note: ${resets.count} GETs were sent again after workerd reset their connection: ${JSON.stringify(resets.samples)}`);
  const m = p.machine;
  out.push(`\nRun time ${fmt(timings.total_s)} s: set-up ${fmt(timings.setup_s)} s, reads ${fmt(timings.reads_s)} s, fan-out ${fmt(timings.fanout_s)} s ` +
    `(${m.cpus} CPUs, load average ${m.loadavg_1_5_15.start[0]} at the start, ${m.loadavg_1_5_15.end[0]} at the end).`);
  out.push("Latency: client wall time through Miniflare on this machine (one keep-alive connection, one request at a time), " +
    "good for comparing the two paths in one world, not a prediction of edge latency.");
  const shown = {
    warm_d1_queries_per_read_max: [`D1 queries per warm read <= ${TARGETS.warm_d1_queries_per_read_max}`, fmt(F.d1_queries, 3)],
    warm_p50_below_naive_p50: ["warm p50 < naive p50 (recent 1, 2)", `${fmt(L.recent_p1.p50_ms)} < ${fmt(L.naive_p1.p50_ms)}, ${fmt(L.recent_p2.p50_ms)} < ${fmt(L.naive_p2.p50_ms)}`],
  };
  out.push("\nTargets:");
  for (const [k, [label, value]] of Object.entries(shown)) out.push(`  ${met[k] ? "met   " : "MISSED"}  ${label.padEnd(38)} measured ${value}`);
  const missed = Object.keys(met).filter((k) => !met[k]);
  if (missed.length) {
    const banner = `*** ${missed.length} of ${Object.keys(met).length} targets MISSED: ${missed.join(", ")} ***`;
    out.push(process.stdout.isTTY ? `\x1b[1;31m${banner}\x1b[0m` : banner);
  } else out.push("All targets met.");
  return out.join("\n");
}

export function buildRecord({ plan, reads, publishes, met, params, timings, resets, engine }) {
  const L = reads.latency_ms;
  const groups = publishFigures(publishes);
  return {
    benchmark: "feed",
    date: new Date().toISOString(),
    parameters: params,
    engine,
    world: plan.summary,
    measured: "per reader: one wake-up read of each path (object idle since set-up), then recent pages 1-2 from FeedDO and from the naive D1 join (alternating which goes first), then relevance pages 1-2 from FeedDO; counters differenced around the whole read phase, wake-up reads included",
    warm_p50_ms: { recent_p1: L.recent_p1.p50_ms, recent_p2: L.recent_p2.p50_ms, relevance_p1: L.relevance_p1.p50_ms },
    naive_p50_ms: { recent_p1: L.naive_p1.p50_ms, recent_p2: L.naive_p2.p50_ms },
    naive_over_warm_p50: { recent_p1: ratio(L.recent_p1.p50_ms, L.naive_p1.p50_ms), recent_p2: ratio(L.recent_p2.p50_ms, L.naive_p2.p50_ms) },
    d1_queries_per_read: { feed_warm: reads.per_read.feed.d1_queries, naive: reads.per_read.naive.d1_queries },
    fanout: groups,
    targets: TARGETS,
    targets_met: met,
    all_targets_met: Object.values(met).every(Boolean),
    connection_resets: resets,
    reads,
    publishes,
    timings_s: timings,
    runtime_s: timings.total_s,
  };
}
