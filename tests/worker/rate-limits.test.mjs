// Rate limits on reader actions hold under a burst (issue 8): reader sign-ups (per client
// address), reactions and comments (per reader per post, in the post's PostMetaDO) and Meadow
// follows (per reader, FOLLOWS_PER_MINUTE in the LimiterDO). Each test fires requests all at once
// (Promise.all), more than each limited key allows, and asserts that exactly the allowed number
// succeed, that every other one is 429 rate.limited with a Retry-After no longer than one
// refill, and that D1 and the Durable Objects hold exactly the effects of the allowed ones.
//
// The limits are set low (one refill every 12 s or more), so a burst that takes a second cannot
// earn a token back while it runs.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { until, World } from "../support/world.mjs";

const MAIN = "localhost:8787";
const BLOG = "burst.localhost:8787";
const LIMITS = { signups: 5, reactions: 2, comments: 3, follows: 3 };
const TYPES = ["like", "love", "insightful", "laugh"];
let w, owner, nextAddress = 1;

before(async () => {
  w = await World.start({
    vars: {
      READER_SIGNUPS_PER_MINUTE: String(LIMITS.signups),
      REACTIONS_PER_MINUTE: String(LIMITS.reactions),
      COMMENTS_PER_MINUTE: String(LIMITS.comments),
      FOLLOWS_PER_MINUTE: String(LIMITS.follows),
      COMMENTS_FLUSH_SECONDS: "1",
      REACTIONS_FLUSH_SECONDS: "1",
    },
  });
  owner = await w.mintToken(await w.addTenant("burst"));
  for (const slug of ["reacted", "commented"]) {
    const r = await w.api("POST", BLOG, "/api/posts", owner, { slug, title: slug, markdown: "Body.", status: "published" });
    assert.equal(r.status, 201);
  }
});
after(() => w?.dispose());

async function outcome(res) {
  const text = await res.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = { text };
  }
  return { status: res.status, body, retryAfter: res.headers.get("retry-after") };
}

// Splits a burst's answers into the allowed ones (status `ok`) and the refused ones, checking that
// nothing else came back and that every refusal is a proper 429.
function split(answers, ok, limit, what) {
  const allowed = answers.filter((a) => a.status === ok);
  const limited = answers.filter((a) => a.status === 429);
  assert.equal(allowed.length + limited.length, answers.length,
    `${what}: unexpected answers ${JSON.stringify(answers.filter((a) => a.status !== ok && a.status !== 429)).slice(0, 400)}`);
  for (const a of limited) {
    assert.equal(a.body.error?.code, "rate.limited", what);
    assert.match(a.retryAfter ?? "", /^[1-9]\d*$/, `${what}: Retry-After`);
    assert.ok(Number(a.retryAfter) <= Math.ceil(60 / limit), `${what}: Retry-After ${a.retryAfter} > one refill`);
  }
  return { allowed, limited };
}

// A reader signed up from an address of their own (so sign-up limits do not get in the way).
async function signUp(name) {
  const ip = `198.51.100.${nextAddress++}`;
  const r = await outcome(await w.fetch(MAIN, "/api/readers", {
    method: "POST", headers: { "content-type": "application/json", "cf-connecting-ip": ip }, body: JSON.stringify({ name }),
  }));
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
}

const count = async (sql, ...params) => (await w.rows(sql, ...params))[0].n;

test("reader sign-ups: a burst from one address gets exactly READER_SIGNUPS_PER_MINUTE", async () => {
  const before = await count("SELECT count(*) AS n FROM readers");
  const addresses = ["203.0.113.7", "203.0.113.8", "2001:db8:aa:bb::1"];
  const burst = [];
  for (const ip of addresses)
    for (let i = 0; i < 12; i++) {
      // The IPv6 ones vary within one /64: one address for the limit.
      const from = ip.includes(":") ? `2001:db8:aa:bb::${(i + 1).toString(16)}` : ip;
      burst.push(w.fetch(MAIN, "/api/readers", {
        method: "POST", headers: { "content-type": "application/json", "cf-connecting-ip": from }, body: JSON.stringify({ name: `burst ${ip} ${i}` }),
      }).then(outcome).then((o) => ({ ...o, ip })));
    }
  const answers = await Promise.all(burst);
  for (const ip of addresses) {
    const { allowed, limited } = split(answers.filter((a) => a.ip === ip), 201, LIMITS.signups, `sign-ups from ${ip}`);
    assert.equal(allowed.length, LIMITS.signups, ip);
    assert.equal(limited.length, 12 - LIMITS.signups, ip);
  }
  // Exactly the allowed readers exist, each with the token it was given.
  const created = answers.filter((a) => a.status === 201);
  assert.equal(await count("SELECT count(*) AS n FROM readers"), before + created.length);
  for (const a of created) assert.equal(await count("SELECT count(*) AS n FROM readers WHERE id = ?", a.body.reader.id), 1);
  // A refused sign-up's name was never stored.
  const names = new Set(created.map((a) => a.body.reader.name));
  const stored = (await w.rows("SELECT name FROM readers WHERE name LIKE 'burst %'")).map((r) => r.name);
  assert.deepEqual(stored.sort(), [...names].sort());
});

test("reactions: a burst from each reader gets exactly REACTIONS_PER_MINUTE toggles, and only those count", async () => {
  const readers = [];
  for (let i = 0; i < 10; i++) readers.push(await signUp(`reactor ${i}`));
  // Every reader toggles all four types at once: two of each reader's four go through.
  const burst = [];
  for (const r of readers)
    for (const type of TYPES)
      burst.push(w.api("POST", BLOG, "/api/posts/reacted/reactions", r.token, { type, requestId: `req-${r.reader.id}-${type}` })
        .then(outcome).then((o) => ({ ...o, reader: r, type })));
  const answers = await Promise.all(burst);
  const expected = Object.fromEntries(TYPES.map((t) => [t, 0]));
  for (const r of readers) {
    const mine = answers.filter((a) => a.reader === r);
    const { allowed } = split(mine, 200, LIMITS.reactions, `reactions of ${r.reader.name}`);
    assert.equal(allowed.length, LIMITS.reactions, r.reader.name);
    for (const a of allowed) {
      assert.equal(a.body.active, true);
      assert.equal(a.body.replayed, false);
      expected[a.type]++;
    }
    // The object holds exactly the allowed toggles of this reader.
    const state = await outcome(await w.api("GET", BLOG, "/api/posts/reacted/reactions", r.token));
    assert.deepEqual([...state.body.mine].sort(), allowed.map((a) => a.type).sort(), r.reader.name);
  }
  const counts = (await outcome(await w.api("GET", BLOG, "/api/posts/reacted/reactions"))).body.counts;
  assert.deepEqual(counts, expected);
  assert.equal(Object.values(counts).reduce((a, b) => a + b, 0), readers.length * LIMITS.reactions);
  // ...and so does D1 once the counts are flushed.
  const postId = (await w.rows("SELECT id FROM posts WHERE slug = 'reacted'"))[0].id;
  await until("reaction counts in D1", async () =>
    (await w.rows("SELECT coalesce(sum(count), 0) AS n FROM reaction_counts WHERE post_id = ?", postId))[0].n === readers.length * LIMITS.reactions);
  for (const { type, count: n } of await w.rows("SELECT type, count FROM reaction_counts WHERE post_id = ?", postId))
    assert.equal(n, expected[type], type);
});

test("comments: a burst from each reader stores exactly COMMENTS_PER_MINUTE comments", async () => {
  const readers = [];
  for (let i = 0; i < 5; i++) readers.push(await signUp(`commenter ${i}`));
  const burst = [];
  for (const r of readers)
    for (let i = 0; i < 8; i++)
      burst.push(w.api("POST", BLOG, "/api/posts/commented/comments", r.token, { body: `burst comment ${r.reader.id} #${i}`, requestId: `c-${r.reader.id}-${i}` })
        .then(outcome).then((o) => ({ ...o, reader: r })));
  const answers = await Promise.all(burst);
  const ids = [];
  for (const r of readers) {
    const { allowed } = split(answers.filter((a) => a.reader === r), 201, LIMITS.comments, `comments of ${r.reader.name}`);
    assert.equal(allowed.length, LIMITS.comments, r.reader.name);
    ids.push(...allowed.map((a) => a.body.comment.id));
  }
  // The object lists exactly the stored ones...
  const listed = (await outcome(await w.api("GET", BLOG, "/api/posts/commented/comments?limit=100", owner))).body.comments;
  assert.deepEqual(listed.map((c) => c.id).sort(), [...ids].sort());
  // ...and D1 receives exactly them.
  await until("comments in D1", async () => (await count("SELECT count(*) AS n FROM comments")) >= ids.length, 20_000);
  await new Promise((r) => setTimeout(r, 1500)); // a late extra flush would show now
  const inD1 = (await w.rows("SELECT id FROM comments")).map((r) => r.id);
  assert.deepEqual(inD1.sort(), [...ids].sort());
});

test("Meadow follows: a burst from each reader gets exactly FOLLOWS_PER_MINUTE, follows and unfollows alike", async () => {
  const blogs = [];
  for (let i = 0; i < 8; i++) {
    const sub = `blog-${i}`;
    const token = await w.mintToken(await w.addTenant(sub));
    const r = await w.api("POST", `${sub}.localhost:8787`, "/api/posts", token, { slug: "p", title: `Post of ${sub}`, markdown: "x", status: "published" });
    assert.equal(r.status, 201);
    blogs.push(sub);
  }
  const readers = [];
  for (let i = 0; i < 4; i++) readers.push(await signUp(`follower ${i}`));
  const burst = [];
  for (const r of readers)
    for (const sub of blogs)
      burst.push(w.api("PUT", MAIN, `/api/meadow/following/${sub}`, r.token).then(outcome).then((o) => ({ ...o, reader: r, sub })));
  const answers = await Promise.all(burst);
  for (const r of readers) {
    const { allowed, limited } = split(answers.filter((a) => a.reader === r), 200, LIMITS.follows, `follows of ${r.reader.name}`);
    assert.equal(allowed.length, LIMITS.follows, r.reader.name);
    for (const a of limited) assert.equal(a.body.error.code, "rate.limited");
    const followed = allowed.map((a) => a.sub).sort();
    // D1 (the truth) and the reader's FeedDO hold exactly the allowed follows.
    const inD1 = (await w.rows(
      "SELECT t.subdomain FROM follows f JOIN tenants t ON t.id = f.tenant_id WHERE f.reader_id = ? ORDER BY 1", r.reader.id)).map((x) => x.subdomain);
    assert.deepEqual(inD1, followed, r.reader.name);
    const listed = await outcome(await w.api("GET", MAIN, "/api/meadow/following", r.token));
    assert.equal(listed.status, 200, "reading is not limited");
    assert.deepEqual(listed.body.following.map((f) => f.subdomain).sort(), followed);
    const feed = await outcome(await w.api("GET", MAIN, "/api/meadow/feed?limit=50", r.token));
    assert.deepEqual(feed.body.items.map((i) => i.subdomain).sort(), followed);
    // Out of allowance, an unfollow is refused too and changes nothing.
    const unfollow = await outcome(await w.api("DELETE", MAIN, `/api/meadow/following/${followed[0]}`, r.token));
    assert.equal(unfollow.status, 429);
    assert.equal(unfollow.body.error.code, "rate.limited");
    assert.equal(await count("SELECT count(*) AS n FROM follows WHERE reader_id = ?", r.reader.id), LIMITS.follows);
  }
  assert.equal(await count("SELECT count(*) AS n FROM follows"), readers.length * LIMITS.follows);
});
