// Bench-only Worker for scripts/bench-feed: the real worker (worker-shim/index.mjs) plus one extra
// route, GET /__bench/naive-feed?limit=&cursor=, that answers a reader's feed the way a platform
// without FeedDO would: verify the reader token (SHA-256 -> KV `reader:{hash}` as the engine
// caches it, else D1 readers.token_hash), then one D1 join over follows, posts and tenants with
// the engine's preview columns (src/app/meadow-routes.cpp, kPreviewColumns: reaction and comment
// counts included), newest first, keyset cursor on (published_at, id) for the next page. Same
// answer shape as GET /api/meadow/feed?sort=recent. Everything else goes to the real worker.
// Its storage calls are counted in the shim's per-isolate counters under `bench.naive.*`, so one
// GET /__lattice/metrics shows both paths (the engine's own `d1.query` never includes these).
import worker from "../../worker-shim/index.mjs";
import { counters } from "../../worker-shim/interpreter.mjs";

export { FeedDO, LimiterDO, PostContentDO, PostMetaDO, TenantDO } from "../../worker-shim/index.mjs";

const NAIVE_PATH = "/__bench/naive-feed";
const count = (name, n = 1) => (counters[`bench.naive.${name}`] = (counters[`bench.naive.${name}`] ?? 0) + n);

const FEED_SQL = (withCursor) => `SELECT p.id AS post_id, p.tenant_id, t.subdomain, t.display_name AS author,
    p.slug, p.title, p.description, p.tags, p.published_at,
    coalesce((SELECT sum(count) FROM reaction_counts rc WHERE rc.post_id = p.id), 0) AS reactions,
    coalesce((SELECT count(*) FROM comments c WHERE c.post_id = p.id AND c.hidden = 0), 0) AS comments
  FROM follows f JOIN posts p ON p.tenant_id = f.tenant_id JOIN tenants t ON t.id = p.tenant_id
  WHERE f.reader_id = ?1 AND p.status = 'published' AND p.published_at <= ?2
  ${withCursor ? "AND (p.published_at < ?4 OR (p.published_at = ?4 AND p.id < ?5))" : ""}
  ORDER BY p.published_at DESC, p.id DESC LIMIT ?3`;

function json(status, body) {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "private, no-store" },
  });
}
const fail = (status, code) => json(status, { error: { code, message: code } });

async function sha256Hex(text) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function query(db, sql, ...params) {
  count("d1.query");
  const r = await db.prepare(sql).bind(...params).all();
  count("d1.rows_read", r.meta?.rows_read ?? 0);
  return r.results ?? [];
}

async function readerId(env, request) {
  const m = /^Bearer (rdr_[0-9a-f]{64})$/.exec(request.headers.get("authorization") ?? "");
  if (!m) return null;
  const hash = await sha256Hex(m[1]);
  count("kv.get");
  const kept = await env.CACHE_KV.get(`reader:${hash}`);
  if (kept) return JSON.parse(kept).id ?? null;
  const [row] = await query(env.DB, "SELECT id FROM readers WHERE token_hash = ?1", hash);
  return row?.id ?? null;
}

const encodeCursor = (item) => btoa(JSON.stringify([item.published_at, item.post_id])).replace(/=+$/, "");
function decodeCursor(text) {
  try {
    const [at, id] = JSON.parse(atob(text));
    return Number.isInteger(at) && typeof id === "string" ? [at, id] : null;
  } catch {
    return null;
  }
}

async function naiveFeed(request, env) {
  count("reads");
  const url = new URL(request.url);
  const id = await readerId(env, request);
  if (!id) return fail(401, "reader.invalid_token");
  const limit = Number(url.searchParams.get("limit") ?? "20");
  if (!Number.isInteger(limit) || limit < 1 || limit > 50) return fail(400, "feed.invalid_limit");
  const rawCursor = url.searchParams.get("cursor");
  const cursor = rawCursor === null ? null : decodeCursor(rawCursor);
  if (rawCursor !== null && !cursor) return fail(400, "feed.invalid_cursor");
  const params = [id, Date.now(), limit + 1, ...(cursor ?? [])];
  const rows = await query(env.DB, FEED_SQL(!!cursor), ...params);
  const port = url.port ? `:${url.port}` : "";
  const items = rows.slice(0, limit).map((r) => ({
    post_id: r.post_id,
    tenant_id: r.tenant_id,
    subdomain: r.subdomain,
    author: r.author,
    slug: r.slug,
    title: r.title,
    description: r.description,
    tags: JSON.parse(r.tags || "[]"),
    published_at: r.published_at,
    url: `${url.protocol}//${r.subdomain}.${env.BASE_DOMAIN}${port}/blog/${encodeURIComponent(r.slug)}`,
    reactions: r.reactions,
    comments: r.comments,
  }));
  const next = rows.length > limit ? encodeCursor(items[items.length - 1]) : null;
  return json(200, { items, next_cursor: next, sort: "recent" });
}

export default {
  fetch(request, env, ctx) {
    if (env.LATTICE_DEV === "1" && request.method === "GET" && new URL(request.url).pathname === NAIVE_PATH) {
      return naiveFeed(request, env).catch((err) => fail(500, String(err?.message ?? err)));
    }
    return worker.fetch(request, env, ctx);
  },
  scheduled(controller, env, ctx) {
    return worker.scheduled(controller, env, ctx);
  },
};
