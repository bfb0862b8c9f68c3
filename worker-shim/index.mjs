// Worker entry: converts the platform's request into the core's envelope, runs it through the
// effect interpreter, and converts the answer back. Holds no policy.
import { discardAfterTrap, getEngine } from "./engine.mjs";
import { jsonToResponse, run } from "./interpreter.mjs";

export { FeedDO, LimiterDO, PostContentDO, PostMetaDO, TenantDO } from "./durable-objects.mjs";

function randomHex(bytes) {
  const buf = crypto.getRandomValues(new Uint8Array(bytes));
  return Array.from(buf, (b) => b.toString(16).padStart(2, "0")).join("");
}

function envelopeOf(request) {
  return {
    request: { method: request.method, url: request.url, headers: Object.fromEntries(request.headers) },
    now: Date.now(),
    random: randomHex(32),
  };
}

function internalError() {
  return new Response(JSON.stringify({ error: { code: "internal.error", message: "internal error" } }), {
    status: 500,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "private, no-store" },
  });
}

// A cron event: the core decides what it does (the tier migrator); the shim only runs it.
function scheduledEnvelope(controller) {
  return {
    scheduled: { cron: controller.cron, scheduledTime: controller.scheduledTime },
    now: Date.now(),
    random: randomHex(32),
  };
}

export default {
  async scheduled(controller, env, ctx) {
    try {
      const engine = await getEngine(env);
      const response = await run(engine, scheduledEnvelope(controller), { env, ctx, request: null, upgraded: null });
      if (response.status >= 500) {
        console.error(JSON.stringify({ level: "error", message: "scheduled event failed", status: response.status, body: response.body }));
      }
    } catch (err) {
      if (err instanceof WebAssembly.RuntimeError) discardAfterTrap();
      console.error(JSON.stringify({ level: "error", message: "unhandled in scheduled", error: String(err?.stack ?? err) }));
      throw err;
    }
  },

  async fetch(request, env, ctx) {
    try {
      const engine = await getEngine(env);
      const bindings = { env, ctx, request, upgraded: null };
      const response = await run(engine, envelopeOf(request), bindings);
      // A WebSocket the core handed to a Durable Object (do.connect): the object's 101 it is.
      if (response.status === 101 && bindings.upgraded) return bindings.upgraded;
      return jsonToResponse(response);
    } catch (err) {
      if (err instanceof WebAssembly.RuntimeError) discardAfterTrap();
      console.error(JSON.stringify({ level: "error", message: "unhandled", error: String(err?.stack ?? err) }));
      return internalError();
    }
  },
};
