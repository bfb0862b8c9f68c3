// Small statistics helpers: percentiles, counter deltas, rates.

// Nearest-rank percentile of an unsorted array of numbers (null when empty).
export function percentile(values, p) {
  if (!values.length) return null;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1];
}

// {n, p{P}_ms for each P in `ps`, mean_ms} of latencies in ms, to 0.01 ms (nulls when empty).
export function summarize(values, ps = [50, 95, 99]) {
  const round = (x) => (x == null ? null : Math.round(x * 100) / 100);
  const empty = !values?.length;
  const out = { n: empty ? 0 : values.length };
  for (const p of ps) out[`p${p}_ms`] = empty ? null : round(percentile(values, p));
  out.mean_ms = empty ? null : round(values.reduce((a, b) => a + b, 0) / values.length);
  return out;
}

// after - before for every counter in either; a missing counter counts as 0.
export function counterDelta(after, before) {
  const out = {};
  for (const key of new Set([...Object.keys(after), ...Object.keys(before)])) {
    const d = (after[key] ?? 0) - (before[key] ?? 0);
    if (d !== 0) out[key] = d;
  }
  return out;
}

export function addCounters(into, delta) {
  for (const [key, value] of Object.entries(delta)) into[key] = (into[key] ?? 0) + value;
  return into;
}

export const counter = (counters, name) => counters[name] ?? 0;

// D1 queries as the benchmark counts them: single statements plus batches.
export const d1Queries = (counters) => counter(counters, "d1.query") + counter(counters, "d1.batch");

// x per 1,000 views, rounded to 3 decimals (null without views).
export const per1k = (x, views) => (views ? Math.round((x / views) * 1e6) / 1e3 : null);

export const ratio = (a, b) => (b ? Math.round((a / b) * 1e4) / 1e4 : null);
