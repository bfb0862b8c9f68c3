// The worker whose TenantDO sees a D1 that fails the first FLAKY_ANALYTICS_FAILURES batches that
// write analytics_events (throwing as D1 does when unavailable), then recovers. The Worker's own
// D1 is untouched.
import worker, { TenantDO as Base } from "../../worker-shim/index.mjs";

export { PostMetaDO, PostContentDO, LimiterDO } from "../../worker-shim/index.mjs";

let failuresLeft = null;

function flaky(db, failures) {
  if (failuresLeft === null) failuresLeft = failures;
  return {
    prepare(sql) {
      const statement = db.prepare(sql);
      return {
        bind: (...params) => {
          const raw = statement.bind(...params);
          return { sql, raw, all: () => raw.all(), run: () => raw.run() };
        },
      };
    },
    async batch(statements) {
      if (failuresLeft > 0 && statements.some((s) => s.sql.includes("analytics_events"))) {
        failuresLeft -= 1;
        throw new Error("D1_ERROR: injected failure (flaky-d1-worker)");
      }
      return db.batch(statements.map((s) => s.raw));
    },
  };
}

export class TenantDO extends Base {
  constructor(ctx, env) {
    super(ctx, { ...env, DB: flaky(env.DB, Number(env.FLAKY_ANALYTICS_FAILURES ?? 0)) });
  }
}

export default worker;
