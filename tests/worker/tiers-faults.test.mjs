// The tier migrator's safety in workerd, under faults (tests/support/faulty-storage-worker.mjs):
// a crash after each storage step of a run (workerd killed with the event in flight) then a
// rerun; an edit racing a move; two runs at once; R2 or D1 failing mid-batch. After each: every
// post readable with the right hash, the rerun finishes the moves, and the garbage-collection
// pass leaves no orphan (no R2 object D1 does not point at, no D1 copy of content in R2, nothing
// queued). The same faults are injected step by step natively in tier-migrator-test.cpp.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import { until, World } from "../support/world.mjs";

const HOST = "demo.localhost:8787";
const OPERATOR = "operator-token-for-fault-tests";
const SCRIPT = "tests/support/faulty-storage-worker.mjs";
const DAY = 24 * 60 * 60 * 1000;
const LEASE_LAPSED = 16 * 60 * 1000; // past the run's 15-minute lease and a move's 60 s one
const sha256 = (s) => createHash("sha256").update(s).digest("hex");

// A world with posts that all belong in R2: "quiet-*" (WARM: 90 days old, 2 views/day) and
// "idle-*" (COLD: 500 days old, no views).
async function catalog({ quiet = 1, idle = 1, vars = {} } = {}) {
  const w = await World.start({
    script: SCRIPT,
    vars: { TIER_MIGRATION: "on", TIER_GRACE_SECONDS: "0", OPERATOR_TOKEN_SHA256: sha256(OPERATOR), ...vars },
  });
  const tenant = await w.addTenant("demo");
  const token = await w.mintToken(tenant);
  const posts = {};
  const add = async (slug, ageDays, editedDaysAgo, viewsPerDay) => {
    const text = `# ${slug}\n\nThe text of ${slug}, with ünïcödé and a [link](https://example.com).`;
    const r = await w.api("POST", HOST, "/api/posts", token, { slug, title: `Title ${slug}`, markdown: text, status: "published" });
    assert.equal(r.status, 201, await r.clone().text());
    const id = (await r.json()).post.id;
    const now = Date.now();
    await w.db
      .prepare("UPDATE posts SET published_at = ?2, updated_at = ?3, views_30d = ?4, views_30d_at = ?5 WHERE id = ?1")
      .bind(id, now - ageDays * DAY, now - editedDaysAgo * DAY, viewsPerDay * 30, now)
      .run();
    posts[slug] = { id, text };
  };
  for (let i = 1; i <= quiet; i++) await add(`quiet-${i}`, 90, 60, 2);
  for (let i = 1; i <= idle; i++) await add(`idle-${i}`, 500, 400, 0);
  return { w, tenant, token, posts };
}

const expectedLocation = (slug) => (slug.startsWith("idle") ? "r2_archived" : "r2");

async function faults(w, plan) {
  const r = await w.fetch(HOST, "/__faults", { method: "POST", body: JSON.stringify(plan) });
  assert.equal(r.status, 200);
}
async function faultState(w) {
  return (await w.fetch(HOST, "/__faults")).json();
}

async function migrate(w) {
  const r = await w.fetch(HOST, "/api/admin/migrate", { method: "POST", headers: { authorization: `Bearer ${OPERATOR}` } });
  return { status: r.status, body: await r.json() };
}
async function migrated(w) {
  const r = await migrate(w);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.summary;
}

async function row(c, slug) {
  const [r] = await c.w.rows(
    "SELECT version, storage_location, r2_key, content_hash, markdown, html, tier FROM posts WHERE id = ?1",
    c.posts[slug].id,
  );
  return r;
}

async function objectsOf(c, slug) {
  const bucket = await c.w.mf.getR2Bucket("CONTENT");
  const listed = await bucket.list({ prefix: `t/${c.tenant}/p/${c.posts[slug].id}/` });
  return listed.objects.map((o) => o.key);
}

// Readable with the right hash from what storage holds right now, as a read would serve it: D1's
// copy while it is there, else the R2 object D1 points at, checked against content_hash.
async function readableNow(c, slug, text = c.posts[slug].text) {
  const r = await row(c, slug);
  if (r.content_hash !== sha256(text)) return false;
  if (typeof r.markdown === "string" && sha256(r.markdown) === r.content_hash && typeof r.html === "string") return true;
  if (r.storage_location === "d1" || !r.r2_key) return false;
  const object = await (await c.w.mf.getR2Bucket("CONTENT")).get(r.r2_key);
  if (!object) return false;
  const o = JSON.parse(await object.text());
  return o.sha256 === r.content_hash && sha256(o.markdown) === r.content_hash && o.version === r.version;
}

// Served through the Worker (the owner API reads D1 or R2 as a page does), and by the page.
async function expectServed(c, slug, text = c.posts[slug].text) {
  const api = await c.w.api("GET", HOST, `/api/posts/${slug}`, c.token);
  assert.equal(api.status, 200, `${slug}: ${await api.clone().text()}`);
  assert.equal((await api.json()).post.markdown, text, slug);
  const page = await c.w.fetch(HOST, `/blog/${slug}`);
  assert.equal(page.status, 200, slug);
  assert.match(await page.text(), new RegExp(`The text of ${slug}`));
}

// No garbage: a post in R2 has exactly the object D1 points at and no D1 copy; a post in D1 has
// no object; nothing waits to be cleared.
async function expectNoOrphans(c) {
  for (const slug of Object.keys(c.posts)) {
    const r = await row(c, slug);
    const objects = await objectsOf(c, slug);
    if (r.storage_location === "d1") {
      assert.deepEqual(objects, [], `${slug}: objects left behind`);
    } else {
      assert.deepEqual(objects, [r.r2_key], `${slug}: exactly its own object`);
      assert.equal(r.markdown, null, `${slug}: D1 copy not cleared`);
    }
  }
  assert.equal((await c.w.rows("SELECT count(*) AS n FROM tier_clears"))[0].n, 0);
}

async function expectFinished(c) {
  for (const slug of Object.keys(c.posts)) {
    const r = await row(c, slug);
    assert.equal(r.storage_location, expectedLocation(slug), slug);
    assert.equal(r.tier, slug.startsWith("idle") ? "cold" : "warm", slug);
    await expectServed(c, slug);
  }
  await expectNoOrphans(c);
}

// Restarts workerd with the clock moved past every lease: as if the rerun came 16 minutes later.
async function restartLater(w) {
  w.options.bindings = { ...w.options.bindings, TEST_CLOCK_OFFSET_MS: String(LEASE_LAPSED) };
  await w.restart();
}

test("a crash after each storage step of a run, then a rerun: always readable, finished, no orphans", async (t) => {
  // The steps of a clean run.
  let steps;
  {
    const c = await catalog();
    try {
      await faults(c.w, {});
      const s = await migrated(c.w);
      assert.equal(s.errors, 0);
      steps = (await faultState(c.w)).steps;
      await expectFinished(c);
    } finally {
      await c.w.dispose();
    }
  }
  const kinds = new Set(steps.map((s) => s.kind));
  for (const k of ["d1", "r2.put", "r2.get", "kv.delete"]) assert.ok(kinds.has(k), `a clean run has ${k} steps`);
  assert.ok(steps.length >= 15, `${steps.length} steps`);
  t.diagnostic(`${steps.length} steps: ${steps.map((s) => s.kind).join(" ")}`);

  for (let n = 1; n <= steps.length; n++) {
    const at = `crash after step ${n} (${steps[n - 1].kind} ${steps[n - 1].what})`;
    const c = await catalog();
    try {
      await faults(c.w, { crashAfter: n });
      const run = migrate(c.w).catch((e) => e); // dies with the restart
      await until(at, async () => (await faultState(c.w)).crashed, 30_000);
      for (const slug of Object.keys(c.posts)) assert.ok(await readableNow(c, slug), `${at}: ${slug} readable`);
      await restartLater(c.w);
      await run;
      for (const slug of Object.keys(c.posts)) await expectServed(c, slug);
      const s = await migrated(c.w);
      assert.equal(s.errors, 0, `${at}: ${JSON.stringify(s)}`);
      await expectFinished(c);
    } catch (e) {
      e.message = `${at}: ${e.message}`;
      throw e;
    } finally {
      await c.w.dispose();
    }
  }
});

test("an edit racing a move wins: nothing is lost, and the object the move wrote is collected", async () => {
  const c = await catalog({ quiet: 1, idle: 0 });
  try {
    // The move stops just before its pointer swap (the object is written and verified).
    await faults(c.w, { pause: "UPDATE posts SET storage_location" });
    const run = migrate(c.w);
    await until("the move to reach its swap", async () => (await faultState(c.w)).paused, 30_000);
    assert.equal((await objectsOf(c, "quiet-1")).length, 1);
    const edited = "# quiet-1\n\nThe text of quiet-1, edited while it moved.";
    const put = await c.w.api("PUT", HOST, "/api/posts/quiet-1", c.token, { markdown: edited });
    assert.equal(put.status, 200, await put.clone().text());
    await c.w.fetch(HOST, "/__faults/release", { method: "POST" });
    const r = await run;
    assert.equal(r.status, 200);
    assert.equal(r.body.summary.conflicts, 1);
    assert.equal(r.body.summary.moved_to_r2, 0);
    assert.equal(r.body.moves[0].result, "conflict");
    // The object the lost move wrote is garbage: its clear was queued before the move (grace 0
    // here, so the same run's clear pass deletes it).
    assert.equal(r.body.summary.deleted_objects, 1);
    assert.deepEqual(await objectsOf(c, "quiet-1"), []);

    const after = await row(c, "quiet-1");
    assert.equal(after.storage_location, "d1");
    assert.equal(after.version, 2);
    assert.ok(await readableNow(c, "quiet-1", edited));
    await expectServed(c, "quiet-1", edited);
    // Edited, it is HOT: the next run leaves it in D1.
    await faults(c.w, {});
    const s = await migrated(c.w);
    assert.equal(s.moved_to_r2 + s.moved_to_d1 + s.archived, 0);
    await expectNoOrphans(c);
  } finally {
    await c.w.dispose();
  }
});

test("two runs at once move each post once", async () => {
  const c = await catalog({ quiet: 2, idle: 1 });
  try {
    await faults(c.w, {});
    // Started together (the cron and two API calls): whichever holds the lease moves; a run
    // that finds it held answers 409 migrate.busy; one that starts after it finds nothing to do.
    const worker = await c.w.mf.getWorker();
    const [a, b] = await Promise.all([migrate(c.w), migrate(c.w), worker.scheduled({ cron: "0 2 * * *" })]);
    for (const r of [a, b]) {
      if (r.status === 409) assert.equal(r.body.error.code, "migrate.busy");
      else assert.equal(r.status, 200, JSON.stringify(r.body));
    }
    // Each post was written to R2 once: one put per post, under its own key.
    const puts = (await faultState(c.w)).steps.filter((s) => s.kind === "r2.put").map((s) => s.what);
    assert.equal(puts.length, 3, JSON.stringify(puts));
    assert.equal(new Set(puts).size, 3);
    await expectFinished(c);
  } finally {
    await c.w.dispose();
  }

  // A run that outlives its lease overlaps the next one: still one move per post.
  const d = await catalog({ quiet: 2, idle: 1 });
  try {
    await faults(d.w, { pause: "UPDATE posts SET storage_location" });
    const slow = migrate(d.w);
    await until("the first run to pause in a move", async () => (await faultState(d.w)).paused, 30_000);
    await d.w.fetch(HOST, "/__faults/clock", { method: "POST", body: JSON.stringify({ clockOffsetMs: LEASE_LAPSED }) });
    const second = await migrated(d.w);
    assert.equal(second.moved_to_r2 + second.archived, 3);
    await d.w.fetch(HOST, "/__faults/release", { method: "POST" });
    const first = await slow;
    assert.equal(first.status, 200);
    assert.equal(first.body.summary.moved_to_r2 + first.body.summary.archived, 0, JSON.stringify(first.body.summary));
    assert.equal(first.body.summary.stopped, "lease_lost");
    // The stale run queued clears (before its no-op moves) and stopped before its clear pass:
    // the next run's pass collects them, and there was nothing else to collect.
    const next = await migrated(d.w);
    assert.equal(next.moved_to_r2 + next.archived + next.deleted_objects + next.cleared_d1_copies, 0);
    await expectFinished(d);
  } finally {
    await d.w.dispose();
  }
});

for (const binding of ["r2", "d1"]) {
  test(`${binding.toUpperCase()} failing mid-batch stops the run cleanly; the next run resumes and finishes`, async () => {
    const c = await catalog({ quiet: 3, idle: 2 });
    try {
      // How many calls a clean run makes is learnt from a dry world's twin: fail a quarter of the way in, among the moves.
      const probe = await catalog({ quiet: 3, idle: 2 });
      let calls;
      try {
        await faults(probe.w, {});
        await migrated(probe.w);
        calls = (await faultState(probe.w)).calls[binding];
      } finally {
        await probe.w.dispose();
      }
      await faults(c.w, { failFrom: { binding, after: Math.floor(calls / 4) } });
      const r = await migrate(c.w);
      if (r.status === 200) {
        assert.equal(r.body.summary.stopped, "storage", JSON.stringify(r.body.summary));
        assert.ok(r.body.summary.errors >= 1);
      } else {
        assert.equal(r.status, 503);
        assert.equal(r.body.error.code, "storage.unavailable");
      }
      // Storage is back; the lease of the interrupted run (if it kept it) has lapsed.
      await faults(c.w, { clockOffsetMs: LEASE_LAPSED });
      const moved = [];
      for (const slug of Object.keys(c.posts)) {
        assert.ok(await readableNow(c, slug), `${slug} readable after the outage`);
        await expectServed(c, slug);
        if ((await row(c, slug)).storage_location !== "d1") moved.push(slug);
      }
      assert.ok(moved.length >= 1 && moved.length < 5, `stopped mid-batch: ${moved.length} of 5 moved`);
      const s = await migrated(c.w);
      assert.equal(s.errors, 0, JSON.stringify(s));
      await expectFinished(c);
    } finally {
      await c.w.dispose();
    }
  });
}
