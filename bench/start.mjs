// Cold start: how long Lattice takes from a fresh isolate to its first answer, beside a baseline
// Worker with no wasm in the same run (bench/README.md, "scripts/bench-start").
//
// 1. In Node: compiling lattice.wasm, instantiating it with its glue (createModule), creating
//    the Engine, and its first request (the landing page), each timed alone, median of --runs.
// 2. In workerd (Miniflare): for --rounds rounds, each world (Lattice with the demo data, and
//    bench/start/hello-worker.mjs) is restarted (a new isolate, as after a deploy or an
//    eviction), then the first request is timed, then --warm more. Cold cost = first − warm
//    median. Requests: the main host's landing page (the engine alone, no D1) and a demo blog
//    page (`/blog`, the first read of D1 and the caches).
//
// Prints a table; writes bench/results/start.json (--out). workerd freezes its clocks while a
// request runs, so every figure is measured from Node around whole requests.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { gzipSync } from "node:zlib";
import { Miniflare } from "miniflare";
import { ROOT, World } from "../tests/support/world.mjs";
import { withStrings } from "../worker-shim/engine-strings.mjs";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith("--") ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const RUNS = Number(args.runs ?? 20);
const ROUNDS = Number(args.rounds ?? 15);
const WARM = Number(args.warm ?? 5);
const OUT = args.out ?? join(ROOT, "bench/results/start.json");

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const p95 = (xs) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(xs.length * 0.95) - 1)];
const ms = (x) => `${x.toFixed(2)} ms`;

async function timed(fn) {
  const t = performance.now();
  const value = await fn();
  return [performance.now() - t, value];
}

// ---- 1. In Node ----
const wasmBytes = readFileSync(join(ROOT, "build/wasm/lattice.wasm"));
const glue = readFileSync(join(ROOT, "build/wasm/lattice.mjs"));
const { default: createModule } = await import(join(ROOT, "build/wasm/lattice.mjs"));
const node = { compile: [], instantiate: [], engine: [], firstRequest: [] };
const landing = JSON.stringify({ request: { method: "GET", url: "http://localhost:8787/", headers: { host: "localhost:8787" } }, now: Date.now(), random: "0".repeat(64) });
for (let i = 0; i < RUNS; i++) {
  const [compile, wasmModule] = await timed(() => WebAssembly.compile(wasmBytes));
  const [instantiate, module] = await timed(() =>
    createModule({
      instantiateWasm(imports, done) {
        const instance = new WebAssembly.Instance(wasmModule, imports);
        done(instance, wasmModule);
        return instance.exports;
      },
    }),
  );
  const vars = JSON.stringify({ BASE_DOMAIN: "localhost" });
  const [engine, e] = await timed(async () => withStrings(module, new module.Engine(vars)));
  const [first, step] = await timed(async () => JSON.parse(e.begin(landing)));
  if (step.response?.status !== 200) throw new Error(`the landing page answered ${JSON.stringify(step).slice(0, 200)}`);
  e.delete();
  node.compile.push(compile);
  node.instantiate.push(instantiate);
  node.engine.push(engine);
  node.firstRequest.push(first);
}

// ---- 2. In workerd ----
const lattice = await World.start({ seed: true });
const hello = new Miniflare({
  modules: true,
  scriptPath: join(ROOT, "bench/start/hello-worker.mjs"),
  compatibilityDate: "2026-04-01",
});
await hello.ready;
const helloOptions = { modules: true, scriptPath: join(ROOT, "bench/start/hello-worker.mjs"), compatibilityDate: "2026-04-01" };

const worlds = {
  lattice_landing: { restart: () => lattice.restart(), get: () => lattice.fetch("localhost:8787", "/") },
  lattice_blog: { restart: () => lattice.restart(), get: () => lattice.fetch("demo.localhost:8787", "/blog") },
  baseline: {
    restart: async () => {
      await hello.setOptions(helloOptions);
      await hello.ready;
    },
    get: () => hello.dispatchFetch("http://localhost:8787/"),
  },
};
const workerd = {};
for (const name of Object.keys(worlds)) workerd[name] = { first: [], warm: [] };
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, world] of Object.entries(worlds)) {
    await world.restart();
    const [first, res] = await timed(async () => {
      const r = await world.get();
      await r.arrayBuffer();
      return r;
    });
    if (res.status !== 200) throw new Error(`${name} answered ${res.status}`);
    const warm = [];
    for (let i = 0; i < WARM; i++) {
      const [t] = await timed(async () => (await world.get()).arrayBuffer());
      warm.push(t);
    }
    workerd[name].first.push(first);
    workerd[name].warm.push(median(warm));
  }
}
await hello.dispose();
await lattice.dispose();

// ---- Report ----
const summary = (xs) => ({ median_ms: +median(xs).toFixed(3), p95_ms: +p95(xs).toFixed(3) });
const result = {
  date: new Date().toISOString(),
  runs: RUNS,
  rounds: ROUNDS,
  sizes: {
    wasm_bytes: wasmBytes.length,
    wasm_gzip_bytes: gzipSync(wasmBytes, { level: 9 }).length,
    glue_bytes: glue.length,
    glue_gzip_bytes: gzipSync(glue, { level: 9 }).length,
  },
  node: Object.fromEntries(Object.entries(node).map(([k, v]) => [k, summary(v)])),
  workerd: Object.fromEntries(
    Object.entries(workerd).map(([k, v]) => {
      const cold = v.first.map((f, i) => f - v.warm[i]);
      return [k, { first: summary(v.first), warm: summary(v.warm), cold_cost: summary(cold) }];
    }),
  ),
};
result.node.total_ms = +(result.node.compile.median_ms + result.node.instantiate.median_ms + result.node.engine.median_ms + result.node.firstRequest.median_ms).toFixed(3);
mkdirSync(dirname(OUT), { recursive: true });
writeFileSync(OUT, `${JSON.stringify(result, null, 2)}\n`);

const s = result.sizes;
console.log(`\nCold start (${RUNS} runs in Node, ${ROUNDS} restarts in workerd; medians, p95 in brackets)`);
console.log(`wasm ${s.wasm_bytes} B (${s.wasm_gzip_bytes} B gzip), glue ${s.glue_bytes} B (${s.glue_gzip_bytes} B gzip)\n`);
console.log("In Node (V8), one step at a time:");
for (const [k, label] of [["compile", "WebAssembly.compile"], ["instantiate", "instantiate + glue"], ["engine", "new Engine(vars)"], ["firstRequest", "first request (landing)"]])
  console.log(`  ${label.padEnd(26)} ${ms(result.node[k].median_ms).padStart(10)}  [${ms(result.node[k].p95_ms)}]`);
console.log(`  ${"total".padEnd(26)} ${ms(result.node.total_ms).padStart(10)}`);
console.log("\nIn workerd, from a restarted isolate:");
console.log(`  ${"".padEnd(26)} ${"first".padStart(10)} ${"warm".padStart(10)} ${"cold cost".padStart(10)}`);
for (const [k, label] of [["baseline", "baseline (no wasm)"], ["lattice_landing", "Lattice, landing page"], ["lattice_blog", "Lattice, demo /blog"]]) {
  const w = result.workerd[k];
  console.log(`  ${label.padEnd(26)} ${ms(w.first.median_ms).padStart(10)} ${ms(w.warm.median_ms).padStart(10)} ${ms(w.cold_cost.median_ms).padStart(10)}`);
}
console.log(`\nLattice's cold cost over the baseline's (landing): ${ms(result.workerd.lattice_landing.cold_cost.median_ms - result.workerd.baseline.cold_cost.median_ms)}`);
console.log(`written: ${OUT}`);
