// Durable Object class shells: each event (fetch, alarm) runs through the C++ core like a Worker
// request, with the object's SQLite as the core's synchronous Sql and its alarm as effects. Every
// step of the core runs inside ctx.storage.transactionSync, so what the core writes between two
// effects commits together or not at all. Holds no policy.
import { DurableObject } from "cloudflare:workers";
import { discardAfterTrap, getEngine } from "./engine.mjs";
import { jsonToResponse, runObject } from "./interpreter.mjs";

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
  async fetch(request) {
    const envelope = {
      request: { method: request.method, url: request.url, headers: Object.fromEntries(request.headers) },
    };
    return jsonToResponse(await this.event(envelope, request));
  }

  // The core re-arms the alarm itself when there is more to do; an alarm that throws is retried
  // by the platform, which is also safe (the core's alarm work is idempotent).
  async alarm() {
    const response = await this.event({ request: null }, null);
    if (response.status >= 500) throw new Error(`alarm failed: ${response.body}`);
  }

  async event(envelope, request) {
    const { ctx, env } = this;
    const full = {
      ...envelope,
      object: { class: this.constructor.className, name: ctx.id.name ?? "" },
      now: Date.now(),
      random: randomHex(32),
    };
    try {
      const engine = await getEngine(env);
      const bindings = { env, ctx, request, storage: ctx.storage, atomically: (fn) => ctx.storage.transactionSync(fn) };
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
