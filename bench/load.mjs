// Load benchmark (issue 8, "Load with nothing lost"): wrk against `wrangler dev` on a throwaway
// local state with the demo blogs. Scenario 1 replays cached public pages; scenario 2 is a mixed
// stream of page reads and reader writes (reactions and comments, each with a nonce unique to
// the run) from many readers. Prints requests/s and latency percentiles, then waits for the
// PostMetaDOs' alarms to bring the writes to D1 and checks that every acknowledged write is
// there exactly once. Writes bench/results/load.json; exits 1 when an acknowledged write is
// missing or duplicated (or a refused one was stored). Run through scripts/bench-load (which
// installs wrk and builds the wasm first).
import { execFile, spawn, spawnSync } from "node:child_process";
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import { loadavg, tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { elapsedS, engineInfo, log, parseOptions, sleep } from "./lib/cli.mjs";
import { counterDelta, d1Queries, summarize } from "./lib/stats.mjs";

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = join(BENCH, "..");
const WRANGLER = join(ROOT, "node_modules/.bin/wrangler");
const TYPES = ["like", "love", "insightful", "laugh"];
const RAISED_LIMIT = 100000; // the largest the config accepts

const USAGE = `usage: scripts/bench-load [options]      (or: node bench/load.mjs [options], once build/wasm exists)
  --duration S     seconds of each scenario (default 20)
  --threads T      wrk threads for the cached pages (default 2)
  --connections C  connections for the cached pages (default 32)
  --writers W      connections of the mixed stream, one per wrk thread (default 8)
  --readers R      readers signed up before the mixed stream (default 200)
  --posts P        published demo posts the mixed stream reads and writes to (default 8)
  --reactions N    percent of mixed requests that toggle a reaction (default 10)
  --comments N     percent of mixed requests that post a comment (default 10)
  --flush S        COMMENTS_FLUSH_SECONDS and REACTIONS_FLUSH_SECONDS for the run (default 2)
  --wait S         longest wait for D1 to hold what the objects hold (default 120)
  --port N         wrangler dev's port (default 8799; its inspector gets N+1)
  --keep-state     keep the throwaway state folder (kept anyway when the check fails)
  --out PATH       results file (default bench/results/load.json)`;

function parse() {
  const { values, int } = parseOptions(
    {
      duration: { type: "string", default: "20" },
      threads: { type: "string", default: "2" },
      connections: { type: "string", default: "32" },
      writers: { type: "string", default: "8" },
      readers: { type: "string", default: "200" },
      posts: { type: "string", default: "8" },
      reactions: { type: "string", default: "10" },
      comments: { type: "string", default: "10" },
      flush: { type: "string", default: "2" },
      wait: { type: "string", default: "120" },
      port: { type: "string", default: "8799" },
      "keep-state": { type: "boolean", default: false },
      out: { type: "string", default: join(BENCH, "results/load.json") },
    },
    USAGE,
  );
  const o = {
    ...values, duration: int("duration", 1), threads: int("threads", 1), connections: int("connections", 1),
    writers: int("writers", 1), readers: int("readers", 1), posts: int("posts", 1), reactions: int("reactions", 0),
    comments: int("comments", 0), flush: int("flush", 1), wait: int("wait", 1), port: int("port", 1024),
  };
  if (o.connections < o.threads) o.connections = o.threads;
  if (o.readers < o.writers) {
    console.error(`--readers must be at least --writers (each writer thread has readers of its own)\n${USAGE}`);
    process.exit(2);
  }
  if (o.reactions + o.comments > 100) {
    console.error(`--reactions + --comments must be at most 100\n${USAGE}`);
    process.exit(2);
  }
  return o;
}

const round = (x, d = 2) => (x == null ? null : Math.round(x * 10 ** d) / 10 ** d);
const fmt = (x, d = 1) => (x == null ? "n/a" : typeof x === "number" ? x.toFixed(d) : String(x));
const int = (x) => (x == null ? "n/a" : Math.round(x).toLocaleString("en-US"));

function table(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (r) => r.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join("   ");
  return [line(header), line(header.map((_, i) => "-".repeat(widths[i]))), ...rows.map(line)].join("\n");
}

// ---- wrangler dev on a throwaway state ----

class Dev {
  constructor(opts, state) {
    this.port = opts.port;
    this.state = state;
    this.logPath = join(state, "wrangler.log");
    this.vars = {
      BASE_DOMAIN: "localhost",
      LATTICE_DEV: "1",
      READER_SIGNUPS_PER_MINUTE: String(RAISED_LIMIT),
      REACTIONS_PER_MINUTE: String(RAISED_LIMIT),
      COMMENTS_PER_MINUTE: String(RAISED_LIMIT),
      COMMENTS_FLUSH_SECONDS: String(opts.flush),
      REACTIONS_FLUSH_SECONDS: String(opts.flush),
    };
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  }

  async start() {
    const fd = openSync(this.logPath, "w");
    const args = ["dev", "--ip", "127.0.0.1", "--port", String(this.port), "--inspector-port", String(this.port + 1),
      "--persist-to", this.state, "--show-interactive-dev-session=false", "--log-level", "warn",
      ...Object.entries(this.vars).flatMap(([k, v]) => ["--var", `${k}:${v}`])];
    // Its own process group, so that workerd goes with it should wrangler not take it along.
    this.child = spawn(WRANGLER, args, { cwd: ROOT, detached: true, stdio: ["ignore", fd, fd] });
    closeSync(fd);
    this.exited = new Promise((r) => this.child.once("exit", (code, signal) => r({ code, signal })));
    const deadline = performance.now() + 120_000;
    for (;;) {
      const early = await Promise.race([this.exited, sleep(500).then(() => null)]);
      if (early) throw new Error(`wrangler dev exited (${JSON.stringify(early)}); its log: ${this.logPath}\n${this.tail()}`);
      try {
        const res = await this.request(`localhost:${this.port}`, "/");
        if (res.status === 200) return;
      } catch {
        // not listening yet
      }
      if (performance.now() > deadline) throw new Error(`wrangler dev did not answer within 120 s; its log: ${this.logPath}`);
    }
  }

  tail() {
    try {
      return readFileSync(this.logPath, "utf8").split("\n").slice(-20).join("\n");
    } catch {
      return "";
    }
  }

  // Stops wrangler by its pid, then anything left in its process group (workerd).
  async stop() {
    if (!this.child || this.child.exitCode != null || this.child.signalCode != null) return;
    const pid = this.child.pid;
    this.agent.destroy();
    try {
      process.kill(pid, "SIGTERM");
    } catch {
      // gone already
    }
    await Promise.race([this.exited, sleep(10_000)]);
    for (const signal of ["SIGTERM", "SIGKILL"]) {
      try {
        process.kill(-pid, 0);
      } catch {
        return; // the group is empty
      }
      try {
        process.kill(-pid, signal);
      } catch {
        return;
      }
      await sleep(2000);
    }
  }

  request(host, path, { method = "GET", headers = {}, body } = {}) {
    return new Promise((resolve, reject) => {
      const hdrs = { ...headers, host };
      if (body !== undefined) hdrs["content-length"] = Buffer.byteLength(body);
      const req = http.request({ host: "127.0.0.1", port: this.port, path, method, agent: this.agent, headers: hdrs }, (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
      });
      req.setTimeout(60_000, () => req.destroy(new Error(`${method} ${host}${path}: no answer in 60 s`)));
      req.on("error", reject);
      req.end(body);
    });
  }

  async json(host, path, init) {
    const res = await this.request(host, path, init);
    let body = null;
    try {
      body = JSON.parse(res.body);
    } catch {
      // left null
    }
    return { status: res.status, body };
  }

  async counters() {
    const res = await this.json(`localhost:${this.port}`, "/__lattice/metrics");
    if (res.status !== 200) throw new Error(`/__lattice/metrics answered ${res.status}`);
    return res.body.counters ?? {};
  }

  // Counters once the Worker's after-response work (view counts to the PostMetaDOs, cache fills)
  // is done.
  async quietCounters(timeoutMs = 60_000) {
    const start = performance.now();
    for (;;) {
      const c = await this.counters();
      if ((c["background.pending"] ?? 0) <= 0 || performance.now() - start > timeoutMs) return c;
      await sleep(200);
    }
  }

  // Statements against the local D1 (the same SQLite file wrangler dev serves), in one wrangler
  // call (each costs seconds): the rows of each statement, in order.
  async d1(...statements) {
    const { stdout } = await promisify(execFile)(WRANGLER, ["d1", "execute", "DB", "--local", "--persist-to", this.state, "--json", "--command", statements.join(";\n")], {
      cwd: ROOT, maxBuffer: 256 << 20, env: { ...process.env, CI: "1", WRANGLER_SEND_METRICS: "false" },
    });
    return JSON.parse(stdout).map((r) => r.results);
  }
}

const sqlString = (s) => `'${String(s).replaceAll("'", "''")}'`;

function prepareState(state) {
  // The same preparation as scripts/dev (migrations, then the demo data), into this folder.
  const r = spawnSync("bash", ["-c", 'source scripts/lib/common.sh && prepare_local_db "$1"', "prepare", state], {
    cwd: ROOT, stdio: ["ignore", process.stderr, process.stderr],
  });
  if (r.status !== 0) throw new Error(`preparing the local D1 in ${state} failed (exit ${r.status})`);
}

// Runs wrk with a Lua script whose done() writes its JSON report to `outPath`.
async function runWrk({ threads, connections, duration, script, configPath, outPath, port }) {
  const args = ["-t", String(threads), "-c", String(connections), "-d", `${duration}s`, "--timeout", "10s",
    "-s", join(BENCH, "load", script), `http://127.0.0.1:${port}`, "--", configPath, outPath];
  const child = spawn("wrk", args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let text = "";
  child.stdout.on("data", (d) => (text += d));
  child.stderr.on("data", (d) => (text += d));
  const code = await new Promise((r) => child.once("exit", r));
  if (code !== 0) throw new Error(`wrk exited ${code}:\n${text}`);
  return JSON.parse(readFileSync(outPath, "utf8"));
}

// A Lua table literal for the wrk scripts' config files.
function lua(v) {
  if (Array.isArray(v)) return `{${v.map(lua).join(", ")}}`;
  if (v && typeof v === "object") return `{${Object.entries(v).map(([k, x]) => `${k} = ${lua(x)}`).join(", ")}}`;
  if (typeof v === "string") return JSON.stringify(v);
  return String(v);
}

const wrkLatency = (r) => ({
  p50_ms: round(r.latency_ms.percentiles["50"]),
  p90_ms: round(r.latency_ms.percentiles["90"]),
  p99_ms: round(r.latency_ms.percentiles["99"]),
  mean_ms: round(r.latency_ms.mean),
});

const sum = (o) => Object.values(o ?? {}).reduce((a, b) => a + b, 0);
const asArray = (x) => (Array.isArray(x) ? x : x && typeof x === "object" ? Object.values(x) : []);

// ---- the scenarios ----

async function pickPosts(dev, n) {
  const [rows] = await dev.d1(
    "SELECT p.id, p.slug, t.subdomain FROM posts p JOIN tenants t ON t.id = p.tenant_id " +
    `WHERE p.status = 'published' AND p.published_at <= ${Date.now()} ORDER BY t.subdomain, p.published_at DESC`);
  const bySub = new Map();
  for (const r of rows) bySub.set(r.subdomain, [...(bySub.get(r.subdomain) ?? []), r]);
  const picked = [];
  // Round-robin over the blogs, newest posts first.
  for (let i = 0; picked.length < n && i < rows.length; i++) {
    for (const list of bySub.values()) if (list[i] && picked.length < n) picked.push(list[i]);
  }
  if (picked.length < n) log(`only ${picked.length} published posts: using them all`);
  return { posts: picked, tenants: [...bySub.keys()] };
}

async function cachedPages(dev, opts, work, posts, tenants) {
  const host = (sub) => `${sub}.localhost:${opts.port}`;
  const pages = [
    ...tenants.flatMap((t) => [{ host: host(t), path: "/blog" }, { host: host(t), path: "/blog?page=2" }, { host: host(t), path: "/feed.xml" }]),
    ...posts.map((p) => ({ host: host(p.subdomain), path: `/blog/${p.slug}` })),
  ];
  // Warm-up: each page twice, so the run measures the cached state.
  for (let i = 0; i < 2; i++) {
    for (const p of pages) {
      const res = await dev.request(p.host, p.path);
      if (res.status !== 200) throw new Error(`warm-up: ${p.host}${p.path} answered ${res.status}`);
    }
  }
  const configPath = join(work, "pages.lua");
  writeFileSync(configPath, `return ${lua({ pages })}\n`);
  const before = await dev.quietCounters();
  log(`scenario 1: cached pages, ${pages.length} URLs, wrk -t${opts.threads} -c${opts.connections} for ${opts.duration} s`);
  const r = await runWrk({ threads: opts.threads, connections: opts.connections, duration: opts.duration, script: "pages.lua",
    configPath, outPath: join(work, "pages.json"), port: opts.port });
  const after = await dev.quietCounters();
  const delta = counterDelta(after, before);
  const responses = sum(r.statuses);
  const non2xx = Object.entries(r.statuses).filter(([s]) => !s.startsWith("2")).reduce((n, [, v]) => n + v, 0);
  return {
    urls: pages.map((p) => `${p.host}${p.path}`),
    threads: opts.threads,
    connections: opts.connections,
    requests: r.requests,
    duration_s: round(r.duration_s, 3),
    requests_per_s: round(r.requests / r.duration_s, 1),
    latency_ms: wrkLatency(r),
    latency_ms_percentiles: r.latency_ms.percentiles,
    statuses: r.statuses,
    non_2xx: non2xx,
    socket_errors: r.errors,
    x_lattice_cache: r.cache,
    hit_ratio: responses ? round((r.cache.hit ?? 0) / responses, 4) : null,
    d1_queries: d1Queries(delta),
    d1_queries_per_1k_requests: responses ? round((d1Queries(delta) / responses) * 1000, 3) : null,
    kv_reads_per_1k_requests: responses ? round(((delta["kv.get"] ?? 0) / responses) * 1000, 3) : null,
    object_calls_per_request: responses ? round((delta["do.call"] ?? 0) / responses, 3) : null,
  };
}

async function signUpReaders(dev, opts) {
  const tokens = new Array(opts.readers);
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (next < opts.readers) {
      const i = next++;
      const res = await dev.json(`localhost:${opts.port}`, "/api/readers", {
        method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: `Load reader ${i + 1}` }),
      });
      if (res.status !== 201 || !res.body?.token) throw new Error(`sign-up ${i + 1} answered ${res.status}: ${JSON.stringify(res.body)}`);
      tokens[i] = res.body.token;
    }
  }));
  return { tokens, seconds: round((performance.now() - started) / 1000) };
}

// What the objects hold now (read through the API): reaction counts and the run's comments.
async function objectState(dev, opts, posts, run) {
  const reactions = {};
  const comments = new Map(); // nonce -> occurrences
  for (const p of posts) {
    const host = `${p.subdomain}.localhost:${opts.port}`;
    const r = await dev.json(host, `/api/posts/${p.slug}/reactions`);
    if (r.status !== 200) throw new Error(`GET reactions of ${p.slug} answered ${r.status}`);
    reactions[p.id] = r.body.counts;
    let cursor = "";
    for (;;) {
      const c = await dev.json(host, `/api/posts/${p.slug}/comments?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
      if (c.status !== 200) throw new Error(`GET comments of ${p.slug} answered ${c.status}`);
      for (const x of c.body.comments) {
        const nonce = nonceOf(x.body ?? "", run);
        if (nonce) comments.set(nonce, (comments.get(nonce) ?? 0) + 1);
      }
      if (!c.body.more || !c.body.next_cursor) break;
      cursor = c.body.next_cursor;
    }
  }
  return { reactions, comments };
}

function nonceOf(body, run) {
  const m = /^bench-load (\S+):/.exec(body);
  return m && m[1].startsWith(`${run}-`) ? m[1] : null;
}

async function d1State(dev, posts, run) {
  const ids = posts.map((p) => sqlString(p.id)).join(", ");
  const [counts, rows] = await dev.d1(`SELECT post_id, type, count FROM reaction_counts WHERE post_id IN (${ids})`,
    `SELECT id, post_id, body FROM comments WHERE body LIKE ${sqlString(`bench-load ${run}-%`)}`);
  const reactions = Object.fromEntries(posts.map((p) => [p.id, Object.fromEntries(TYPES.map((t) => [t, 0]))]));
  for (const r of counts) reactions[r.post_id][r.type] = r.count;
  const comments = new Map(); // nonce -> [{id, post_id}]
  for (const r of rows) {
    const nonce = nonceOf(r.body, run);
    if (nonce) comments.set(nonce, [...(comments.get(nonce) ?? []), { id: r.id, post_id: r.post_id }]);
  }
  return { reactions, comments };
}

// D1 has caught up with the objects: the same reaction counts (baseline included) and the same
// comments of the run.
function caughtUp(d1, objects) {
  for (const [post, counts] of Object.entries(objects.reactions))
    for (const t of TYPES) if ((d1.reactions[post]?.[t] ?? 0) !== (counts[t] ?? 0)) return false;
  for (const nonce of objects.comments.keys()) if (!d1.comments.has(nonce)) return false;
  return d1.comments.size >= objects.comments.size;
}

async function mixedStream(dev, opts, work, posts, readers, run) {
  const host = (sub) => `${sub}.localhost:${opts.port}`;
  const reads = [
    ...posts.map((p) => ({ host: host(p.subdomain), path: `/blog/${p.slug}` })),
    ...[...new Set(posts.map((p) => p.subdomain))].map((t) => ({ host: host(t), path: "/blog" })),
  ];
  const config = {
    run, seed: 1, threads: opts.writers, reaction_pct: opts.reactions, comment_pct: opts.comments, types: TYPES,
    posts: posts.map((p) => ({ host: host(p.subdomain), slug: p.slug, id: p.id })), reads, readers,
  };
  const configPath = join(work, "mixed.lua");
  writeFileSync(configPath, `return ${lua(config)}\n`);

  log("reading D1's reaction counts and comments before the stream");
  const baseline = await d1State(dev, posts, run);
  log(`scenario 2: mixed stream, ${opts.reactions}% reactions + ${opts.comments}% comments, wrk -t${opts.writers} -c${opts.writers} for ${opts.duration} s`);
  const r = await runWrk({ threads: opts.writers, connections: opts.writers, duration: opts.duration, script: "mixed.lua",
    configPath, outPath: join(work, "mixed.json"), port: opts.port });
  const wallEnd = performance.now();

  // Per kind: statuses, latencies, and the writes acknowledged, refused or unanswered.
  const kinds = ["read", "reaction", "comment"];
  const per = Object.fromEntries(kinds.map((k) => [k, { sent: 0, statuses: {}, lat: [] }]));
  const acks = [];
  const unknown = [];
  const odd = [];
  let slotsExhausted = false;
  for (const t of r.threads) {
    for (const k of kinds) {
      per[k].sent += t.sent?.[k] ?? 0;
      for (const [key, n] of Object.entries(t.statuses ?? {})) {
        const [kind, status] = key.split(" ");
        if (kind === k) per[k].statuses[status] = (per[k].statuses[status] ?? 0) + n;
      }
      for (const x of asArray(t.latency_ms?.[k])) per[k].lat.push(x);
    }
    acks.push(...asArray(t.acks));
    unknown.push(...asArray(t.unknown));
    odd.push(...asArray(t.odd));
    slotsExhausted ||= Boolean(t.slots_exhausted);
  }
  const ackedReactions = acks.filter((a) => a.startsWith("R ")).map((a) => a.split(" "));
  const ackedComments = acks.filter((a) => a.startsWith("C ")).map((a) => a.split(" "));
  const unknownReactions = unknown.filter((a) => a.startsWith("R ")).map((a) => a.split(" "));
  const unknownComments = new Set(unknown.filter((a) => a.startsWith("C ")).map((a) => a.split(" ")[2]));

  // Expected D1 reaction counts: the baseline plus the acknowledged toggles (each turned a
  // reaction on: slots are never reused), plus at most the toggles of unknown outcome.
  const expected = {};
  const slack = {};
  for (const p of posts) {
    expected[p.id] = { ...baseline.reactions[p.id] };
    slack[p.id] = Object.fromEntries(TYPES.map((t) => [t, 0]));
  }
  for (const [, post, type] of ackedReactions) expected[post][type] += 1;
  for (const [, post, type] of unknownReactions) slack[post][type] += 1;

  // In-flight requests may still finish; then the objects hold their final state.
  await sleep(1000);
  log("reading the objects' reactions and comments through the API");
  const objects = await objectState(dev, opts, posts, run);
  log(`waiting for D1 (flush every ${opts.flush} s; at most ${opts.wait} s)`);
  const waitStart = performance.now();
  let d1 = await d1State(dev, posts, run);
  let polls = 1;
  while (!caughtUp(d1, objects) && performance.now() - waitStart < opts.wait * 1000) {
    await sleep(2000);
    d1 = await d1State(dev, posts, run);
    polls++;
  }
  const waited = round((performance.now() - waitStart) / 1000, 1);
  const converged = caughtUp(d1, objects);

  // ---- the check ----
  const problems = [];
  // Comments: every acknowledged nonce once in D1; no nonce twice anywhere; nothing stored that
  // was refused.
  const ackedNonces = new Set(ackedComments.map((a) => a[2]));
  const missing = [...ackedNonces].filter((n) => !d1.comments.has(n));
  const missingButInObject = missing.filter((n) => objects.comments.has(n));
  const duplicatedD1 = [...d1.comments].filter(([, rows]) => rows.length > 1).map(([n, rows]) => ({ nonce: n, rows }));
  const duplicatedObject = [...objects.comments].filter(([, k]) => k > 1).map(([n, k]) => ({ nonce: n, copies: k }));
  const storedUnacked = [...d1.comments.keys()].filter((n) => !ackedNonces.has(n));
  const storedUnknown = storedUnacked.filter((n) => unknownComments.has(n));
  const storedRefused = storedUnacked.filter((n) => !unknownComments.has(n));
  if (missing.length) problems.push(`${missing.length} acknowledged comments are not in D1 (${missingButInObject.length} of them are in their object): ${missing.slice(0, 5).join(", ")}`);
  if (duplicatedD1.length) problems.push(`${duplicatedD1.length} comments are in D1 more than once: ${JSON.stringify(duplicatedD1.slice(0, 3))}`);
  if (duplicatedObject.length) problems.push(`${duplicatedObject.length} comments are in their object more than once: ${JSON.stringify(duplicatedObject.slice(0, 3))}`);
  if (storedRefused.length) problems.push(`${storedRefused.length} comments answered with an error are in D1: ${storedRefused.slice(0, 5).join(", ")}`);

  // Reactions: per (post, type), acknowledged <= D1 - baseline <= acknowledged + unknown.
  const reactionRows = [];
  let lostReactions = 0;
  let extraReactions = 0;
  for (const p of posts) {
    for (const t of TYPES) {
      const want = expected[p.id][t];
      const got = d1.reactions[p.id][t];
      const obj = objects.reactions[p.id]?.[t] ?? 0;
      const row = { post: p.slug, type: t, baseline: baseline.reactions[p.id][t], acknowledged: want - baseline.reactions[p.id][t],
        unknown: slack[p.id][t], d1: got, object: obj };
      reactionRows.push(row);
      if (got < want) {
        lostReactions += want - got;
        problems.push(`reactions ${p.slug}/${t}: D1 has ${got}, the acknowledged toggles make ${want} (object: ${obj})`);
      } else if (got > want + slack[p.id][t]) {
        extraReactions += got - want - slack[p.id][t];
        problems.push(`reactions ${p.slug}/${t}: D1 has ${got}, more than the ${want} acknowledged + ${slack[p.id][t]} unknown (object: ${obj})`);
      }
    }
  }
  if (odd.length) problems.push(`${odd.length} writes answered 2xx without saying what was done: ${odd.slice(0, 3).join(" | ")}`);

  const writeFigures = (k, ackedList) => {
    const s = per[k].statuses;
    return {
      sent: per[k].sent,
      statuses: s,
      acknowledged: ackedList.length,
      rate_limited: s["429"] ?? 0,
      other_refused: Object.entries(s).filter(([c]) => !c.startsWith("2") && c !== "429").reduce((n, [, v]) => n + v, 0),
      unknown: unknown.filter((a) => a.startsWith(k === "reaction" ? "R " : "C ")).length,
      latency_ms: summarize(per[k].lat, [50, 90, 99]),
    };
  };
  const durationS = r.duration_s;
  return {
    writers: opts.writers,
    readers: readers.length,
    posts: posts.map((p) => `${p.subdomain}/${p.slug}`),
    requests: r.requests,
    duration_s: round(durationS, 3),
    requests_per_s: round(r.requests / durationS, 1),
    latency_ms: wrkLatency(r),
    latency_ms_percentiles: r.latency_ms.percentiles,
    socket_errors: r.errors,
    reads: { sent: per.read.sent, statuses: per.read.statuses, latency_ms: summarize(per.read.lat, [50, 90, 99]) },
    reactions: { ...writeFigures("reaction", ackedReactions), slots_exhausted: slotsExhausted },
    comments: writeFigures("comment", ackedComments),
    writes_acknowledged_per_s: round(acks.length / durationS, 1),
    check: {
      ok: problems.length === 0,
      problems,
      d1_caught_up: converged,
      waited_s: waited,
      wait_after_stream_s: round((performance.now() - wallEnd) / 1000, 1),
      d1_polls: polls,
      comments: {
        acknowledged: ackedNonces.size,
        in_d1_once: [...ackedNonces].filter((n) => d1.comments.get(n)?.length === 1).length,
        missing: missing.length,
        missing_but_in_object: missingButInObject.length,
        duplicated_in_d1: duplicatedD1.length,
        duplicated_in_object: duplicatedObject.length,
        in_object: objects.comments.size,
        in_d1: d1.comments.size,
        stored_with_unknown_outcome: storedUnknown.length,
        stored_although_refused: storedRefused.length,
        missing_sample: missing.slice(0, 20),
      },
      reactions: {
        acknowledged: ackedReactions.length,
        d1_delta: reactionRows.reduce((n, x) => n + x.d1 - x.baseline, 0),
        object_delta: reactionRows.reduce((n, x) => n + x.object - x.baseline, 0),
        lost: lostReactions,
        extra: extraReactions,
        by_post_type: reactionRows,
      },
      odd_answers: odd.slice(0, 20),
    },
  };
}

// ---- report ----

function renderReport(res) {
  const c = res.cached;
  const m = res.mixed;
  const lat = (l) => [fmt(l.p50_ms), fmt(l.p90_ms), fmt(l.p99_ms)];
  const out = [];
  out.push(`\nLattice load benchmark: wrk against wrangler dev (workerd, local D1/KV/R2/objects), ${res.params.duration} s per scenario, ` +
    `run ${res.run}, load average ${res.load_average.map((x) => x.toFixed(2)).join(" ")} at the start`);
  out.push(`For the run: ${Object.entries(res.vars).filter(([k]) => !["BASE_DOMAIN", "LATTICE_DEV"].includes(k)).map(([k, v]) => `${k}=${v}`).join(", ")} ` +
    `(rate limits raised so the writes measure the engine, not the limiter; any 429 counts as not acknowledged).\n`);
  out.push(table(["scenario", "conns", "requests", "req/s", "p50 ms", "p90 ms", "p99 ms", "non-2xx", "socket errors"], [
    [`cached pages (${c.urls.length} URLs, 2 blogs)`, c.connections, int(c.requests), fmt(c.requests_per_s), ...lat(c.latency_ms), c.non_2xx,
      sum(c.socket_errors)],
    [`mixed stream (${m.readers} readers, ${m.posts.length} posts)`, m.writers, int(m.requests), fmt(m.requests_per_s), ...lat(m.latency_ms),
      "", sum(m.socket_errors)],
    ["  page reads", "", int(m.reads.sent), "", ...lat(m.reads.latency_ms),
      Object.entries(m.reads.statuses).filter(([s]) => !s.startsWith("2")).reduce((n, [, v]) => n + v, 0), ""],
    ["  POST reactions", "", int(m.reactions.sent), "", ...lat(m.reactions.latency_ms), m.reactions.sent - m.reactions.acknowledged - m.reactions.unknown, ""],
    ["  POST comments", "", int(m.comments.sent), "", ...lat(m.comments.latency_ms), m.comments.sent - m.comments.acknowledged - m.comments.unknown, ""],
  ]));
  const cache = Object.entries(c.x_lattice_cache).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${int(v)}`).join(", ");
  out.push(`\nCached pages: x-lattice-cache ${cache} (hit ratio ${fmt(c.hit_ratio * 100, 2)}%); ` +
    `${fmt(c.d1_queries_per_1k_requests, 2)} D1 queries and ${fmt(c.kv_reads_per_1k_requests, 2)} KV reads per 1,000 requests, ` +
    `${fmt(c.object_calls_per_request, 2)} object calls per request (views are counted in the PostMetaDO).`);
  const k = m.check;
  out.push(`Mixed stream: ${int(m.reactions.acknowledged + m.comments.acknowledged)} writes acknowledged (${fmt(m.writes_acknowledged_per_s)}/s): ` +
    `reactions ${int(m.reactions.acknowledged)} of ${int(m.reactions.sent)} (429: ${m.reactions.rate_limited}, other refusals: ${m.reactions.other_refused}, ` +
    `unanswered: ${m.reactions.unknown}${m.reactions.slots_exhausted ? ", toggle slots ran out" : ""}), comments ${int(m.comments.acknowledged)} of ${int(m.comments.sent)} ` +
    `(429: ${m.comments.rate_limited}, other refusals: ${m.comments.other_refused}, unanswered: ${m.comments.unknown}).`);
  out.push(`\nD1 after the stream (${k.d1_caught_up ? "caught up with the objects" : "NOT caught up with the objects"} ${fmt(k.waited_s)} s after the stream, ${k.d1_polls} polls):`);
  out.push(table(["write", "acknowledged", "in D1 once", "missing", "duplicated", "in D1, outcome unknown", "in D1 although refused"], [
    ["comments", int(k.comments.acknowledged), int(k.comments.in_d1_once), k.comments.missing, k.comments.duplicated_in_d1 + k.comments.duplicated_in_object,
      k.comments.stored_with_unknown_outcome, k.comments.stored_although_refused],
    ["reactions (count increase)", int(k.reactions.acknowledged), int(Math.min(k.reactions.d1_delta, k.reactions.acknowledged)), k.reactions.lost, k.reactions.extra,
      Math.max(0, k.reactions.d1_delta - k.reactions.acknowledged - k.reactions.extra), ""],
  ]));
  out.push(k.ok
    ? `\nVerdict: every acknowledged write is in D1 exactly once (${int(k.comments.acknowledged)} comments by nonce, ${int(k.reactions.acknowledged)} reaction toggles over ${k.reactions.by_post_type.length} counts).`
    : `\nVerdict: FAILED\n  ${k.problems.join("\n  ")}`);
  return out.join("\n");
}

// ---- main ----

async function main() {
  const opts = parse();
  const run = `r${Date.now().toString(36)}`;
  const state = mkdtempSync(join(tmpdir(), "lattice-load-"));
  const work = join(state, "bench");
  mkdirSync(work);
  const load = loadavg();
  const dev = new Dev(opts, state);
  let ok = false;
  const stopAndExit = async (signal) => {
    log(`${signal}: stopping wrangler dev`);
    await dev.stop();
    process.exit(130);
  };
  process.once("SIGINT", stopAndExit);
  process.once("SIGTERM", stopAndExit);
  try {
    log(`state in ${state}`);
    prepareState(state);
    log(`wrangler dev on 127.0.0.1:${opts.port}`);
    await dev.start();
    const { posts, tenants } = await pickPosts(dev, opts.posts);
    const cached = await cachedPages(dev, opts, work, posts, tenants);
    log(`signing up ${opts.readers} readers`);
    const signups = await signUpReaders(dev, opts);
    const mixed = await mixedStream(dev, opts, work, posts, signups.tokens, run);
    const result = {
      generated_at: new Date().toISOString(),
      run,
      params: { duration: opts.duration, threads: opts.threads, connections: opts.connections, writers: opts.writers, readers: opts.readers,
        posts: opts.posts, reactions_pct: opts.reactions, comments_pct: opts.comments, flush_s: opts.flush, wait_s: opts.wait },
      vars: dev.vars,
      load_average: load,
      engine: engineInfo(ROOT),
      tools: { wrk: spawnSync("wrk", ["-v"], { encoding: "utf8" }).stdout.split("\n")[0].trim() },
      signups_s: signups.seconds,
      cached,
      mixed,
      wall_s: round(elapsedS(), 1),
    };
    console.log(renderReport(result));
    mkdirSync(dirname(opts.out), { recursive: true });
    writeFileSync(opts.out, JSON.stringify(result, null, 2) + "\n");
    console.log(`\nWrote ${relative(process.cwd(), opts.out) || opts.out}; wall time ${result.wall_s} s.`);
    ok = mixed.check.ok;
  } finally {
    await dev.stop();
    if (ok && !opts["keep-state"]) rmSync(state, { recursive: true, force: true });
    else log(`state kept in ${state} (wrangler's log: ${dev.logPath})`);
  }
  process.exit(ok ? 0 : 1);
}

main().catch((err) => {
  console.error(err?.stack ?? err);
  process.exit(1);
});
