// Test support for the Miniflare suites (kept outside tests/worker so `node --test` does not run
// it). A World is the built worker (worker-shim + build/wasm) in workerd via Miniflare, with D1
// migrated by wrangler itself (and optionally the demo data), KV and R2 bound as in wrangler.toml.
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { cpSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const DB_ID = "00000000-0000-0000-0000-000000000000"; // wrangler.toml's database_id
const templates = new Map();

function wrangler(args, persistTo) {
  execFileSync(join(ROOT, "node_modules/.bin/wrangler"), [...args, "--local", "--persist-to", persistTo], {
    cwd: ROOT,
    env: { ...process.env, CI: "1", WRANGLER_SEND_METRICS: "false" },
    stdio: "pipe",
  });
}

// A migrated (and maybe seeded) local state, made once per test process and copied per World.
function template(seed) {
  if (templates.has(seed)) return templates.get(seed);
  const dir = mkdtempSync(join(tmpdir(), "lattice-state-"));
  wrangler(["d1", "migrations", "apply", "DB"], dir);
  if (seed) {
    const sql = join(dir, "seed.sql");
    execFileSync("node", [join(ROOT, "scripts/lib/seed.mjs"), sql], { stdio: "pipe" });
    wrangler(["d1", "execute", "DB", "--file", sql], dir);
  }
  templates.set(seed, dir);
  process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

// Polls `check` every 200 ms until it returns something truthy (returned), or throws after
// `timeoutMs` naming `what`.
export async function until(what, check, timeoutMs = 60_000) {
  const start = Date.now();
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export class World {
  // `script`: the worker entry (default worker-shim/index.mjs; tests may wrap it, e.g. with a
  // lagging KV). `vars` override the Worker vars.
  static async start({ seed = false, vars = {}, script = "worker-shim/index.mjs" } = {}) {
    if (!existsSync(join(ROOT, "build/wasm/lattice.wasm"))) throw new Error("build the wasm first (scripts/test does)");
    const state = mkdtempSync(join(tmpdir(), "lattice-world-"));
    cpSync(template(seed), state, { recursive: true });
    const options = {
      modules: true,
      scriptPath: join(ROOT, script),
      modulesRoot: ROOT,
      modulesRules: [
        { type: "ESModule", include: ["**/*.mjs"] },
        { type: "CompiledWasm", include: ["**/*.wasm"] },
      ],
      compatibilityDate: "2026-04-01",
      // The pages' scripts and styles, as wrangler.toml's [assets] serves them: before the Worker.
      assets: { directory: join(ROOT, "build/wasm/public"), routerConfig: { has_user_worker: true } },
      bindings: { BASE_DOMAIN: "localhost", LATTICE_DEV: "1", POSTS_PER_PAGE: "10", MAX_MARKDOWN_BYTES: "1048576", ...vars },
      d1Databases: { DB: DB_ID },
      d1Persist: join(state, "v3", "d1"),
      kvNamespaces: ["CACHE_KV"],
      r2Buckets: ["CONTENT"],
      durableObjects: {
        TENANT_DO: { className: "TenantDO", useSQLite: true },
        POST_META_DO: { className: "PostMetaDO", useSQLite: true },
        POST_CONTENT_DO: { className: "PostContentDO", useSQLite: true },
        LIMITER_DO: { className: "LimiterDO", useSQLite: true },
        FEED_DO: { className: "FeedDO", useSQLite: true },
      },
      durableObjectsPersist: join(state, "v3", "do"),
      cf: false,
    };
    const mf = new Miniflare(options);
    await mf.ready;
    const world = new World(mf, state);
    world.options = options;
    world.db = await mf.getD1Database("DB");
    return world;
  }

  constructor(mf, state) {
    this.mf = mf;
    this.state = state;
  }

  // Restarts workerd: every isolate and Durable Object loses its memory; D1, KV, R2 and the
  // objects' SQLite storage persist (as after a deploy or an eviction).
  async restart() {
    await this.mf.setOptions(this.options);
    await this.mf.ready;
    this.db = await this.mf.getD1Database("DB");
  }

  // An internal request straight to the TenantDO of `subdomain` (the Worker's headers included).
  async tenantObject(subdomain, path, init = {}) {
    const ns = await this.mf.getDurableObjectNamespace("TENANT_DO");
    const stub = ns.get(ns.idFromName(`tenant:${subdomain}`));
    const headers = { "x-lattice-tenant": await this.tenantId(subdomain), "x-lattice-subdomain": subdomain, ...(init.headers ?? {}) };
    return stub.fetch(`https://do.internal${path}`, { ...init, headers });
  }

  async dispose() {
    await this.mf.dispose();
    rmSync(this.state, { recursive: true, force: true });
  }

  // fetch(url on a host like "demo.localhost", init): the Host header names the tenant.
  async fetch(host, path, init = {}) {
    const headers = new Headers(init.headers ?? {});
    headers.set("host", host);
    return this.mf.dispatchFetch(`http://${host}${path}`, { ...init, headers, redirect: "manual" });
  }

  async api(method, host, path, token, body) {
    const headers = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    return this.fetch(host, path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  }

  // The isolate's effect counters (GET /__lattice/metrics).
  async counters() {
    const res = await this.fetch("localhost:8787", "/__lattice/metrics");
    return (await res.json()).counters;
  }

  // Waits until work the worker does after responding (cache fills, refreshes) has finished.
  async settle() {
    for (let i = 0; i < 500; i++) {
      if (((await this.counters())["background.pending"] ?? 0) === 0) return;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error("background work did not finish");
  }

  // What `fn` cost: counter deltas (missing counters are 0), after background work settled.
  async cost(fn) {
    await this.settle();
    const before = await this.counters();
    const result = await fn();
    await this.settle();
    const after = await this.counters();
    const delta = {};
    for (const k of new Set([...Object.keys(before), ...Object.keys(after)])) delta[k] = (after[k] ?? 0) - (before[k] ?? 0);
    delta.d1 = (delta["d1.query"] ?? 0) + (delta["d1.batch"] ?? 0);
    return { result, delta, of: (k) => delta[k] ?? 0 };
  }

  async rows(sql, ...params) {
    return (await this.db.prepare(sql).bind(...params).all()).results;
  }

  // The newest post of `subdomain` that is public now: {slug, id}.
  async newestPublicPost(subdomain) {
    const [row] = await this.rows(
      `SELECT p.slug, p.id FROM posts p JOIN tenants t ON t.id = p.tenant_id
        WHERE t.subdomain = ? AND p.status = 'published' AND p.published_at <= ?
        ORDER BY p.published_at DESC LIMIT 1`,
      subdomain,
      Date.now(),
    );
    return row;
  }

  async tenantId(subdomain) {
    return (await this.rows("SELECT id FROM tenants WHERE subdomain = ?", subdomain))[0]?.id;
  }

  async addTenant(subdomain) {
    const id = `tn_${subdomain}`;
    await this.db
      .prepare("INSERT INTO tenants (id, subdomain, display_name, created_at, updated_at) VALUES (?, ?, ?, 0, 0)")
      .bind(id, subdomain, `${subdomain} blog`)
      .run();
    return id;
  }

  // Mints a token as scripts/token does: random, stored as its SHA-256.
  async mintToken(tenantId) {
    const token = `lat_${randomBytes(32).toString("hex")}`;
    const hash = createHash("sha256").update(token).digest("hex");
    await this.db
      .prepare("INSERT INTO api_tokens (token_hash, tenant_id, label, created_at) VALUES (?, ?, 'test', 0)")
      .bind(hash, tenantId)
      .run();
    return token;
  }

  // Every row of every table, to prove a request changed nothing.
  async snapshot() {
    const out = {};
    for (const t of ["tenants", "posts", "post_tags", "api_tokens"]) {
      out[t] = await this.rows(`SELECT * FROM ${t} ORDER BY 1, 2`);
    }
    return out;
  }
}
