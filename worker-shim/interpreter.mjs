// The effect interpreter: runs one core session to completion. The core yields an effect (JSON),
// this performs it against the bindings and resumes the core with the result. No policy here:
// every decision (what to read, what to answer) is the core's.

export const counters = {};
function count(name, n = 1) {
  counters[name] = (counters[name] ?? 0) + n;
}

// Identical reads in flight in this isolate, by the name the core gave them (effect.coalesce):
// the second and later callers share the first one's result instead of querying again.
const inflight = new Map();
function coalesced(effect, perform) {
  const key = `${effect.kind}:${effect.coalesce}`;
  const running = inflight.get(key);
  if (running) {
    count(`${effect.kind}.coalesced`);
    return running;
  }
  const p = perform().finally(() => inflight.delete(key));
  inflight.set(key, p);
  return p;
}

function responseToJson(response, body) {
  return { status: response.status, headers: [...response.headers], body };
}

export function jsonToResponse({ status, headers, body }) {
  const noBody = status === 204 || status === 304 || status === 101;
  return new Response(noBody ? null : body, { status, headers });
}

// Reads at most `max` bytes of the request body; `truncated` when there was more.
async function readBody(request, max) {
  if (!request.body) return { ok: true, text: "", truncated: false };
  const reader = request.body.getReader();
  const chunks = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      return { ok: true, text: "", truncated: true };
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) {
    bytes.set(c, offset);
    offset += c.byteLength;
  }
  return { ok: true, text: new TextDecoder().decode(bytes), truncated: false };
}

function d1Result(result) {
  const meta = result.meta ?? {};
  count("d1.rows_read", meta.rows_read ?? 0);
  count("d1.rows_written", meta.rows_written ?? 0);
  return {
    rows: result.results ?? [],
    meta: { rows_read: meta.rows_read ?? 0, rows_written: meta.rows_written ?? 0, changes: meta.changes ?? 0 },
  };
}

const performers = {
  async "d1.query"(e, { env }) {
    const r = await env[e.binding].prepare(e.sql).bind(...e.params).all();
    return { ok: true, ...d1Result(r) };
  },
  async "d1.batch"(e, { env }) {
    const db = env[e.binding];
    const rs = await db.batch(e.statements.map((s) => db.prepare(s.sql).bind(...s.params)));
    return { ok: true, results: rs.map(d1Result) };
  },
  async "kv.get"(e, { env }) {
    return { ok: true, value: await env[e.binding].get(e.key) };
  },
  async "kv.put"(e, { env }) {
    await env[e.binding].put(e.key, e.value, e.ttl ? { expirationTtl: e.ttl } : undefined);
    return { ok: true };
  },
  async "kv.delete"(e, { env }) {
    await env[e.binding].delete(e.key);
    return { ok: true };
  },
  async "r2.get"(e, { env }) {
    const object = await env[e.binding].get(e.key);
    return { ok: true, value: object ? await object.text() : null };
  },
  async "r2.head"(e, { env }) {
    const object = await env[e.binding].head(e.key);
    return { ok: true, exists: !!object, size: object?.size ?? 0 };
  },
  async "r2.put"(e, { env }) {
    await env[e.binding].put(e.key, e.value);
    return { ok: true };
  },
  async "r2.delete"(e, { env }) {
    await env[e.binding].delete(e.key);
    return { ok: true };
  },
  async "cache.match"(e) {
    const hit = await caches.default.match(e.url);
    return { ok: true, response: hit ? responseToJson(hit, await hit.text()) : null };
  },
  async "cache.put"(e) {
    await caches.default.put(e.url, jsonToResponse(e.response));
    return { ok: true };
  },
  async "cache.delete"(e) {
    return { ok: true, deleted: await caches.default.delete(e.url) };
  },
  async "do.call"(e, { env }) {
    const ns = env[e.binding];
    const stub = ns.get(ns.idFromName(e.name));
    const { method, path, headers, body } = e.request;
    const res = await stub.fetch(new Request(`https://do.internal${path}`, { method, headers, body }));
    return { ok: true, response: responseToJson(res, await res.text()) };
  },
  // The Worker's own request (a WebSocket upgrade) to an object; its 101 becomes the Worker's
  // response (index.mjs). Headers the client sent under x-lattice-* never reach the object.
  async "do.connect"(e, bindings) {
    const ns = bindings.env[e.binding];
    const stub = ns.get(ns.idFromName(e.name));
    const headers = new Headers(bindings.request.headers);
    for (const name of [...headers.keys()]) if (name.startsWith("x-lattice-")) headers.delete(name);
    for (const [name, value] of Object.entries(e.headers)) headers.set(name, value);
    const res = await stub.fetch(new Request(`https://do.internal${e.path}`, { method: "GET", headers }));
    if (res.status === 101 && res.webSocket) {
      bindings.upgraded = res;
      return { ok: true, status: 101, protocol: res.headers.get("sec-websocket-protocol") ?? "" };
    }
    return { ok: true, status: res.status, body: await res.text() };
  },
  // Hibernatable WebSockets of a Durable Object, named by their first tag.
  async "ws.accept"(e, bindings) {
    const { ctx } = bindings;
    const [client, server] = Object.values(new WebSocketPair());
    ctx.acceptWebSocket(server, [e.id]);
    server.serializeAttachment(e.attachment);
    if (e.autoResponse) ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(...e.autoResponse));
    bindings.accepted = client;
    return { ok: true };
  },
  async "ws.list"(e, { ctx }) {
    const sockets = ctx
      .getWebSockets()
      .filter((ws) => ws.readyState <= 1)
      .map((ws) => ({ id: ctx.getTags(ws)[0], attachment: ws.deserializeAttachment() }));
    return { ok: true, sockets };
  },
  async "ws.send"(e, { ctx }) {
    const targets = e.to ? ctx.getWebSockets(e.to) : ctx.getWebSockets();
    let sent = 0;
    for (const ws of targets) {
      if (e.except && ctx.getTags(ws)[0] === e.except) continue;
      try {
        ws.send(e.message);
        sent += 1;
      } catch {
        // closing or closed meanwhile: its close event follows
      }
    }
    count("ws.sent", sent);
    return { ok: true, sent };
  },
  async "ws.attach"(e, { ctx }) {
    for (const ws of ctx.getWebSockets(e.id)) ws.serializeAttachment(e.attachment);
    return { ok: true };
  },
  async "ws.close"(e, { ctx }) {
    for (const ws of ctx.getWebSockets(e.id)) {
      try {
        ws.close(e.code, e.reason);
      } catch {
        // already closed
      }
    }
    return { ok: true };
  },
  async "alarm.get"(e, { storage }) {
    return { ok: true, at: await storage.getAlarm() };
  },
  async "alarm.set"(e, { storage }) {
    await storage.setAlarm(e.at);
    return { ok: true };
  },
  async "alarm.delete"(e, { storage }) {
    await storage.deleteAlarm();
    return { ok: true };
  },
  async "body.read"(e, { request }) {
    return readBody(request, e.max);
  },
  async "metrics.read"() {
    return { ok: true, counters: { ...counters } };
  },
};

async function perform(effect, bindings) {
  const performer = performers[effect.kind];
  if (!performer) return { ok: false, error: `unknown effect ${effect.kind}` };
  const once = async () => {
    count(effect.kind);
    try {
      return await performer(effect, bindings);
    } catch (err) {
      return { ok: false, error: String(err?.message ?? err) };
    }
  };
  return effect.coalesce ? coalesced(effect, once) : once();
}

function emit(emits) {
  for (const e of emits ?? []) {
    if (e.kind === "log") {
      const line = JSON.stringify({ level: e.level, message: e.message, ...e.fields });
      (e.level === "error" ? console.error : console.log)(line);
    } else if (e.kind === "metric") {
      count(`metric.${e.name}`, e.value);
    }
  }
}

// Drives one session to its end and returns its final response. `begin()` starts it in the
// engine; `early(response)` is called when the core sends its response before finishing (the
// `respond` effect). `bindings.atomically(fn)`, when given, runs each step (the core's
// synchronous work between two effects) as one storage transaction (Durable Objects).
async function drive(engine, begin, bindings, early) {
  await null; // callers hold the returned promise before any callback runs
  const atomically = bindings.atomically ?? ((fn) => fn());
  let step = JSON.parse(atomically(begin));
  try {
    for (;;) {
      emit(step.emits);
      if (step.response) return step.response;
      const effect = step.effect;
      let result;
      if (effect.kind === "respond") {
        early(effect.response);
        result = { ok: true };
      } else {
        result = await perform(effect, bindings);
      }
      const resumed = JSON.stringify(result);
      step = JSON.parse(atomically(() => engine.resume(step.id, resumed)));
    }
  } catch (err) {
    if (!(err instanceof WebAssembly.RuntimeError)) engine.cancel(step.id);
    throw err;
  }
}

// Runs `envelope` through `engine`; resolves with the response JSON as soon as the core sends it.
// Work the core does after responding (cache fills, refreshes) goes on under ctx.waitUntil and
// is counted in the `background.pending` gauge. If the loop itself throws before responding (not
// an effect: those fail as results), the session is dropped and the error propagates.
export function run(engine, envelope, bindings) {
  return runSession(engine, () => engine.begin(JSON.stringify(envelope)), bindings);
}

// Runs one Durable Object event (a request, or the alarm when envelope.request is null) over
// the object's storage: `sqlExec(sql, paramsJson) -> resultJson` is its synchronous SQL.
export function runObject(engine, envelope, sqlExec, bindings) {
  return runSession(engine, () => engine.beginObject(JSON.stringify(envelope), sqlExec), bindings);
}

function runSession(engine, begin, bindings) {
  return new Promise((resolve, reject) => {
    let sent = false;
    const done = drive(engine, begin, bindings, (response) => {
      sent = true;
      resolve(response);
      count("background.pending");
      const rest = done.catch(() => {}).finally(() => count("background.pending", -1));
      bindings.ctx?.waitUntil(rest);
    });
    done.then(
      (response) => {
        if (!sent) resolve(response);
      },
      (err) => {
        if (!sent) return reject(err);
        console.error(JSON.stringify({ level: "error", message: "after-response work failed", error: String(err?.stack ?? err) }));
      },
    );
  });
}
