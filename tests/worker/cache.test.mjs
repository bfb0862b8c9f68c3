// Caching through the built worker in workerd: what a hit costs (asserted through the effect
// counters), headers and validators, invalidation on every kind of write, what is never stored,
// coalescing, stale-while-revalidate, and a lagging KV that must not make anyone read stale.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { after, before, test } from "node:test";
import { World } from "../support/world.mjs";

const DEMO = "demo.localhost:8787";
const SLUG = "etags-and-conditional-requests"; // a published demo post
let w, token;

before(async () => {
  w = await World.start({ seed: true });
  token = await w.mintToken(await w.tenantId("demo"));
});
after(() => w?.dispose());

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function view(path, headers = {}, world = w) {
  const res = await world.fetch(DEMO, path, { headers });
  return { res, body: await res.text(), cache: res.headers.get("x-lattice-cache") };
}

test("a second identical GET reads neither D1 nor KV", async () => {
  const first = await w.cost(() => view(`/blog/${SLUG}`));
  assert.equal(first.result.res.status, 200);
  assert.equal(first.result.cache, "miss");
  assert.ok(first.of("d1") >= 1);
  const second = await w.cost(() => view(`/blog/${SLUG}`));
  assert.equal(second.result.cache, "hit");
  assert.equal(second.result.body, first.result.body);
  assert.equal(second.of("d1"), 0);
  assert.equal(second.of("kv.get"), 0);
  assert.equal(second.of("r2.get"), 0);
  // An unknown query parameter does not make a new page (no cache busting).
  const busted = await w.cost(() => view(`/blog/${SLUG}?utm=${Math.random()}`));
  assert.equal(busted.result.cache, "hit");
  assert.equal(busted.of("d1"), 0);
});

test("public pages carry lifetimes by kind, Cache-Tag and a strong ETag; 304 reads nothing", async () => {
  const post = await view(`/blog/${SLUG}`);
  const postId = (await w.rows("SELECT id FROM posts WHERE slug = ?", SLUG))[0].id;
  assert.equal(post.res.headers.get("cache-control"), "public, max-age=300, stale-while-revalidate=86400");
  assert.equal(post.res.headers.get("cdn-cache-control"), "public, max-age=3600, stale-while-revalidate=86400");
  assert.equal(post.res.headers.get("cache-tag"), `tenant:demo,post:demo:${postId}`);
  const etag = post.res.headers.get("etag");
  assert.match(etag, /^"[^"]+"$/, "strong ETag");

  const list = await view("/blog");
  assert.equal(list.res.headers.get("cache-control"), "public, max-age=60, stale-while-revalidate=3600");
  assert.equal(list.res.headers.get("cdn-cache-control"), "public, max-age=600, stale-while-revalidate=3600");
  assert.equal(list.res.headers.get("cache-tag"), "tenant:demo,list:demo");

  for (const inm of [etag, `W/${etag}`, `"nope", ${etag}`, "*"]) {
    const conditional = await w.cost(() => view(`/blog/${SLUG}`, { "if-none-match": inm }));
    assert.equal(conditional.result.res.status, 304, inm);
    assert.equal(conditional.result.body, "");
    assert.equal(conditional.result.res.headers.get("etag"), etag);
    assert.equal(conditional.result.res.headers.get("cache-control"), post.res.headers.get("cache-control"));
    assert.equal(conditional.of("d1"), 0);
    assert.equal(conditional.of("kv.get"), 0);
    assert.equal(conditional.of("r2.get") + conditional.of("r2.head"), 0);
  }
  assert.equal((await view(`/blog/${SLUG}`, { "if-none-match": '"other"' })).res.status, 200);
});

test("update, publish, unpublish and delete are visible at once where they were made", async () => {
  const created = await w.api("POST", DEMO, "/api/posts", token, {
    slug: "cache-life", title: "Cache life", markdown: "first words", tags: ["cachetest"],
  });
  assert.equal(created.status, 201);
  // Warm every page the post will appear on, as a draft.
  for (const p of ["/blog/cache-life", "/blog", "/tags/cachetest", "/feed.xml", "/sitemap.xml"]) await view(p);
  assert.equal((await view("/blog/cache-life")).res.status, 404);

  const published = await w.api("PUT", DEMO, "/api/posts/cache-life", token, { status: "published" });
  assert.equal(published.status, 200);
  const page = await view("/blog/cache-life");
  assert.equal(page.res.status, 200);
  assert.match(page.body, /first words/);
  assert.match((await view("/blog")).body, /href="\/blog\/cache-life"/);
  assert.equal((await view("/tags/cachetest")).res.status, 200);
  assert.match((await view("/feed.xml")).body, /\/blog\/cache-life/);
  assert.match((await view("/sitemap.xml")).body, /\/blog\/cache-life/);

  const etag = page.res.headers.get("etag");
  assert.equal((await w.api("PUT", DEMO, "/api/posts/cache-life", token, { markdown: "second words" })).status, 200);
  const updated = await view("/blog/cache-life", { "if-none-match": etag });
  assert.equal(updated.res.status, 200, "an old ETag does not match the new version");
  assert.match(updated.body, /second words/);
  assert.notEqual(updated.res.headers.get("etag"), etag);

  // Renaming the slug: the old address is gone at once.
  assert.equal((await w.api("PUT", DEMO, "/api/posts/cache-life", token, { slug: "cache-life-2" })).status, 200);
  assert.equal((await view("/blog/cache-life")).res.status, 404);
  assert.match((await view("/blog/cache-life-2")).body, /second words/);

  assert.equal((await w.api("PUT", DEMO, "/api/posts/cache-life-2", token, { status: "draft" })).status, 200);
  assert.equal((await view("/blog/cache-life-2")).res.status, 404);
  assert.doesNotMatch((await view("/blog")).body, /cache-life/);
  assert.equal((await view("/tags/cachetest")).res.status, 404);

  assert.equal((await w.api("PUT", DEMO, "/api/posts/cache-life-2", token, { status: "published" })).status, 200);
  assert.equal((await view("/blog/cache-life-2")).res.status, 200);
  assert.equal((await w.api("DELETE", DEMO, "/api/posts/cache-life-2", token)).status, 204);
  const gone = await view("/blog/cache-life-2");
  assert.equal(gone.res.status, 404, "a deleted post is a 404 at once, never a cached copy");
  assert.equal(gone.res.headers.get("cache-control"), "no-store");
  assert.doesNotMatch((await view("/feed.xml")).body, /cache-life/);
  assert.doesNotMatch((await view("/sitemap.xml")).body, /cache-life/);
});

test("drafts and requests with credentials are never stored", async () => {
  const kv = await w.mf.getKVNamespace("CACHE_KV");
  const draft = await w.api("POST", DEMO, "/api/posts", token, { slug: "secret-draft", title: "Secret", markdown: "draft only text" });
  assert.equal(draft.status, 201);
  const read = await w.cost(() => w.api("GET", DEMO, "/api/posts/secret-draft", token));
  assert.equal(read.result.headers.get("cache-control"), "private, no-store");
  assert.equal(read.of("cache.put") + read.of("kv.put"), 0);
  const pub = await view("/blog/secret-draft");
  assert.equal(pub.res.status, 404);
  assert.doesNotMatch(pub.body, /draft only text/);
  const draftId = (await w.rows("SELECT id FROM posts WHERE slug = 'secret-draft'"))[0].id;
  await w.settle();
  for (const { name } of (await kv.list()).keys) {
    assert.doesNotMatch((await kv.get(name)) ?? "", /draft only text/, name);
    assert.ok(!name.endsWith(":secret-draft"), name);
  }
  assert.ok(draftId);

  // A public page requested with a bearer token: answered privately, nothing stored, nothing read
  // from the caches either.
  const authed = await w.cost(() => view(`/blog/${SLUG}`, { authorization: `Bearer ${token}` }));
  assert.equal(authed.result.res.status, 200);
  assert.equal(authed.result.cache, "bypass");
  assert.equal(authed.result.res.headers.get("cache-control"), "private, no-store");
  assert.equal(authed.result.res.headers.get("cdn-cache-control"), null);
  assert.equal(authed.of("cache.put") + authed.of("kv.put") + authed.of("cache.match") + authed.of("kv.get"), 0);
});

test("concurrent misses for the same page are coalesced into one D1 read", async () => {
  // D1 answers in 500 ms here, so all eight views are waiting on it together.
  const sw = await World.start({ seed: true, script: "tests/support/slow-d1-worker.mjs" });
  try {
    const { result, of } = await sw.cost(() => Promise.all(Array.from({ length: 8 }, () => view(`/blog/${SLUG}`, {}, sw))));
    for (const r of result) assert.equal(r.res.status, 200);
    assert.equal(new Set(result.map((r) => r.body)).size, 1);
    // One view alone costs 2 reads in the Worker (the tenant directory, the post; the stamp and
    // config come from the TenantDO, which reads them in one batch); eight share them.
    assert.equal(of("d1.query"), 2, `D1 queries for 8 concurrent views: ${of("d1.query")}`);
    assert.equal(of("d1.query.coalesced"), 14, "every follower shared each of the leader's reads");
    assert.equal(of("d1.batch"), 1, "the TenantDO read the tenant's state once");
  } finally {
    await sw.dispose();
  }
});

test("feed and sitemap are well-formed XML with the right types", async () => {
  for (const [path, type, root] of [
    ["/feed.xml", "application/atom+xml; charset=utf-8", /<feed xmlns="http:\/\/www.w3.org\/2005\/Atom">/],
    ["/sitemap.xml", "application/xml; charset=utf-8", /<urlset xmlns="http:\/\/www.sitemaps.org\/schemas\/sitemap\/0.9">/],
  ]) {
    const { res, body } = await view(path);
    assert.equal(res.status, 200, path);
    assert.equal(res.headers.get("content-type"), type);
    assert.match(body, root);
    execFileSync("xmllint", ["--noout", "-"], { input: body }); // throws when not well-formed
    assert.equal(res.headers.get("cache-tag"), "tenant:demo,list:demo");
    assert.equal((await view(path)).cache, "hit");
  }
});

test("an expired KV entry is served while a refresh runs after the response", async () => {
  const sw = await World.start({ seed: true, vars: { TTL_HOT: "300/1/3600" } });
  try {
    const first = await sw.cost(() => view(`/blog/${SLUG}`, {}, sw));
    assert.equal(first.of("kv.put") >= 1, true);
    await sleep(1200); // the edge copy (1 s) and the KV entry's freshness (1 s) have expired
    const stale = await sw.cost(() => view(`/blog/${SLUG}`, {}, sw));
    assert.equal(stale.result.res.status, 200);
    assert.equal(stale.result.body, first.result.body);
    assert.equal(stale.of("metric.cache.kv_stale"), 1);
    assert.equal(stale.of("metric.cache.kv_refresh"), 1, "refreshed after the response");
  } finally {
    await sw.dispose();
  }
});

test("a lagging KV cannot make readers see outdated or deleted posts beyond the stamp TTL", async () => {
  const lw = await World.start({ seed: true, script: "tests/support/lagging-kv-worker.mjs", vars: { STAMP_TTL_SECONDS: "2", TENANT_STATE_TTL_SECONDS: "1" } });
  try {
    const ownerToken = await lw.mintToken(await lw.tenantId("demo"));
    const before = await view(`/blog/${SLUG}`, {}, lw);
    assert.equal(before.res.status, 200);
    await lw.settle();

    // A write at this location: visible at once, although KV keeps answering the old entry.
    assert.equal((await lw.api("PUT", DEMO, `/api/posts/${SLUG}`, ownerToken, { markdown: "rewritten here" })).status, 200);
    await lw.settle();
    assert.match((await view(`/blog/${SLUG}`, {}, lw)).body, /rewritten here/);

    // A write that bypassed the API (straight into D1: neither this location's stamp nor the
    // TenantDO is told): seen here once the stamp (2 s) and the object's copy (1 s) expire, even
    // though KV still serves the older copy.
    await lw.db.prepare("UPDATE posts SET html = '<p>rewritten elsewhere</p>', version = version + 1 WHERE slug = ?").bind(SLUG).run();
    await sleep(2100);
    assert.match((await view(`/blog/${SLUG}`, {}, lw)).body, /rewritten elsewhere/);

    await lw.db.prepare("DELETE FROM posts WHERE slug = ?").bind(SLUG).run();
    await sleep(2100);
    assert.equal((await view(`/blog/${SLUG}`, {}, lw)).res.status, 404);
    assert.doesNotMatch((await view("/blog", {}, lw)).body, new RegExp(SLUG));
  } finally {
    await lw.dispose();
  }
});

test("a scheduled post appears when its time comes, without a write", async () => {
  // Stamps kept for 10 minutes: only the scheduled time can make this location look again.
  const tw = await World.start({ seed: true, vars: { STAMP_TTL_SECONDS: "600" } });
  try {
    const ownerToken = await tw.mintToken(await tw.tenantId("demo"));
    const at = (Math.floor(Date.now() / 1000) + 3) * 1000;
    const created = await tw.api("POST", DEMO, "/api/posts", ownerToken, {
      slug: "scheduled", title: "Scheduled", markdown: "on time", status: "published", published_at: new Date(at).toISOString(),
    });
    assert.equal(created.status, 201);
    assert.equal((await view("/blog/scheduled", {}, tw)).res.status, 404);
    assert.doesNotMatch((await view("/blog", {}, tw)).body, /\/blog\/scheduled/);
    await sleep(at - Date.now() + 100);
    assert.equal((await view("/blog/scheduled", {}, tw)).res.status, 200);
    assert.match((await view("/blog", {}, tw)).body, /\/blog\/scheduled/);
    assert.match((await view("/feed.xml", {}, tw)).body, /\/blog\/scheduled/);
  } finally {
    await tw.dispose();
  }
});

test("CACHE_MODE=off reads D1 on every view and stores nothing", async () => {
  const nw = await World.start({ seed: true, vars: { CACHE_MODE: "off" } });
  try {
    for (let i = 0; i < 2; i++) {
      const { result, of } = await nw.cost(() => view(`/blog/${SLUG}`, {}, nw));
      assert.equal(result.cache, "off");
      assert.ok(of("d1") >= 2);
      assert.equal(of("cache.put") + of("kv.put") + of("cache.match") + of("kv.get"), 0);
    }
  } finally {
    await nw.dispose();
  }
});
