// Analytics through the TenantDO's durable outbox in the real runtime: 10,000 events across
// several workerd restarts land in D1 exactly once, and so do events whose first flushes fail.
import assert from "node:assert/strict";
import { test } from "node:test";
import { World, until } from "../support/world.mjs";

const DEMO = "demo.localhost:8787";

function events(from, count) {
  return Array.from({ length: count }, (_, i) => ({ kind: i % 3 ? "view" : "read_end", slug: "etags-and-conditional-requests", id: `evt-${from + i}-0000` }));
}

async function send(w, list) {
  const res = await w.fetch(DEMO, "/api/events", {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ events: list }),
  });
  assert.equal(res.status, 202, await res.clone().text());
  return res.json();
}

async function landed(w) {
  const [{ n, uniq: distinct }] = await w.rows("SELECT count(*) AS n, count(DISTINCT id) AS uniq FROM analytics_events");
  return { n, distinct };
}

test("10,000 events with workerd restarted mid-stream: exactly 10,000 rows, no duplicates, outbox empty", async () => {
  const w = await World.start({ seed: true, vars: { EVENTS_FLUSH_SECONDS: "1" } });
  try {
    const total = 10_000;
    const sizes = [37, 100, 63, 100, 91]; // full batches flush at once, the rest within a second
    let sent = 0, i = 0, restarts = 0;
    while (sent < total) {
      const n = Math.min(sizes[i++ % sizes.length], total - sent);
      const list = events(sent, n);
      await send(w, list);
      if (i % 17 === 0) await send(w, list.slice(0, 10)); // a client retry: same ids again
      sent += n;
      if (sent >= (restarts + 1) * 2500 && restarts < 3) {
        await w.restart();
        restarts += 1;
      }
    }
    assert.equal(restarts, 3);
    await until("all events in D1", async () => (await landed(w)).n >= total);
    await until("an empty outbox", async () => (await (await w.tenantObject("demo", "/events")).json()).pending === 0);
    const { n, distinct } = await landed(w);
    assert.equal(n, total);
    assert.equal(distinct, total);
    const [{ resolved }] = await w.rows("SELECT count(*) AS resolved FROM analytics_events WHERE post_id IS NOT NULL");
    assert.equal(resolved, total, "post ids resolved from the slug");
  } finally {
    await w.dispose();
  }
});

test("D1 failing for the first flushes: retried with backoff, then exactly once", async () => {
  const w = await World.start({
    seed: true,
    vars: { EVENTS_FLUSH_SECONDS: "1", FLAKY_ANALYTICS_FAILURES: "3" },
    script: "tests/support/flaky-d1-worker.mjs",
  });
  try {
    await send(w, events(0, 100));
    await send(w, events(100, 100));
    await send(w, events(200, 50));
    await until("a failed flush", async () => (await (await w.tenantObject("demo", "/events")).json()).failures > 0, 20_000);
    assert.equal((await landed(w)).n, 0, "nothing written while D1 fails");
    await until("all 250 events in D1", async () => (await landed(w)).n === 250, 60_000);
    await until("an empty outbox", async () => (await (await w.tenantObject("demo", "/events")).json()).pending === 0);
    const { n, distinct } = await landed(w);
    assert.equal(n, 250);
    assert.equal(distinct, 250);
    assert.equal((await (await w.tenantObject("demo", "/events")).json()).failures, 0);
  } finally {
    await w.dispose();
  }
});
