// The dashboard's counters and GET /api/stats in the real runtime: a cached post view costs no D1
// query and no request beyond its existing report to the PostMetaDO; the per-day figures survive
// a workerd restart before their flush and reach D1 once; the API's codes.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { World, until } from "../support/world.mjs";

const DEMO = "demo.localhost:8787";
let w, token, slug;

before(async () => {
  w = await World.start({ seed: true, vars: { VIEWS_FLUSH_SECONDS: "1" } });
  token = await w.mintToken(await w.tenantId("demo"));
  ({ slug } = await w.newestPublicPost("demo"));
});
after(() => w?.dispose());

async function stats(query = "", bearer = token, host = DEMO) {
  const res = await w.fetch(host, `/api/stats${query}`, { headers: bearer ? { authorization: `Bearer ${bearer}` } : {} });
  return { status: res.status, body: await res.json(), headers: res.headers };
}

test("codes: 401 without a token, 404 with another blog's, 400 for a bad days", async () => {
  const none = await stats("", null);
  assert.equal(none.status, 401);
  assert.equal(none.body.error.code, "auth.missing_token");
  const other = await stats("", await w.mintToken(await w.tenantId("autumn")));
  assert.equal(other.status, 404);
  assert.equal(other.body.error.code, "tenant.not_found");
  for (const q of ["?days=0", "?days=91", "?days=abc"]) {
    const bad = await stats(q);
    assert.equal(bad.status, 400, q);
    assert.equal(bad.body.error.code, "stats.days_invalid");
  }
  const ok = await stats("?days=14");
  assert.equal(ok.status, 200);
  assert.equal(ok.headers.get("cache-control"), "private, no-store");
  assert.equal(ok.body.daily.length, 14);
});

test("a cached view costs no D1 query and one object request (its view report, as before)", async () => {
  await (await w.fetch(DEMO, `/blog/${slug}`)).arrayBuffer(); // fills the caches
  await w.settle();
  const { result, delta } = await w.cost(async () => {
    const res = await w.fetch(DEMO, `/blog/${slug}`);
    await res.arrayBuffer();
    return res.headers.get("x-lattice-cache");
  });
  assert.equal(result, "hit");
  assert.equal(delta.d1, 0);
  assert.equal(delta["do.call"] ?? 0, 1);
});

test("views recorded before a workerd restart reach post_day_stats once, with their outcomes", async () => {
  // The test before viewed the post twice (a miss, then a hit); five more hits here.
  for (let i = 0; i < 5; i++) {
    const res = await w.fetch(DEMO, `/blog/${slug}`);
    await res.arrayBuffer();
    await w.settle();
  }
  await w.restart(); // the objects lose their memory; what they stored stays
  await until("7 views in D1", async () => {
    const [{ v }] = await w.rows("SELECT coalesce(sum(views), 0) AS v FROM post_day_stats");
    return v === 7;
  });
  await new Promise((r) => setTimeout(r, 1500)); // another flush would have had time to repeat itself
  const after = (await stats("?days=1")).body;
  assert.equal(after.totals.views, 7);
  assert.equal(after.top_posts[0].slug, slug);
  assert.equal(after.totals.cache_miss, 1);
  assert.equal(after.totals.cache_hit, 6);
  assert.equal(after.daily[0].views, 7);
});
