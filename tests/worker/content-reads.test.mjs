// Public reads of posts whose content lives only in R2, through the built worker in workerd with
// the real R2 bucket, KV and Cache API: the page and the feed render as before the move, a warm
// view reads neither D1 nor R2, and a corrupt object is a 503 content.unavailable that is never
// cached, served again once the object is repaired.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { World } from "../support/world.mjs";

const DEMO = "demo.localhost:8787";
const MARKDOWN = "# Rivers\n\nSome *slow* water, a [map](https://example.com/?a=1&b=2) and “quotes” — 🌊.";
let w, token, tenant;

before(async () => {
  w = await World.start();
  tenant = await w.addTenant("demo");
  token = await w.mintToken(tenant);
});
after(() => w?.dispose());

async function contentObject(postId, path, body) {
  const ns = await w.mf.getDurableObjectNamespace("POST_CONTENT_DO");
  const stub = ns.get(ns.idFromName(`post-content:${tenant}:${postId}`));
  return stub.fetch(`https://do.internal${path}`, {
    method: "POST",
    headers: { "x-lattice-tenant": tenant, "x-lattice-post": postId, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

// Creates a published post, moves its content to R2 and clears the D1 copy. Returns the post and
// its R2 key. The post's KV entry (stored by the write, with D1's html) is dropped, as it would
// have expired, so the next anonymous view must read R2.
async function postOnlyInR2(slug, markdown) {
  const created = await w.api("POST", DEMO, "/api/posts", token, { slug, title: `Title ${slug}`, markdown, status: "published" });
  assert.equal(created.status, 201);
  const { post } = await created.json();
  // The page as rendered from D1 (with credentials: bypasses and fills no cache; same body).
  const fromD1 = await w.fetch(DEMO, `/blog/${slug}`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(fromD1.status, 200);
  assert.equal(fromD1.headers.get("x-lattice-cache"), "bypass");
  const moved = await contentObject(post.id, "/migrate/r2", {});
  assert.equal(moved.status, 200, await moved.clone().text());
  const cleared = await (await contentObject(post.id, "/migrate/clear", { grace_seconds: 0 })).json();
  assert.equal(cleared.d1_copy, "cleared");
  const [row] = await w.rows("SELECT markdown, html, r2_key FROM posts WHERE id = ?", post.id);
  assert.equal(row.markdown, null);
  assert.equal(row.html, null);
  await (await w.mf.getKVNamespace("CACHE_KV")).delete(`post:${tenant}:${slug}`);
  return { post, key: row.r2_key, pageFromD1: await fromD1.text() };
}

test("a post only in R2 renders as it did from D1; warm views read neither D1 nor R2", async () => {
  const { pageFromD1 } = await postOnlyInR2("rivers", MARKDOWN);

  const cold = await w.cost(() => w.fetch(DEMO, "/blog/rivers"));
  assert.equal(cold.result.status, 200);
  assert.equal(cold.result.headers.get("x-lattice-cache"), "miss");
  assert.equal(await cold.result.text(), pageFromD1);
  assert.equal(cold.of("r2.get"), 1);
  assert.equal(cold.of("d1"), 1);
  assert.equal(cold.of("metric.content.read_r2"), 1);

  const hit = await w.cost(() => w.fetch(DEMO, "/blog/rivers"));
  assert.equal(hit.result.headers.get("x-lattice-cache"), "hit");
  assert.equal(await hit.result.text(), pageFromD1);
  assert.equal(hit.of("d1") + hit.of("r2.get") + hit.of("kv.get"), 0);

  // Another origin is another page at the edge, rendered from the KV entry: still no D1 or R2.
  const kvHit = await w.cost(() => w.fetch("demo.localhost", "/blog/rivers"));
  assert.equal(kvHit.result.status, 200);
  assert.equal(kvHit.result.headers.get("x-lattice-cache"), "miss");
  assert.match(await kvHit.result.text(), /<em>slow<\/em>/);
  assert.equal(kvHit.of("d1") + kvHit.of("r2.get"), 0);
  assert.equal(kvHit.of("kv.get"), 1);

  const feed = await w.fetch(DEMO, "/feed.xml");
  assert.equal(feed.status, 200);
  assert.match(await feed.text(), /&lt;em&gt;slow&lt;\/em&gt;/);

  const owner = await (await w.api("GET", DEMO, "/api/posts/rivers", token)).json();
  assert.equal(owner.post.markdown, MARKDOWN);
  assert.equal(owner.post.storage_location, "r2");
});

test("a corrupt R2 object is a 503 content.unavailable, never cached, and the feed leaves it out", async () => {
  const { key } = await postOnlyInR2("marsh", "Marsh *words*.");
  const bucket = await w.mf.getR2Bucket("CONTENT");
  const good = await (await bucket.get(key)).text();
  await bucket.put(key, JSON.stringify({ ...JSON.parse(good), markdown: "tampered" }));

  for (let i = 0; i < 2; i++) {
    const res = await w.fetch(DEMO, "/blog/marsh");
    assert.equal(res.status, 503);
    assert.equal((await res.json()).error.code, "content.unavailable");
    assert.equal(res.headers.get("retry-after"), "60");
    assert.match(res.headers.get("cache-control"), /no-store/);
  }
  assert.equal(await (await w.mf.getKVNamespace("CACHE_KV")).get(`post:${tenant}:marsh`), null);

  const feed = await w.fetch(DEMO, "/feed.xml");
  assert.equal(feed.status, 200);
  assert.equal(feed.headers.get("x-lattice-degraded"), "content.unavailable");
  assert.equal(feed.headers.get("cache-control"), "no-store");
  assert.equal(feed.headers.get("etag"), null);
  assert.doesNotMatch(await feed.text(), /\/blog\/marsh/);

  await bucket.put(key, good);
  const repaired = await w.fetch(DEMO, "/blog/marsh");
  assert.equal(repaired.status, 200);
  assert.match(await repaired.text(), /<em>words<\/em>/);
  const whole = await w.fetch(DEMO, "/feed.xml");
  assert.equal(whole.headers.get("x-lattice-degraded"), null);
  assert.match(await whole.text(), /\/blog\/marsh/);
});
