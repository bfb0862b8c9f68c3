// The worker whose Durable Objects see a D1 that fails some batches (throwing as D1 does when
// unavailable), then recovers: the TenantDO's first FLAKY_ANALYTICS_FAILURES batches that write
// analytics_events, and the PostMetaDOs' first FLAKY_COMMENT_FAILURES batches that write comments
// (counted per isolate, so a restart starts over). The Worker's own D1 is untouched.
import worker, { TenantDO as TenantBase, PostMetaDO as PostMetaBase } from "../../worker-shim/index.mjs";

export { PostContentDO, LimiterDO, FeedDO } from "../../worker-shim/index.mjs";

const failuresLeft = {};

function flaky(db, table, failures) {
  if (failuresLeft[table] === undefined) failuresLeft[table] = failures;
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
      if (failuresLeft[table] > 0 && statements.some((s) => s.sql.includes(table))) {
        failuresLeft[table] -= 1;
        throw new Error("D1_ERROR: injected failure (flaky-d1-worker)");
      }
      return db.batch(statements.map((s) => s.raw));
    },
  };
}

export class TenantDO extends TenantBase {
  constructor(ctx, env) {
    super(ctx, { ...env, DB: flaky(env.DB, "analytics_events", Number(env.FLAKY_ANALYTICS_FAILURES ?? 0)) });
  }
}

export class PostMetaDO extends PostMetaBase {
  constructor(ctx, env) {
    super(ctx, { ...env, DB: flaky(env.DB, "INSERT INTO comments", Number(env.FLAKY_COMMENT_FAILURES ?? 0)) });
  }
}

export default worker;
