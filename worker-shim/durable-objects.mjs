// Durable Object class shells: each event (fetch, alarm) runs through the C++ core like a Worker
// request, with the object's SQLite as the core's synchronous Sql and its alarm as effects. Every
// step of the core runs inside ctx.storage.transactionSync, so what the core writes between two
// effects commits together or not at all. Holds no policy.
import { DurableObject } from "cloudflare:workers";
import { discardAfterTrap, getEngine } from "./engine.mjs";
import { counters, jsonToResponse, runObject } from "./interpreter.mjs";

function randomHex(bytes) {
  const buf = crypto.getRandomValues(new Uint8Array(bytes));
  return Array.from(buf, (b) => b.toString(16).padStart(2, "0")).join("");
}

// ctx.storage.sql as the core sees it: (sql, paramsJson) -> {ok, rows} | {ok:false, error}.
function sqlExec(storage) {
  return (sql, paramsJson) => {
    try {
      const cursor = storage.sql.exec(sql, ...JSON.parse(paramsJson));
      return JSON.stringify({ ok: true, rows: cursor.toArray() });
    } catch (err) {
      return JSON.stringify({ ok: false, error: String(err?.message ?? err) });
    }
  };
}

class LatticeObject extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    counters["object.started"] = (counters["object.started"] ?? 0) + 1; // wakes after hibernation too
  }

  async fetch(request) {
    const envelope = {
      request: { method: request.method, url: request.url, headers: Object.fromEntries(request.headers) },
    };
    const bindings = this.bindings(request);
    const response = await this.event(envelope, bindings);
    // The core accepted a WebSocket (ws.accept): answer with the client end, and the core's
    // headers (the subprotocol the handshake names).
    if (response.status === 101 && bindings.accepted) {
      return new Response(null, { status: 101, webSocket: bindings.accepted, headers: response.headers });
    }
    return jsonToResponse(response);
  }

  // The core re-arms the alarm itself when there is more to do; an alarm that throws is retried
  // by the platform, which is also safe (the core's alarm work is idempotent).
  async alarm() {
    const response = await this.event({ request: null }, this.bindings(null));
    if (response.status >= 500) throw new Error(`alarm failed: ${response.body}`);
  }

  // Hibernatable WebSockets (accepted by the core with ws.accept): each event wakes the object
  // and runs through the core with the socket's tag and attachment.
  async webSocketMessage(ws, message) {
    const text = typeof message === "string";
    const socket = {
      kind: "message",
      id: this.ctx.getTags(ws)[0] ?? "",
      attachment: ws.deserializeAttachment() ?? null,
      data: text ? message : "",
      binary: !text,
      size: text ? new TextEncoder().encode(message).byteLength : message.byteLength,
    };
    await this.event({ request: null, socket }, this.bindings(null));
  }

  async webSocketClose(ws, code, reason) {
    await this.socketGone(ws);
    try {
      ws.close(code === 1005 || code === 1006 ? 1000 : code, reason); // complete the closing handshake
    } catch {
      // already closed
    }
  }

  async webSocketError(ws) {
    await this.socketGone(ws);
  }

  async socketGone(ws) {
    const socket = { kind: "close", id: this.ctx.getTags(ws)[0] ?? "", attachment: ws.deserializeAttachment() ?? null };
    await this.event({ request: null, socket }, this.bindings(null));
  }

  bindings(request) {
    const { ctx, env } = this;
    return { env, ctx, request, storage: ctx.storage, atomically: (fn) => ctx.storage.transactionSync(fn), accepted: null };
  }

  async event(envelope, bindings) {
    const { ctx, env } = this;
    const full = {
      ...envelope,
      object: { class: this.constructor.className, name: ctx.id.name ?? "" },
      now: Date.now(),
      random: randomHex(32),
    };
    try {
      const engine = await getEngine(env);
      return await runObject(engine, full, sqlExec(ctx.storage), bindings);
    } catch (err) {
      if (err instanceof WebAssembly.RuntimeError) discardAfterTrap();
      console.error(JSON.stringify({ level: "error", message: "object event failed", error: String(err?.stack ?? err) }));
      return { status: 500, headers: [["content-type", "application/json"]], body: '{"error":{"code":"internal.error","message":"internal error"}}' };
    }
  }
}

// One per tenant, named "tenant:{subdomain}": config and stamp, drafts, the analytics outbox.
export class TenantDO extends LatticeObject {
  static className = "TenantDO";
}

// One per post, named "post-meta:{tenantId}:{postId}": reactions, comments, views and the live
// channel (hibernating WebSockets).
export class PostMetaDO extends LatticeObject {
  static className = "PostMetaDO";
}

// One per post, named "post-content:{tenantId}:{postId}": version history and moves between D1
// and R2.
export class PostContentDO extends LatticeObject {
  static className = "PostContentDO";
}

// Platform-wide rate limits, named "{purpose}:{key}".
export class LimiterDO extends LatticeObject {
  static className = "LimiterDO";
}

// One per reader, named "feed:{readerId}": the reader's Meadow feed and the hibernating
// WebSockets of their open Meadow pages.
export class FeedDO extends LatticeObject {
  static className = "FeedDO";
}
