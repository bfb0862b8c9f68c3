// Markdown rendering benchmark: Lattice's renderer (md4c + our HTML renderer, C++ in wasm) against
// the npm packages marked and markdown-it, all inside workerd (Miniflare) in the same run and the
// same isolate, over the same corpus; plus the same C++ natively. Prints MB/s and ratios and
// writes bench/results/render.json. A measurement: exits 0 even when a target is missed, unless
// --check. Run through scripts/bench-render (which builds the wasm and the native program first).
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { build } from "esbuild";
import { Miniflare } from "miniflare";

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = join(BENCH, "..");
const OUT_DIR = join(ROOT, "build/bench/render");
const NATIVE = join(ROOT, "build/bench/lattice_bench_render");
const require = createRequire(import.meta.url);
const TARGETS = { vs_marked: 3, vs_markdown_it: 2.5 };
const RENDERERS = ["lattice", "lattice-embind", "lattice-json", "marked", "markdown-it"];
const CLOCK_TICKS = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;

const USAGE = `usage: scripts/bench-render [options]      (or: node bench/render.mjs [options])
  --rounds N        measured rounds; each runs every renderer once, in rotating order (default 9)
  --request-ms MS   target wall time of one measured request (default 500)
  --out PATH        results file (default bench/results/render.json)
  --no-native       skip the native run (build/bench/lattice_bench_render)
  --check           exit 1 when a target is missed (default: always exit 0)`;

function parse() {
  const { values } = parseArgs({
    options: {
      rounds: { type: "string", default: "9" },
      "request-ms": { type: "string", default: "500" },
      out: { type: "string", default: join(BENCH, "results/render.json") },
      "no-native": { type: "boolean", default: false },
      check: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const rounds = Number(values.rounds);
  const requestMs = Number(values["request-ms"]);
  if (!Number.isInteger(rounds) || rounds < 1 || !(requestMs >= 50)) {
    console.error(`--rounds must be >= 1 and --request-ms >= 50\n${USAGE}`);
    process.exit(2);
  }
  return { rounds, requestMs, out: values.out, native: !values["no-native"], check: values.check };
}

// The corpus: the CommonMark spec's examples concatenated into one document, the spec's own text
// (a long real-world document), and every demo post. One render call per document.
function buildCorpus() {
  const spec = require("commonmark-spec");
  const docs = [
    {
      name: "commonmark-examples",
      markdown: spec.tests.map((t) => t.markdown.replace(/→/g, "\t")).join("\n"),
    },
    { name: "commonmark-spec-text", markdown: spec.text },
  ];
  const walk = (dir) =>
    readdirSync(dir)
      .sort()
      .flatMap((name) => {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) return walk(path);
        return name.endsWith(".md") ? [path] : [];
      });
  for (const path of walk(join(ROOT, "demo/posts"))) {
    docs.push({ name: `demo/${relative(join(ROOT, "demo/posts"), path)}`, markdown: readFileSync(path, "utf8") });
  }
  return docs;
}

function writeCorpus(docs) {
  rmSync(join(OUT_DIR, "corpus"), { recursive: true, force: true });
  mkdirSync(join(OUT_DIR, "corpus"), { recursive: true });
  docs.forEach((doc, i) => {
    const file = `${String(i).padStart(3, "0")}-${doc.name.replace(/[^A-Za-z0-9.-]+/g, "_")}`;
    writeFileSync(join(OUT_DIR, "corpus", file.endsWith(".md") ? file : `${file}.md`), doc.markdown);
  });
  writeFileSync(join(OUT_DIR, "corpus.mjs"), `export default ${JSON.stringify(docs)};\n`);
}

// marked and markdown-it as one ES module without bare imports, for workerd.
async function bundleVendor() {
  await build({
    stdin: {
      contents: 'export { Marked } from "marked";\nexport { default as MarkdownIt } from "markdown-it";\n',
      resolveDir: ROOT,
      loader: "js",
    },
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    outfile: join(OUT_DIR, "vendor.mjs"),
    logLevel: "warning",
  });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const version = (pkg) => require(`${pkg}/package.json`).version;

async function main() {
  const opts = parse();
  const started = process.hrtime.bigint();
  const docs = buildCorpus();
  const bytes = docs.reduce((n, d) => n + Buffer.byteLength(d.markdown), 0);
  mkdirSync(OUT_DIR, { recursive: true });
  writeCorpus(docs);
  await bundleVendor();
  console.log(`corpus: ${docs.length} documents, ${bytes} bytes (${docs[0].name} ${Buffer.byteLength(docs[0].markdown)} B, ` +
              `${docs[1].name} ${Buffer.byteLength(docs[1].markdown)} B, ${docs.length - 2} demo posts)`);

  let native = null;
  if (opts.native) {
    const out = execFileSync(NATIVE, ["--dir", join(OUT_DIR, "corpus"), "--json"], { encoding: "utf8" });
    native = JSON.parse(out.trim().split("\n").pop());
    if (native.bytes !== bytes) throw new Error(`native corpus is ${native.bytes} bytes, expected ${bytes}`);
    console.log(`native: lattice ${native.native_mbps.toFixed(1)} MB/s, md4c-html ${native.md4c_html_native_mbps.toFixed(1)} MB/s`);
  }

  const mf = new Miniflare({
    modules: true,
    scriptPath: join(BENCH, "render/render-worker.mjs"),
    modulesRoot: ROOT,
    modulesRules: [
      { type: "ESModule", include: ["**/*.mjs"] },
      { type: "CompiledWasm", include: ["**/*.wasm"] },
    ],
    compatibilityDate: "2026-04-01",
    cf: false,
  });
  try {
    const base = await mf.ready;
    const workerd = workerdPid();
    // Node's fetch keeps one connection to workerd open. Each request is timed here, twice: wall
    // time, and the CPU time the workerd process used (/proc/PID/stat), which a machine shared
    // with other work does not inflate. The CPU figure is the headline.
    const get = async (path) => {
      const c0 = cpuMs(workerd);
      const t0 = process.hrtime.bigint();
      const res = await fetch(new URL(path, base));
      const body = await res.json();
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      const cpu = cpuMs(workerd) - c0;
      if (!res.ok) throw new Error(`${path}: ${res.status} ${JSON.stringify(body)}`);
      return { body, ms, cpu };
    };
    const check = (await get("/check")).body;
    console.log(`check: output chars ${JSON.stringify(check.chars)}`);

    // Request overhead: a request that walks the corpus without rendering (median of 15).
    const overheads = [];
    const cpuOverheads = [];
    for (let i = 0; i < 15; i++) {
      const { ms, cpu } = await get("/run?renderer=noop&iterations=1");
      overheads.push(ms);
      cpuOverheads.push(cpu);
    }
    const overheadMs = median(overheads);
    const cpuOverheadMs = median(cpuOverheads);

    // Warm-up and calibration: passes until each renderer has run ~1 s, then the iterations
    // that make one measured request last about --request-ms.
    const iterations = {};
    for (const name of RENDERERS) {
      let n = 1;
      let spent = 0;
      let perPass = 0;
      while (spent < 1000) {
        const { ms } = await get(`/run?renderer=${name}&iterations=${n}`);
        spent += ms;
        perPass = Math.max(ms - overheadMs, 0.01) / n;
        n = Math.min(Math.max(1, Math.round(250 / perPass)), 10000);
      }
      iterations[name] = Math.max(1, Math.round(opts.requestMs / perPass));
    }

    // Measured rounds: every renderer once per round, the order rotating so none always runs
    // first or last; per renderer the median over rounds.
    const samples = Object.fromEntries(RENDERERS.map((n) => [n, []]));
    const wallSamples = Object.fromEntries(RENDERERS.map((n) => [n, []]));
    for (let r = 0; r < opts.rounds; r++) {
      for (let k = 0; k < RENDERERS.length; k++) {
        const name = RENDERERS[(r + k) % RENDERERS.length];
        const { ms, cpu } = await get(`/run?renderer=${name}&iterations=${iterations[name]}`);
        samples[name].push((bytes * iterations[name]) / (Math.max(cpu - cpuOverheadMs, 1) / 1000) / 1e6);
        wallSamples[name].push((bytes * iterations[name]) / ((ms - overheadMs) / 1000) / 1e6);
      }
    }
    const mbps = Object.fromEntries(RENDERERS.map((n) => [n, median(samples[n])]));
    const wallMbps = Object.fromEntries(RENDERERS.map((n) => [n, median(wallSamples[n])]));
    const spread = Object.fromEntries(
      RENDERERS.map((n) => [n, [Math.min(...samples[n]), Math.max(...samples[n])]]),
    );

    const record = {
      lattice_mbps: round(mbps.lattice),
      marked_mbps: round(mbps.marked),
      markdown_it_mbps: round(mbps["markdown-it"]),
      native_mbps: native ? round(native.native_mbps) : null,
      lattice_embind_mbps: round(mbps["lattice-embind"]),
      lattice_json_mbps: round(mbps["lattice-json"]),
      md4c_html_native_mbps: native ? round(native.md4c_html_native_mbps) : null,
      ratios: {
        lattice_vs_marked: round(mbps.lattice / mbps.marked),
        lattice_vs_markdown_it: round(mbps.lattice / mbps["markdown-it"]),
        lattice_embind_vs_marked: round(mbps["lattice-embind"] / mbps.marked),
        lattice_json_vs_marked: round(mbps["lattice-json"] / mbps.marked),
        lattice_json_vs_markdown_it: round(mbps["lattice-json"] / mbps["markdown-it"]),
        wasm_vs_native: native ? round(mbps.lattice / native.native_mbps, 3) : null,
      },
      targets: TARGETS,
      targets_met: {
        vs_marked: mbps.lattice / mbps.marked >= TARGETS.vs_marked,
        vs_markdown_it: mbps.lattice / mbps["markdown-it"] >= TARGETS.vs_markdown_it,
      },
      corpus: {
        documents: docs.length,
        bytes,
        parts: docs.slice(0, 2).map((d) => ({ name: d.name, bytes: Buffer.byteLength(d.markdown) }))
          .concat([{ name: "demo/posts/**/*.md", documents: docs.length - 2,
                     bytes: docs.slice(2).reduce((n, d) => n + Buffer.byteLength(d.markdown), 0) }]),
      },
      method: {
        rounds: opts.rounds,
        iterations_per_request: iterations,
        clock: "CPU time of the workerd process (utime+stime from /proc, 10 ms ticks) per request, minus a no-op request's",
        request_overhead_ms: round(overheadMs),
        request_overhead_cpu_ms: round(cpuOverheadMs),
        wall_clock_mbps: Object.fromEntries(RENDERERS.map((n) => [n, round(wallMbps[n])])),
        wall_clock_ratios: {
          lattice_vs_marked: round(wallMbps.lattice / wallMbps.marked),
          lattice_vs_markdown_it: round(wallMbps.lattice / wallMbps["markdown-it"]),
        },
        mbps_min_max: Object.fromEntries(RENDERERS.map((n) => [n, spread[n].map((x) => round(x))])),
        mb: "10^6 bytes of UTF-8 markdown input",
      },
      versions: {
        marked: version("marked"),
        "markdown-it": version("markdown-it"),
        "commonmark-spec": version("commonmark-spec"),
        miniflare: version("miniflare"),
        md4c: "0.4.8",
      },
      wasm_bytes: statSync(join(ROOT, "build/wasm/lattice.wasm")).size,
      run_seconds: round(Number(process.hrtime.bigint() - started) / 1e9, 1),
      measured_at: new Date().toISOString(),
    };
    report(record);
    mkdirSync(dirname(opts.out), { recursive: true });
    writeFileSync(opts.out, `${JSON.stringify(record, null, 2)}\n`);
    console.log(`wrote ${relative(process.cwd(), opts.out) || opts.out}`);
    if (opts.check && !(record.targets_met.vs_marked && record.targets_met.vs_markdown_it)) process.exitCode = 1;
  } finally {
    await mf.dispose();
  }
}

// The workerd process Miniflare started (a child of this process).
function workerdPid() {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[1]) === process.pid && stat.includes("(workerd")) return Number(entry);
    } catch {}
  }
  throw new Error("workerd process not found");
}

// utime + stime of a process, in ms.
function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}

function round(x, digits = 2) {
  return Math.round(x * 10 ** digits) / 10 ** digits;
}

function report(r) {
  const row = (name, value, note = "") => console.log(`${name.padEnd(34)} ${String(value).padStart(9)}  ${note}`);
  console.log("");
  row("renderer (inside workerd)", "MB/s", "(CPU time)");
  row("lattice (renderMarkdownHtml)", r.lattice_mbps.toFixed(1), `${r.ratios.lattice_vs_marked}x marked, ${r.ratios.lattice_vs_markdown_it}x markdown-it`);
  row("lattice (embind strings)", r.lattice_embind_mbps.toFixed(1), `${r.ratios.lattice_embind_vs_marked}x marked`);
  row("lattice (renderMarkdown + JSON)", r.lattice_json_mbps.toFixed(1), `${r.ratios.lattice_json_vs_marked}x marked, ${r.ratios.lattice_json_vs_markdown_it}x markdown-it`);
  row(`marked ${r.versions.marked}`, r.marked_mbps.toFixed(1));
  row(`markdown-it ${r.versions["markdown-it"]}`, r.markdown_it_mbps.toFixed(1));
  if (r.native_mbps !== null) {
    row("lattice native (Release)", r.native_mbps.toFixed(1), `wasm/native ${r.ratios.wasm_vs_native}`);
    row("md4c-html native (reference)", r.md4c_html_native_mbps.toFixed(1));
  }
  const ok = (b) => (b ? "met" : "MISSED");
  console.log(`targets: >= ${r.targets.vs_marked}x marked ${ok(r.targets_met.vs_marked)}, ` +
              `>= ${r.targets.vs_markdown_it}x markdown-it ${ok(r.targets_met.vs_markdown_it)}`);
  console.log(`wall clock (shared machine): lattice ${r.method.wall_clock_mbps.lattice} MB/s, ` +
              `${r.method.wall_clock_ratios.lattice_vs_marked}x marked, ${r.method.wall_clock_ratios.lattice_vs_markdown_it}x markdown-it`);
  console.log(`request overhead ${r.method.request_overhead_ms} ms wall, ${r.method.request_overhead_cpu_ms} ms CPU (subtracted); iterations per request ${JSON.stringify(r.method.iterations_per_request)}; run ${r.run_seconds} s`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
