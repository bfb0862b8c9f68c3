// The worker with a KV double that behaves like a distant location of an eventually consistent
// store: after a put or delete, reads of that key keep returning the value from before it for
// 60 seconds. Correctness must not rest on KV: pages must still be current within the
// documented bound (the stamp TTL), whatever KV answers.
import worker from "../../worker-shim/index.mjs";

const LAG_MS = 60_000;
const before = new Map(); // key -> { value, until }

function lagging(kv) {
  async function remember(key) {
    const seen = before.get(key);
    if (!seen || Date.now() >= seen.until) before.set(key, { value: await kv.get(key), until: Date.now() + LAG_MS });
  }
  return {
    async get(key, options) {
      const seen = before.get(key);
      return seen && Date.now() < seen.until ? seen.value : kv.get(key, options);
    },
    async put(key, value, options) {
      await remember(key);
      return kv.put(key, value, options);
    },
    async delete(key) {
      await remember(key);
      return kv.delete(key);
    },
    list: (options) => kv.list(options),
  };
}

export { TenantDO, PostMetaDO, PostContentDO, LimiterDO, FeedDO } from "../../worker-shim/index.mjs";

export default {
  fetch(request, env, ctx) {
    return worker.fetch(request, { ...env, CACHE_KV: lagging(env.CACHE_KV) }, ctx);
  },
};
