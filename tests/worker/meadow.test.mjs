// Meadow in workerd: a reader follows a blog (its posts are prefetched into the reader's FeedDO),
// reads the feed on the main host and a blog's host, sees a newly published post arrive and a
// deleted one go, pages through with a cursor while 20 new posts arrive (no duplicates, no gaps),
// and gets 400s with stable codes for malformed cursors and limits.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { until, World } from "../support/world.mjs";

const MAIN = "localhost:8787";
const ALPHA = "alpha.localhost:8787";
let w, owner, reader;

async function publish(slug, when) {
  const r = await w.api("POST", ALPHA, "/api/posts", owner, {
    slug,
    title: `Title ${slug}`,
    markdown: `# ${slug}\n\nBody of ${slug}.`,
    status: "published",
    published_at: when,
  });
  assert.equal(r.status, 201, await r.clone().text());
}

async function meadow(method, path, host = MAIN, token = reader) {
  const headers = token ? { authorization: `Bearer ${token}` } : {};
  const r = await w.fetch(host, `/api/meadow${path}`, { method, headers });
  return { status: r.status, body: await r.json(), headers: r.headers };
}

async function page(query, host = MAIN) {
  const r = await meadow("GET", `/feed${query}`, host);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
}
const slugsOf = (p) => p.items.map((i) => i.slug);

before(async () => {
  w = await World.start();
  const tenant = await w.addTenant("alpha");
  owner = await w.mintToken(tenant);
  // 60 posts, one a day through January and February 2026: the follow prefetches the newest 50.
  for (let i = 1; i <= 60; i++) await publish(`old-${String(i).padStart(2, "0")}`, new Date(Date.UTC(2026, 0, i)).toISOString());
  const signed = await w.fetch(MAIN, "/api/readers", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: "Meadow reader" }),
  });
  assert.equal(signed.status, 201);
  reader = (await signed.json()).token;
});
after(() => w?.dispose());

test("follow → prefetch → a feed page on the main host and on a blog's host", async () => {
  const followed = await meadow("PUT", "/following/alpha");
  assert.equal(followed.status, 200, JSON.stringify(followed.body));
  assert.equal(followed.body.added, 50);
  assert.equal(followed.headers.get("cache-control"), "private, no-store");
  for (const host of [MAIN, ALPHA]) {
    const first = await page("?sort=recent&limit=10", host);
    assert.deepEqual(slugsOf(first).slice(0, 3), ["old-60", "old-59", "old-58"]);
    assert.equal(first.items.length, 10);
    assert.equal(first.items[0].url, "http://alpha.localhost:8787/blog/old-60");
    assert.equal(typeof first.next_cursor, "string");
  }
  const following = await meadow("GET", "/following");
  assert.deepEqual(following.body.following.map((f) => f.subdomain), ["alpha"]);
  // A warm read asks D1 nothing.
  const { of } = await w.cost(() => page("?sort=relevance&limit=5"));
  assert.equal(of("d1.query") + of("d1.batch"), 0);
});

test("a newly published post reaches the follower's feed; a deleted one leaves it", async () => {
  await publish("brand-new", new Date().toISOString());
  await until("the new post in the feed", async () => slugsOf(await page("?limit=1"))[0] === "brand-new");
  const del = await w.api("DELETE", ALPHA, "/api/posts/brand-new", owner);
  assert.equal(del.status, 204);
  await until("the deleted post gone", async () => slugsOf(await page("?limit=1"))[0] === "old-60");
});

test("three pages with a cursor while 20 new posts arrive: no duplicates, no gaps", async () => {
  const before = slugsOf(await page("?sort=recent&limit=50"));
  const first = await page("?sort=recent&limit=10");
  for (let i = 1; i <= 20; i++) await publish(`arrival-${String(i).padStart(2, "0")}`, new Date(Date.now() - 1000 * (21 - i)).toISOString());
  await until("the arrivals in the feed", async () => slugsOf(await page("?limit=1"))[0] === "arrival-20");
  const second = await page(`?sort=recent&limit=10&cursor=${encodeURIComponent(first.next_cursor)}`);
  const third = await page(`?sort=recent&limit=10&cursor=${encodeURIComponent(second.next_cursor)}`);
  const seen = [...slugsOf(first), ...slugsOf(second), ...slugsOf(third)];
  assert.equal(new Set(seen).size, 30, "no duplicates");
  assert.deepEqual(seen, before.slice(0, 30), "no gaps: exactly the 30 that followed each other before");
  assert.ok(!seen.some((s) => s.startsWith("arrival")));

  // Relevance: the ranking of page 1 is frozen for the pages after it.
  const r1 = await page("?sort=relevance&limit=10");
  await publish("late-arrival", new Date().toISOString());
  await until("the late arrival", async () => slugsOf(await page("?limit=1"))[0] === "late-arrival");
  const r2 = await page(`?sort=relevance&limit=10&cursor=${encodeURIComponent(r1.next_cursor)}`);
  const r3 = await page(`?sort=relevance&limit=10&cursor=${encodeURIComponent(r2.next_cursor)}`);
  const ranked = [...slugsOf(r1), ...slugsOf(r2), ...slugsOf(r3)];
  assert.equal(new Set(ranked).size, 30);
  assert.ok(!ranked.slice(10).includes("late-arrival"));
});

test("malformed cursors, limits and sorts are 400s with stable codes; no token is 401", async () => {
  for (const q of ["?limit=0", "?limit=51", "?limit=ten", "?limit=1.5"]) {
    const r = await meadow("GET", `/feed${q}`);
    assert.equal(r.status, 400, q);
    assert.equal(r.body.error.code, "feed.invalid_limit", q);
  }
  for (const q of ["?cursor=nonsense", "?cursor=AAAAAAAA", "?cursor=%E2%98%83"]) {
    const r = await meadow("GET", `/feed${q}`);
    assert.equal(r.status, 400, q);
    assert.equal(r.body.error.code, "feed.invalid_cursor", q);
  }
  const recent = await page("?sort=recent&limit=2");
  const crossed = await meadow("GET", `/feed?sort=relevance&cursor=${encodeURIComponent(recent.next_cursor)}`);
  assert.equal(crossed.body.error.code, "feed.invalid_cursor");
  assert.equal((await meadow("GET", "/feed?sort=hot")).body.error.code, "feed.invalid_sort");
  const anonymous = await meadow("GET", "/feed", MAIN, null);
  assert.equal(anonymous.status, 401);
  assert.equal(anonymous.body.error.code, "reader.missing_token");
  assert.equal((await meadow("PUT", "/following/nobody")).body.error.code, "tenant.not_found");
});

test("unfollowing empties the feed", async () => {
  const gone = await meadow("DELETE", "/following/alpha");
  assert.equal(gone.status, 200);
  assert.equal(gone.body.following, false);
  assert.deepEqual((await page("")).items, []);
  assert.equal((await w.rows("SELECT count(*) AS n FROM follows"))[0].n, 0);
});
