// The worker under a fault plan: the Worker's and the PostContentDOs' D1, R2 and KV go through
// wrappers that count the storage steps and can crash, fail or pause at a chosen one. Used by
// tests/worker/tiers-faults.test.mjs (the tier migrator's fault tests in workerd).
//
// The Worker and its Durable Objects share one isolate in workerd, so one module-level plan
// reaches both. The test drives it over HTTP on any host:
//   POST /__faults          {crashAfter?, failFrom?, pause?, clockOffsetMs?}: a new plan; counting
//                           starts from zero
//     crashAfter: n         the nth step is performed, then its caller hangs for good: the test
//                           then restarts workerd (World.restart), which kills the event there
//     failFrom: {binding: "d1"|"r2", after: n}
//                           that binding's calls after the first n throw, as the binding does
//                           when the service is unavailable (reads count too)
//     pause: "text"         the first D1 statement containing the text waits, unperformed, until
//                           POST /__faults/release
//     clockOffsetMs: n      Date.now() runs n ms ahead (leases lapse without waiting)
//   GET  /__faults          {steps: [{kind, what}], crashed, paused, calls: {d1, r2}}
//   POST /__faults/release  lets the paused statement go on
//   POST /__faults/clock    {clockOffsetMs}: moves the clock, keeping the plan and its counts
// A step is a storage call with an effect or the R2 read that verifies one: a D1 statement that
// is not a plain SELECT (alone or in a batch), R2 put/get/delete, KV put/delete. A crash after
// a pure D1 read leaves storage as a crash before the next step does, so reads are not steps.
// TEST_CLOCK_OFFSET_MS (a var) sets the clock offset from the start, e.g. after a restart.
import worker, { PostContentDO as PostContentBase } from "../../worker-shim/index.mjs";

export { FeedDO, LimiterDO, PostMetaDO, TenantDO } from "../../worker-shim/index.mjs";

const realNow = Date.now;
let varOffset = 0;
let plan = {};
let state = fresh();
Date.now = () => realNow() + varOffset + (plan.clockOffsetMs ?? 0);

function fresh() {
  return { steps: [], crashed: false, paused: false, release: null, calls: { d1: 0, r2: 0 } };
}

const json = (body, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

async function control(request) {
  const path = new URL(request.url).pathname;
  if (path === "/__faults" && request.method === "POST") {
    state.release?.();
    plan = await request.json();
    state = fresh();
    return json({ ok: true });
  }
  if (path === "/__faults" && request.method === "GET") {
    return json({ steps: state.steps, crashed: state.crashed, paused: state.paused, calls: state.calls });
  }
  if (path === "/__faults/clock" && request.method === "POST") {
    plan.clockOffsetMs = (await request.json()).clockOffsetMs;
    return json({ ok: true });
  }
  if (path === "/__faults/release" && request.method === "POST") {
    const release = state.release;
    state.release = null;
    state.paused = false;
    release?.();
    return json({ released: !!release });
  }
  return json({ error: "no such fault route" }, 404);
}

// Before a call: maybe fail (an outage of that binding).
function gate(binding) {
  state.calls[binding] += 1;
  const f = plan.failFrom;
  if (f && f.binding === binding && state.calls[binding] > f.after) {
    throw new Error(binding === "d1" ? "D1_ERROR: injected outage (faulty-storage-worker)" : "R2 injected outage (faulty-storage-worker)");
  }
}

// After a performed step: record it, and crash there if the plan says so.
async function stepDone(kind, what) {
  state.steps.push({ kind, what });
  if (plan.crashAfter === state.steps.length) {
    state.crashed = true;
    await new Promise(() => {});  // the event dies here when workerd is restarted
  }
}

async function maybePause(sql) {
  if (!plan.pause || state.pausedOnce || !sql.includes(plan.pause)) return;
  state.pausedOnce = true;
  state.paused = true;
  await new Promise((resolve) => (state.release = resolve));
}

const isRead = (sql) => /^\s*SELECT\b/i.test(sql);

function wrapD1(db) {
  const statement = (sql, raw) => ({
    sql,
    raw,
    bind: (...params) => statement(sql, raw.bind(...params)),
    async all() {
      gate("d1");
      await maybePause(sql);
      const r = await raw.all();
      if (!isRead(sql)) await stepDone("d1", sql.trim().split(/\s+/).slice(0, 4).join(" "));
      return r;
    },
    async run() {
      return this.all();
    },
  });
  return {
    prepare: (sql) => statement(sql, db.prepare(sql)),
    async batch(statements) {
      gate("d1");
      for (const s of statements) await maybePause(s.sql);
      const r = await db.batch(statements.map((s) => s.raw));
      const writes = statements.filter((s) => !isRead(s.sql));
      if (writes.length) await stepDone("d1", `batch of ${statements.length}: ${writes[0].sql.trim().split(/\s+/).slice(0, 3).join(" ")}`);
      return r;
    },
  };
}

function wrapR2(bucket) {
  const op = (name, stepped) => async (key, ...rest) => {
    gate("r2");
    const r = await bucket[name](key, ...rest);
    if (stepped) await stepDone(`r2.${name}`, key);
    return r;
  };
  return { get: op("get", true), put: op("put", true), delete: op("delete", true), head: op("head", false), list: bucket.list.bind(bucket) };
}

function wrapKv(ns) {
  const op = (name, stepped) => async (...args) => {
    const r = await ns[name](...args);
    if (stepped) await stepDone(`kv.${name}`, args[0]);
    return r;
  };
  return { get: op("get", false), put: op("put", true), delete: op("delete", true) };
}

function faulty(env) {
  varOffset = Number(env.TEST_CLOCK_OFFSET_MS ?? 0);
  return { ...env, DB: wrapD1(env.DB), CONTENT: wrapR2(env.CONTENT), CACHE_KV: wrapKv(env.CACHE_KV) };
}

export class PostContentDO extends PostContentBase {
  constructor(ctx, env) {
    super(ctx, faulty(env));
  }
}

export default {
  async fetch(request, env, ctx) {
    if (new URL(request.url).pathname.startsWith("/__faults")) return control(request);
    return worker.fetch(request, faulty(env), ctx);
  },
  async scheduled(controller, env, ctx) {
    return worker.scheduled(controller, faulty(env), ctx);
  },
};
