// The worker with a test-only probe beside it: `POST http://probe.invalid/__probe/state` answers,
// in one request, everything a refused request must leave as it was: every row of every D1 table,
// every KV entry, every R2 object's key, size and etag, and what the named Durable Objects hold
// (the body lists the object calls: [{binding, name, path, headers}]). The objects are asked one
// after another from inside workerd, so a test that compares states around each request costs one
// dispatchFetch per snapshot instead of ~60 calls through Miniflare's binding proxy from Node (D1
// `prepare`, `idFromName`, `get` and stub fetches). Those proxy calls go through Miniflare's
// SynchronousFetcher (a worker thread and Atomics.wait); over tens of thousands of them on a
// loaded machine one came back out of step (`assert(message?.id === id)`), and every later proxy
// call of the process failed the same way: how the first isolation sweep died.
// Before reading, it waits for the isolate's work after responses (`background.pending`) to end,
// so a cache fill still running from the last request is not mistaken for a change or missed.
//
// `POST http://probe.invalid/__probe/forward` (header x-probe-request: {method, url, headers}) reads
// its whole body, then hands the worker that request in-process. Through Miniflare's sockets, a
// large body the worker refuses without reading it all (a 401 before the body, a 413 at the
// bound) races the upload: the connection closes while Node is still sending, and undici reports
// "fetch failed" instead of the answer. Here the upload is over before the worker sees it.
//
// Any other request goes to the real worker unchanged.
import worker from "../../worker-shim/index.mjs";
import { counters } from "../../worker-shim/interpreter.mjs";

export { TenantDO, PostMetaDO, PostContentDO, LimiterDO, FeedDO } from "../../worker-shim/index.mjs";

const PROBE_HOST = "probe.invalid";

async function quiet() {
  for (let i = 0; i < 1000; i++) {
    if ((counters["background.pending"] ?? 0) === 0) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return false;
}

async function d1Rows(db) {
  const { results: tables } = await db
    .prepare(
      `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'
          AND name NOT LIKE 'd1_%' ORDER BY name`,
    )
    .all();
  const names = tables.map((t) => t.name);
  const results = await db.batch(names.map((n) => db.prepare(`SELECT * FROM "${n}"`)));
  const out = {};
  names.forEach((n, i) => (out[n] = results[i].results.map((r) => JSON.stringify(r)).sort()));
  return out;
}

async function kvEntries(kv) {
  const out = {};
  let cursor;
  do {
    const page = await kv.list({ cursor });
    for (const { name } of page.keys) out[name] = await kv.get(name);
    cursor = page.list_complete ? undefined : page.cursor;
  } while (cursor);
  return out;
}

async function r2Objects(bucket) {
  const out = {};
  let cursor;
  do {
    const page = await bucket.list({ cursor });
    for (const o of page.objects) out[o.key] = `${o.size} ${o.etag}`;
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return out;
}

async function objectState(env, calls) {
  const out = {};
  for (const { binding, name, path, headers = {} } of calls) {
    const ns = env[binding];
    const res = await ns.get(ns.idFromName(name)).fetch(`https://do.internal${path}`, { headers });
    const text = await res.text();
    let body;
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
    out[`${binding} ${name} ${path}`] = { status: res.status, body };
  }
  return out;
}

async function probe(request, env) {
  const calls = await request.json();
  const settled = await quiet();
  const state = {
    settled,
    d1: await d1Rows(env.DB),
    kv: await kvEntries(env.CACHE_KV),
    r2: await r2Objects(env.CONTENT),
    objects: await objectState(env, calls),
  };
  return Response.json(state);
}

async function forward(request, env, ctx) {
  const { method, url, headers } = JSON.parse(request.headers.get("x-probe-request"));
  const body = await request.arrayBuffer();
  return worker.fetch(new Request(url, { method, headers, body }), env, ctx);
}

export default {
  fetch(request, env, ctx) {
    const url = new URL(request.url);
    if (url.hostname === PROBE_HOST && url.pathname === "/__probe/state" && request.method === "POST") return probe(request, env);
    if (url.hostname === PROBE_HOST && url.pathname === "/__probe/forward" && request.method === "POST") return forward(request, env, ctx);
    return worker.fetch(request, env, ctx);
  },
  scheduled(controller, env, ctx) {
    return worker.scheduled(controller, env, ctx);
  },
};
