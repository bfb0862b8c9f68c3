// Cache benchmark: the same synthetic catalog and the same Zipf request stream against two
// Miniflare worlds, caching ON (default vars) and NAIVE (CACHE_MODE=off), then a side-by-side
// table and bench/results/cache.json. A measurement: exits 0 even when targets are missed,
// unless --check is given. Run through scripts/bench-cache (which builds the wasm first).
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { World } from "../tests/support/world.mjs";
import { generateCatalog } from "./lib/catalog.mjs";
import { elapsedS, engineInfo, log, parseOptions, progress } from "./lib/cli.mjs";
import { makeClient } from "./lib/client.mjs";
import { loadPrices } from "./lib/cost.mjs";
import { loadCatalog, renderSeedSql } from "./lib/load.mjs";
import { buildRecord, checkTargets, modeFigures, renderReport } from "./lib/report.mjs";
import { WorldRun } from "./lib/runner.mjs";
import { buildStream, warmupOps } from "./lib/stream.mjs";

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = join(BENCH, "..");
const ZIPF_S = 1.1;
const LIST_SHARE = 0.1;
const FEED_SHARE = 0.03;
const WRITE_EVERY = 2000;

const USAGE = `usage: scripts/bench-cache [options]      (or: node bench/cache.mjs [options])
  --tenants N     tenants in the synthetic catalog (default 8)
  --posts M       posts per tenant (default 150)
  --views V       page views in the measured stream (default 20000)
  --seed S        PRNG seed for catalog and stream (default 1)
  --client C      http (keep-alive connection to Miniflare, default) or dispatch (world.fetch)
  --out PATH      results file (default bench/results/cache.json)
  --check         exit 1 when a target is missed (default: always exit 0)`;

function parse() {
  const { values, int } = parseOptions(
    {
      tenants: { type: "string", default: "8" },
      posts: { type: "string", default: "150" },
      views: { type: "string", default: "20000" },
      seed: { type: "string", default: "1" },
      client: { type: "string", default: "http" },
      out: { type: "string", default: join(BENCH, "results/cache.json") },
      check: { type: "boolean", default: false },
    },
    USAGE,
  );
  return { ...values, tenants: int("tenants", 1), posts: int("posts", 1), views: int("views", 1), seed: int("seed", 0) };
}

// Runs `ops` as one phase against one world, one request at a time (so latencies are not
// inflated by the other world: on 2 cores, running both at once saved only ~10% of the time).
async function runPhase(run, name, ops) {
  const tick = progress(`[${run.name}] ${name}`, ops.length, { rate: "req/s" });
  await run.beginPhase(name);
  for (let i = 0; i < ops.length; i++) {
    await run.execute(ops[i]);
    tick(i + 1);
  }
  return run.endPhase();
}

async function main() {
  const opts = parse();
  const prices = loadPrices(join(BENCH, "prices.json"));
  const now = Date.now();

  log(`catalog: ${opts.tenants} tenants x ${opts.posts} posts, seed ${opts.seed}`);
  const catalog = generateCatalog({ tenants: opts.tenants, posts: opts.posts, seed: opts.seed, anchorMs: now });
  const published = catalog.posts.filter((p) => p.status === "published").length;
  log("rendering the catalog to SQL with the wasm engine (buildSeedSql)");
  const sql = await renderSeedSql(catalog, now);
  const ops = buildStream(catalog, { views: opts.views, seed: opts.seed, zipfS: ZIPF_S, listShare: LIST_SHARE, feedShare: FEED_SHARE, writeEvery: WRITE_EVERY });
  const warmup = warmupOps(ops);

  const worlds = [];
  const runs = [];
  const stop = async (code) => {
    for (const r of runs) r.client.close();
    await Promise.allSettled(worlds.map((w) => w.dispose()));
    if (code !== undefined) process.exit(code);
  };
  process.once("SIGINT", () => stop(130));
  try {
    log("starting two Miniflare worlds: cached (default vars) and naive (CACHE_MODE=off)");
    worlds.push(...(await Promise.all([World.start(), World.start({ vars: { CACHE_MODE: "off" } })])));
    log(`loading ${(sql.length / 1e6).toFixed(1)} MB of SQL (${catalog.posts.length} posts) into both worlds' D1`);
    await Promise.all(worlds.map((w) => loadCatalog(w, sql)));
    for (const [i, name] of ["cached", "naive"].entries()) {
      runs.push(new WorldRun(name, worlds[i], await makeClient(worlds[i], opts.client), catalog));
    }
    await Promise.all(runs.map((r) => r.prepare()));

    log(`stream: warm-up of ${warmup.length} views (one per distinct page), then ${ops.length} requests ` +
      `(${opts.views} views + ${ops.length - opts.views} writes), cached world first, then naive`);
    const figures = {};
    for (const run of runs) {
      const warm = await runPhase(run, "warm-up", warmup);
      const steady = await runPhase(run, "steady state", ops);
      figures[run.name] = modeFigures(warm, steady, prices);
    }
    const { cached, naive } = figures;
    const met = checkTargets(cached);
    const params = { tenants: opts.tenants, posts: opts.posts, published_posts: published, views: opts.views, seed: opts.seed,
      zipf_s: ZIPF_S, list_share: LIST_SHARE, feed_share: FEED_SHARE, write_every_views: WRITE_EVERY,
      warmup_views: warmup.length, client: opts.client };

    console.log(renderReport({ cached, naive, met, params, prices }));
    const record = buildRecord({ cached, naive, met, params, prices, engine: engineInfo(ROOT), runtimeS: elapsedS() });
    mkdirSync(dirname(opts.out), { recursive: true });
    writeFileSync(opts.out, JSON.stringify(record, null, 2) + "\n");
    log(`wrote ${relative(process.cwd(), opts.out) || opts.out}`);
    await stop();
    return opts.check && !record.all_targets_met ? 1 : 0;
  } catch (err) {
    await stop();
    throw err;
  }
}

process.exitCode = await main();
