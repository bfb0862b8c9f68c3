// Marginal cost of one more million views from measured per-view operation counts and
// bench/prices.json (Workers Paid list prices, free allowances ignored). CPU time is not
// measured under Miniflare, so it is excluded; the Cache API has no per-operation charge.
import { readFileSync } from "node:fs";
import { counter } from "./stats.mjs";

export function loadPrices(path) {
  return JSON.parse(readFileSync(path, "utf8"));
}

// counters: effect counters over the phase (writes included); views, requests: in the phase.
// Returns {total_usd, items: {name: {per_view, usd}}}: usd per 1M views.
export function costPerMillionViews(prices, counters, views, requests) {
  const rates = prices.items;
  const usage = {
    workers_requests: requests,
    d1_rows_read: counter(counters, "d1.rows_read"),
    d1_rows_written: counter(counters, "d1.rows_written"),
    kv_reads: counter(counters, "kv.get"),
    kv_writes: counter(counters, "kv.put"),
    kv_deletes: counter(counters, "kv.delete"),
    r2_class_a: counter(counters, "r2.put"),
    r2_class_b: counter(counters, "r2.get") + counter(counters, "r2.head"),
    do_requests: counter(counters, "do.call"),
    cache_api: counter(counters, "cache.match") + counter(counters, "cache.put") + counter(counters, "cache.delete"),
  };
  const items = {};
  let total = 0;
  for (const [name, used] of Object.entries(usage)) {
    const perView = views ? used / views : 0;
    // usd per 1M views = usd per 1M operations × operations per view.
    const usd = (rates[name]?.usd_per_million ?? 0) * perView;
    items[name] = { per_view: Math.round(perView * 1e6) / 1e6, usd: Math.round(usd * 1e6) / 1e6 };
    total += usd;
  }
  return { total_usd: Math.round(total * 1e4) / 1e4, items };
}
