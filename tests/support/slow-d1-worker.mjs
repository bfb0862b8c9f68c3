// The worker with a D1 that takes 500 ms per query, so that concurrent requests are surely in
// flight together when they reach the database (for the coalescing test).
import worker from "../../worker-shim/index.mjs";

const DELAY_MS = 500;
const sleep = () => new Promise((r) => setTimeout(r, DELAY_MS));

function slow(db) {
  return {
    prepare(sql) {
      const statement = db.prepare(sql);
      return {
        bind: (...params) => {
          const bound = statement.bind(...params);
          return { all: async () => (await sleep(), bound.all()), run: async () => (await sleep(), bound.run()), raw: bound };
        },
      };
    },
    async batch(statements) {
      await sleep();
      return db.batch(statements.map((s) => s.raw));
    },
  };
}

export { TenantDO, PostMetaDO, PostContentDO, LimiterDO, FeedDO } from "../../worker-shim/index.mjs";

export default {
  fetch(request, env, ctx) {
    return worker.fetch(request, { ...env, DB: slow(env.DB) }, ctx);
  },
};
