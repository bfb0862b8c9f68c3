// Isolation and abuse (issue 8), swept over every API route of README's "HTTP API" tables (and the
// pages beside them): for each route, tenant A's owner token against tenant B's resources (on B's
// host, and on A's own host naming B's slugs, drafts and comment ids), no token, a malformed or
// unknown token, a reader token where an owner token is needed (and an owner token where a
// reader's is), spoofed forwarding headers (X-Forwarded-Host and its cousins) and a Host header
// that disagrees with the URL, the main host and an unknown blog's host, bodies one byte over each
// route's bound, and wrong methods. Each case asserts the exact status and error code, and that
// nothing changed: every row of every D1 table, every KV entry and R2 object, what the Durable
// Objects the routes touch hold (both tenants' TenantDO drafts and analytics outbox, each post's
// PostMetaDO comments, reactions and views and PostContentDO version history, the reader's FeedDO
// follows and state), and which objects exist at all (no refused request creates one).
//
// One World for the whole sweep, and one snapshot per case: the state after a refused request is
// the state before the next one (any other request in between discards it). Each snapshot is a
// single request to a probe beside the worker (tests/support/state-probe-worker.mjs), which reads
// D1, KV, R2 and the objects from inside workerd, one object after another, once the isolate's
// work after responses has finished. (A refused follow of a blog that does not exist still takes
// one of the reader's FOLLOWS_PER_MINUTE: the limit is taken before the lookup, so probing names
// is limited too; the LimiterDO's counters are not part of the snapshot.)
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { until, World } from "../support/world.mjs";

const MAIN = "localhost:8787";
const A = "alpha.localhost:8787"; // the intruder's blog
const B = "beta.localhost:8787"; // the victim's blog
const NOBODY = "nosuch.localhost:8787";
const OPERATOR = "isolation-operator-token";
const MAX_MARKDOWN = 4096; // MAX_MARKDOWN_BYTES in this World
const OWNER_BODY_MAX = MAX_MARKDOWN + 64 * 1024; // owner API bodies: MAX_MARKDOWN_BYTES + 64 KiB (maxJsonOverheadBytes)
const SOCIAL_BODY_MAX = 64 * 1024; // reactions, comments (post-meta-routes.cpp)
const EVENTS_BODY_MAX = 64 * 1024; // maxEventsBodyBytes
const READERS_BODY_MAX = 1024; // readers.cpp
const BOGUS_OWNER = `lat_${"0".repeat(64)}`;
const BOGUS_READER = `rdr_${"0".repeat(64)}`;
const NOT_BEARER = "Basic Zm9vOmJhcg==";
// Every forwarding header a proxy might set, all naming B: the engine takes the host from the URL.
const SPOOF_B = { "x-forwarded-host": B, "x-original-host": B, "x-host": B, "x-forwarded-server": B, forwarded: `host=${B}` };
const DO_CLASSES = ["TenantDO", "PostMetaDO", "PostContentDO", "LimiterDO", "FeedDO"];

let w;
const ids = {}; // tenant ids, post ids, comment ids, reader id
const tok = {}; // alpha, beta (owner tokens), reader
let probeCalls = []; // the object reads of every snapshot
let last = null; // the state after the last refused case, while nothing else was sent since
let category = "";
const tally = { routes: new Set(), cases: 0, byCategory: new Map() };

const sha256 = (s) => createHash("sha256").update(s).digest("hex");

async function json(res) {
  const text = await res.text();
  try {
    return JSON.parse(text);
  } catch {
    return { text };
  }
}

async function ok(res, status, what) {
  const body = await json(res);
  assert.equal(res.status, status, `${what}: ${JSON.stringify(body)}`);
  return body;
}

// Every request goes through here; one sent outside refused() voids the kept snapshot. A body
// over 16 KiB is handed over whole by the probe (see state-probe-worker.mjs): sent through
// Miniflare's socket, a refusal before the body is read races the upload ("fetch failed").
function go(host, path, init = {}) {
  last = null;
  if (typeof init.body === "string" && Buffer.byteLength(init.body) > 16 * 1024) {
    const headers = { ...(init.headers ?? {}), host };
    const request = { method: init.method ?? "GET", url: `http://${host}${path}`, headers };
    return w.mf.dispatchFetch("http://probe.invalid/__probe/forward", {
      method: "POST",
      headers: { "x-probe-request": JSON.stringify(request) },
      body: init.body,
    });
  }
  return w.fetch(host, path, init);
}

// A request with an optional bearer token (or a whole Authorization value), JSON (an object) or
// raw (a string) body and extra headers.
function send(method, host, path, { token, body, headers = {}, type = "application/json" } = {}) {
  const h = { ...headers };
  if (token !== undefined) h.authorization = token.includes(" ") ? token : `Bearer ${token}`;
  if (body !== undefined) h["content-type"] = type;
  return go(host, path, { method, headers: h, body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body) });
}

// The same, addressed to `urlHost` with a Host header naming `hostHeader`.
function sendMismatched(method, urlHost, hostHeader, path, { token, body } = {}) {
  last = null;
  const headers = { host: hostHeader };
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  return w.mf.dispatchFetch(`http://${urlHost}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), redirect: "manual" });
}

// A JSON object body of exactly `bytes` bytes: {"<field>":"aaa…", ...extra}.
function bodyOfSize(bytes, field, extra = {}) {
  const shell = JSON.stringify({ ...extra, [field]: "" });
  const pad = bytes - shell.length;
  assert.ok(pad >= 0, "body too small for its fields");
  const text = JSON.stringify({ ...extra, [field]: "a".repeat(pad) });
  assert.equal(Buffer.byteLength(text), bytes);
  return text;
}

// ---- state: every D1 row, KV entry, R2 object and the objects' state, which no refused request may change ----

function objectFiles() {
  const out = {};
  for (const cls of DO_CLASSES) {
    const dir = join(w.state, "v3", "do", `-${cls}`);
    out[cls] = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(".sqlite") && f !== "metadata.sqlite").sort() : [];
  }
  return out;
}

async function state() {
  const res = await w.mf.dispatchFetch("http://probe.invalid/__probe/state", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(probeCalls),
  });
  assert.equal(res.status, 200, `state probe: ${await res.clone().text()}`);
  const { settled, ...s } = await res.json();
  assert.ok(settled, "the worker's work after responses did not finish");
  s.files = objectFiles();
  return s;
}

function changes(before, now) {
  const out = [];
  for (const [part, map] of Object.entries(now))
    for (const key of new Set([...Object.keys(map), ...Object.keys(before[part])]))
      if (JSON.stringify(map[key]) !== JSON.stringify(before[part][key]))
        out.push(`${part} ${key}: ${JSON.stringify(before[part][key])?.slice(0, 300)} -> ${JSON.stringify(map[key])?.slice(0, 300)}`);
  return out;
}

// Runs one refused request and checks its status, code and that nothing changed.
async function refused(route, label, request, status, code) {
  tally.routes.add(route);
  tally.cases++;
  tally.byCategory.set(category, (tally.byCategory.get(category) ?? 0) + 1);
  const before = last ?? (await state());
  const res = await request();
  last = null;
  const body = await json(res);
  const what = `${route} — ${label}`;
  assert.equal(res.status, status, `${what}: ${JSON.stringify(body).slice(0, 300)}`);
  if (code !== null) assert.equal(body.error?.code, code, `${what}: ${JSON.stringify(body).slice(0, 300)}`);
  if (res.status === 401 && code?.startsWith("auth.")) assert.match(res.headers.get("www-authenticate") ?? "", /^Bearer/, what);
  if (status === 405 && code !== null) assert.ok(res.headers.get("allow"), `${what}: Allow`); // the Worker's 405s
  if (route.includes("/api/") && !route.startsWith("GET /api/meadow/blogs"))
    assert.match(res.headers.get("cache-control") ?? "", /no-store/, `${what}: an API refusal may not be cached`);
  const now = await state();
  assert.deepEqual(changes(before, now), [], `${what}: state changed`);
  last = now;
}

// ---- the world: two blogs, a reader who reacted, commented and follows ----

before(async () => {
  w = await World.start({
    script: "tests/support/state-probe-worker.mjs",
    vars: {
      MAX_MARKDOWN_BYTES: String(MAX_MARKDOWN),
      OPERATOR_TOKEN_SHA256: sha256(OPERATOR),
      COMMENTS_FLUSH_SECONDS: "1",
      REACTIONS_FLUSH_SECONDS: "1",
      EVENTS_FLUSH_SECONDS: "1",
      // Every request asks for the tenant's stamp again, so the tenant directory (KV "dir:") is
      // filled while the caches are warmed below, not by whichever refused request comes first
      // once a 30 s stamp expires; and every refused request goes through the directory.
      STAMP_TTL_SECONDS: "1",
    },
  });
  ids.alpha = await w.addTenant("alpha");
  ids.beta = await w.addTenant("beta");
  tok.alpha = await w.mintToken(ids.alpha);
  tok.beta = await w.mintToken(ids.beta);
  const post = (host, token, slug, status = "published") =>
    send("POST", host, "/api/posts", { token, body: { slug, title: `Title ${slug}`, markdown: `Body of ${slug}.`, status } });
  ids.posts = {};
  for (const [host, sub, token, slug, status] of [
    [A, "alpha", tok.alpha, "shared", "published"],
    [A, "alpha", tok.alpha, "a-only", "published"],
    [B, "beta", tok.beta, "shared", "published"],
    [B, "beta", tok.beta, "b-only", "published"],
    [B, "beta", tok.beta, "b-hidden", "draft"],
  ]) {
    const created = await ok(await post(host, token, slug, status), 201, `create ${sub}/${slug}`);
    ids.posts[`${sub}/${slug}`] = { tenant: ids[sub], post: created.post.id };
  }
  await ok(await send("PUT", B, "/api/posts/b-only", { token: tok.beta, body: { title: "B only, second version" } }), 200, "edit b-only");
  await ok(await send("PUT", B, "/api/drafts/wip-b", { token: tok.beta, body: { content: "beta's draft", metadata: { title: "WIP" }, deviceId: "dev-b" } }), 201, "beta draft");
  await ok(await send("PUT", A, "/api/drafts/wip-a", { token: tok.alpha, body: { content: "alpha's draft", deviceId: "dev-a" } }), 201, "alpha draft");

  const signed = await ok(await send("POST", MAIN, "/api/readers", { body: { name: "Rea" } }), 201, "sign up");
  tok.reader = signed.token;
  ids.reader = signed.reader.id;
  await ok(await send("POST", B, "/api/posts/shared/reactions", { token: tok.reader, body: { type: "like" } }), 200, "react");
  ids.commentB = (await ok(await send("POST", B, "/api/posts/shared/comments", { token: tok.reader, body: { body: "on beta" } }), 201, "comment")).comment.id;
  ids.commentA = (await ok(await send("POST", A, "/api/posts/shared/comments", { token: tok.reader, body: { body: "on alpha" } }), 201, "comment")).comment.id;
  await ok(await send("PUT", MAIN, "/api/meadow/following/beta", { token: tok.reader }), 200, "follow");
  await ok(await send("POST", B, "/api/events", { body: { events: [{ kind: "view", slug: "shared", id: "evt-00000001" }] } }), 202, "event");

  // What every snapshot asks the objects.
  for (const sub of ["alpha", "beta"]) {
    const h = { "x-lattice-tenant": ids[sub], "x-lattice-subdomain": sub };
    for (const path of ["/drafts", `/drafts/wip-${sub[0]}`, "/events"]) probeCalls.push({ binding: "TENANT_DO", name: `tenant:${sub}`, path, headers: h });
  }
  for (const { tenant, post: id } of Object.values(ids.posts)) {
    const h = { "x-lattice-tenant": tenant, "x-lattice-post": id, "x-lattice-owner": "1" };
    for (const path of ["/stats", "/comments?limit=100", "/reactions"]) probeCalls.push({ binding: "POST_META_DO", name: `post-meta:${tenant}:${id}`, path, headers: h });
    probeCalls.push({ binding: "POST_CONTENT_DO", name: `post-content:${tenant}:${id}`, path: "/versions", headers: h });
  }
  for (const path of ["/follows", "/state"]) probeCalls.push({ binding: "FEED_DO", name: `feed:${ids.reader}`, path, headers: { "x-lattice-reader": ids.reader } });

  // The read-through caches refused requests may consult are filled now, so that a fill is not
  // mistaken for a change: every post (and the slugs probed on the other blog), the lists, and the
  // tenant directory (consulted once the stamp a write left has expired: STAMP_TTL_SECONDS).
  await until("the caches warm", async () => {
    for (const host of [A, B])
      for (const path of ["/blog", "/feed.xml", "/sitemap.xml", "/blog/shared", "/blog/a-only", "/blog/b-only", "/blog/b-hidden"])
        await go(host, path).then((r) => r.arrayBuffer());
    const { kv } = await state();
    return kv["dir:alpha"] === ids.alpha && kv["dir:beta"] === ids.beta;
  });

  // What is buffered reaches D1 before the sweep (comments, analytics, reaction counts)...
  await until("comments in D1", async () => (await w.rows("SELECT count(*) AS n FROM comments"))[0].n === 2);
  await until("analytics in D1", async () => (await w.rows("SELECT count(*) AS n FROM analytics_events"))[0].n === 1);
  // ...and stays put: two snapshots a second apart agree.
  await until("a quiet world", async () => {
    const first = await state();
    await new Promise((r) => setTimeout(r, 1000));
    const second = await state();
    return changes(first, second).length === 0;
  });
});
after(() => w?.dispose());

// ---- the owner API ----

// Every owner route with a body that would change something if it were accepted.
const OWNER_ROUTES = [
  ["GET", "/api/posts"],
  ["POST", "/api/posts", { slug: "intruder", title: "Intruder", markdown: "x", status: "published" }],
  ["GET", "/api/posts/b-only"],
  ["PUT", "/api/posts/b-only", { title: "Defaced" }],
  ["DELETE", "/api/posts/b-only"],
  ["GET", "/api/posts/b-only/versions"],
  ["GET", "/api/posts/b-only/versions/1"],
  ["POST", "/api/posts/b-only/versions/1/restore", {}],
  ["POST", "/api/preview", { markdown: "# x" }],
  ["GET", "/api/stats"],
  ["GET", "/api/tenant"],
  ["PUT", "/api/tenant", { display_name: "Defaced" }],
  ["GET", "/api/drafts"],
  ["GET", "/api/drafts/wip-b"],
  ["PUT", "/api/drafts/wip-b", { content: "defaced", deviceId: "intruder" }],
  ["DELETE", "/api/drafts/wip-b"],
  ["POST", "/api/drafts/wip-b/publish", {}],
];

test("owner routes: no token, bad tokens, another tenant's token, a reader's token, spoofed hosts", async () => {
  category = "owner API: tokens and hosts";
  for (const [method, path, body] of OWNER_ROUTES) {
    const route = `${method} ${path}`;
    const on = (host, token, headers) => () => send(method, host, path, { token, body, headers });
    await refused(route, "no token", on(B), 401, "auth.missing_token");
    await refused(route, "not a bearer", on(B, NOT_BEARER), 401, "auth.invalid_token");
    await refused(route, "unknown owner token", on(B, BOGUS_OWNER), 401, "auth.invalid_token");
    await refused(route, "a reader token", on(B, tok.reader), 401, "auth.invalid_token");
    await refused(route, "tenant A's token on B's host", on(B, tok.alpha), 404, "tenant.not_found");
    await refused(route, "B's host, A's token, X-Forwarded-Host: A", on(B, tok.alpha, { "x-forwarded-host": A }), 404, "tenant.not_found");
    await refused(route, "A's host, B's token, forwarding headers naming B", on(A, tok.beta, SPOOF_B), 404, "tenant.not_found");
    await refused(route, "URL on A's host, Host: B, B's token", () => sendMismatched(method, A, B, path, { token: tok.beta, body }), 404, "tenant.not_found");
    await refused(route, "the main host", on(MAIN, tok.beta), 404, "tenant.not_found");
  }
  const put = "PUT /api/posts/b-only";
  const defaced = { title: "Defaced" };
  await refused(put, "a truncated token", () => send("PUT", B, "/api/posts/b-only", { token: tok.beta.slice(0, -1), body: defaced }), 401, "auth.invalid_token");
  await refused(put, "B's token in upper case", () => send("PUT", B, "/api/posts/b-only", { token: `lat_${tok.beta.slice(4).toUpperCase()}`, body: defaced }), 401, "auth.invalid_token");
  await refused(put, "an unknown blog's host", () => send("PUT", NOBODY, "/api/posts/b-only", { token: tok.beta, body: defaced }), 404, "tenant.not_found");
  await refused(put, "B's host under another base domain", () => send("PUT", "beta.evil.example", "/api/posts/b-only", { token: tok.beta, body: defaced }), 404, "tenant.not_found");
});

test("owner routes: wrong methods are 405 with Allow, before any token is looked at", async () => {
  category = "owner API: wrong methods";
  for (const [method, path, allow] of [
    ["PATCH", "/api/posts", "GET, POST"],
    ["POST", "/api/posts/b-only", "GET, PUT, DELETE"],
    ["DELETE", "/api/posts/b-only/versions", "GET"],
    ["PUT", "/api/posts/b-only/versions/1", "GET"],
    ["GET", "/api/posts/b-only/versions/1/restore", "POST"],
    ["GET", "/api/preview", "POST"],
    ["POST", "/api/stats", "GET, HEAD"],
    ["DELETE", "/api/tenant", "GET, PUT"],
    ["PUT", "/api/drafts", "GET"],
    ["GET", "/api/drafts/wip-b/publish", "POST"],
  ]) {
    await refused(`${method} ${path}`, `with A's token on B's host`, async () => {
      const res = await send(method, B, path, { token: tok.alpha, body: method === "GET" ? undefined : {} });
      assert.equal(res.headers.get("allow"), allow, `${method} ${path}: Allow`);
      return res;
    }, 405, "request.method_not_allowed");
  }
});

test("owner routes: tenant A's token on its own host naming B's resources", async () => {
  category = "owner API: A's token naming B's resources";
  const cases = [
    ["GET", "/api/posts/b-only", undefined, 404, "post.not_found"],
    ["PUT", "/api/posts/b-only", { title: "Defaced" }, 404, "post.not_found"],
    ["DELETE", "/api/posts/b-only", undefined, 404, "post.not_found"],
    ["GET", "/api/posts/b-only/versions", undefined, 404, "post.not_found"],
    ["GET", "/api/posts/b-only/versions/2", undefined, 404, "post.not_found"],
    ["POST", "/api/posts/b-only/versions/1/restore", {}, 404, "post.not_found"],
    // alpha's "shared" has one version; beta's has its own history.
    ["GET", "/api/posts/shared/versions/2", undefined, 404, "version.not_found"],
    ["POST", "/api/posts/shared/versions/2/restore", {}, 404, "version.not_found"],
    ["GET", "/api/drafts/wip-b", undefined, 404, "draft.not_found"],
    ["PUT", "/api/drafts/wip-b?revision=1", { content: "x", deviceId: "intruder", baseRevision: 1 }, 409, "draft.conflict"],
    ["DELETE", "/api/drafts/wip-b?revision=1", undefined, 404, "draft.not_found"],
    ["POST", "/api/drafts/wip-b/publish", {}, 404, "draft.not_found"],
    // A slug is a path segment: no escaping into another route or object.
    ["GET", "/api/drafts/..%2F..%2Fbeta%2Fwip-b", undefined, 404, "draft.not_found"],
    ["GET", "/api/posts/..%2Fb-only", undefined, 404, "post.not_found"],
    ["GET", "/api/posts/b%2Donly", undefined, 404, "post.not_found"],
  ];
  for (const [method, path, body, status, code] of cases)
    await refused(`${method} ${path.split("?")[0]}`, "A's token, A's host, B's resource", () => send(method, A, path, { token: tok.alpha, body }), status, code);
  // A's owner list, drafts and figures hold none of B's.
  const list = await ok(await send("GET", A, "/api/posts?limit=100", { token: tok.alpha }), 200, "list");
  assert.deepEqual(list.posts.map((p) => p.slug).sort(), ["a-only", "shared"]);
  const drafts = await ok(await send("GET", A, "/api/drafts", { token: tok.alpha }), 200, "drafts");
  assert.deepEqual(drafts.drafts.map((d) => d.slug), ["wip-a"]);
  const stats = await ok(await send("GET", A, "/api/stats?days=7", { token: tok.alpha }), 200, "stats");
  assert.ok(stats.top_posts.every((p) => ["a-only", "shared"].includes(p.slug)), JSON.stringify(stats.top_posts));
  assert.equal(stats.reactions.like, 0, "B's like is not A's");
});

test("owner routes: bodies one byte over each bound are 413 and change nothing", async () => {
  category = "owner API: oversized and invalid bodies";
  const t = tok.beta;
  const over = OWNER_BODY_MAX + 1;
  const cases = [
    // The request body bound (MAX_MARKDOWN_BYTES + 64 KiB), checked before parsing: exactly the bound is read.
    ["POST", "/api/posts", bodyOfSize(OWNER_BODY_MAX, "markdown", { slug: "big", title: "Big" }), 413, "post.markdown_too_large"],
    ["POST", "/api/posts", bodyOfSize(over, "markdown", { slug: "big", title: "Big" }), 413, "request.too_large"],
    ["POST", "/api/posts", JSON.stringify({ slug: "big", title: "Big", markdown: "a".repeat(MAX_MARKDOWN + 1) }), 413, "post.markdown_too_large"],
    ["POST", "/api/posts", JSON.stringify({ slug: "big", title: "t".repeat(201) }), 400, "post.title_invalid"],
    ["POST", "/api/posts", JSON.stringify({ slug: "a".repeat(101), title: "Big" }), 400, "post.slug_invalid"],
    ["POST", "/api/posts", JSON.stringify({ slug: "big", title: "Big", description: "d".repeat(501) }), 400, "post.description_invalid"],
    ["POST", "/api/posts", JSON.stringify({ slug: "big", title: "Big", tags: Array.from({ length: 11 }, (_, i) => `t${i}`) }), 400, "post.tags_invalid"],
    ["POST", "/api/posts", `${"[".repeat(10000)}${"]".repeat(10000)}`, 400, "request.malformed_json"],
    ["PUT", "/api/posts/b-only", bodyOfSize(over, "markdown"), 413, "request.too_large"],
    ["PUT", "/api/posts/b-only", JSON.stringify({ markdown: "a".repeat(MAX_MARKDOWN + 1) }), 413, "post.markdown_too_large"],
    ["POST", "/api/preview", bodyOfSize(over, "markdown"), 413, "request.too_large"],
    ["POST", "/api/preview", JSON.stringify({ markdown: "a".repeat(MAX_MARKDOWN + 1) }), 413, "post.markdown_too_large"],
    ["POST", "/api/posts/b-only/versions/1/restore", bodyOfSize(over, "pad"), 413, "request.too_large"],
    ["PUT", "/api/tenant", bodyOfSize(over, "description"), 413, "request.too_large"],
    ["PUT", "/api/tenant", JSON.stringify({ display_name: "n".repeat(101) }), 400, "tenant.display_name_invalid"],
    ["PUT", "/api/tenant", JSON.stringify({ description: "d".repeat(501) }), 400, "tenant.description_invalid"],
    ["PUT", "/api/tenant", JSON.stringify({ limits: { max_draft_bytes: 16 * 1024 * 1024 + 1 } }), 400, "tenant.limits_invalid"],
    ["PUT", "/api/drafts/wip-b", bodyOfSize(over, "content", { deviceId: "dev-b" }), 413, "request.too_large"],
    ["PUT", "/api/drafts/wip-b", JSON.stringify({ content: "a".repeat(MAX_MARKDOWN + 1), deviceId: "dev-b" }), 413, "draft.too_large"],
    ["POST", "/api/drafts/wip-b/publish", bodyOfSize(over, "pad"), 413, "request.too_large"],
  ];
  for (const [method, path, body, status, code] of cases)
    await refused(`${method} ${path}`, `${Buffer.byteLength(body)}-byte body`, () => send(method, B, path, { token: t, body }), status, code);
  await refused("POST /api/posts", "not JSON", () => send("POST", B, "/api/posts", { token: t, body: "slug=big", type: "application/x-www-form-urlencoded" }), 415, "request.unsupported_media_type");
  // Without a token the body is never read: 401, not 413.
  await refused("POST /api/posts", "oversized, no token", () => send("POST", B, "/api/posts", { body: bodyOfSize(over, "markdown") }), 401, "auth.missing_token");
  await refused("POST /api/posts", "oversized, A's token", () => send("POST", B, "/api/posts", { token: tok.alpha, body: bodyOfSize(over, "markdown") }), 404, "tenant.not_found");
  await refused("GET /api/stats", "days out of range", () => send("GET", B, "/api/stats?days=91", { token: t }), 400, "stats.days_invalid");
});

// ---- analytics (no token) ----

test("POST /api/events: unknown blogs, spoofed hosts and oversized bodies", async () => {
  category = "analytics";
  const route = "POST /api/events";
  const one = { events: [{ kind: "view", slug: "shared", id: "evt-intruder-1" }] };
  await refused(route, "an unknown blog", () => send("POST", NOBODY, "/api/events", { body: one }), 404, "tenant.not_found");
  await refused(route, "an unknown blog, forwarding headers naming B", () => send("POST", NOBODY, "/api/events", { body: one, headers: SPOOF_B }), 404, "tenant.not_found");
  await refused(route, "URL on an unknown blog, Host: B", () => sendMismatched("POST", NOBODY, B, "/api/events", { body: one }), 404, "tenant.not_found");
  await refused(route, "the main host", () => send("POST", MAIN, "/api/events", { body: one }), 404, "tenant.not_found");
  await refused(route, `${EVENTS_BODY_MAX + 1}-byte body`, () => send("POST", B, "/api/events", { body: bodyOfSize(EVENTS_BODY_MAX + 1, "pad") }), 413, "request.too_large");
  const many = { events: Array.from({ length: 101 }, (_, i) => ({ kind: "view", slug: "shared", id: `evt-many-${String(i).padStart(4, "0")}` })) };
  await refused(route, "101 events", () => send("POST", B, "/api/events", { body: many }), 413, "events.too_many");
  await refused(route, "data over 1 KiB", () => send("POST", B, "/api/events", { body: { events: [{ kind: "view", slug: "shared", id: "evt-bigdata-1", data: { x: "a".repeat(1024) } }] } }), 400, "event.data_invalid");
  await refused(route, "GET", () => send("GET", B, "/api/events"), 405, "request.method_not_allowed");
});

// ---- readers: sign-up, reactions, comments, hiding ----

test("POST /api/readers: oversized bodies and names change nothing", async () => {
  category = "reader sign-up";
  const route = "POST /api/readers";
  await refused(route, `${READERS_BODY_MAX + 1}-byte body`, () => send("POST", MAIN, "/api/readers", { body: bodyOfSize(READERS_BODY_MAX + 1, "name") }), 413, "request.too_large");
  await refused(route, "a 51-character name", () => send("POST", MAIN, "/api/readers", { body: { name: "n".repeat(51) } }), 400, "reader.name_invalid");
  await refused(route, "an unknown field", () => send("POST", MAIN, "/api/readers", { body: { name: "Eve", admin: true } }), 400, "request.unknown_field");
  await refused(route, "an owner token is no help", () => send("POST", B, "/api/readers", { token: tok.beta, body: { name: "" } }), 400, "reader.name_invalid");
  await refused(route, "GET", () => send("GET", MAIN, "/api/readers"), 405, "request.method_not_allowed");
});

test("reactions and comments: tokens, other tenants' posts, drafts, spoofed hosts, oversized bodies", async () => {
  category = "reactions and comments";
  for (const what of ["reactions", "comments"]) {
    const body = what === "reactions" ? { type: "love" } : { body: "intruding" };
    const post = `POST /api/posts/{slug}/${what}`;
    const get = `GET /api/posts/{slug}/${what}`;
    const at = (method, host, slug, opts) => () => send(method, host, `/api/posts/${slug}/${what}`, opts);
    await refused(post, "no token", at("POST", B, "shared", { body }), 401, "reader.missing_token");
    await refused(post, "unknown reader token", at("POST", B, "shared", { token: BOGUS_READER, body }), 401, "reader.invalid_token");
    await refused(post, "garbage bearer", at("POST", B, "shared", { token: "rdr_xyz", body }), 401, "reader.invalid_token");
    await refused(post, "not a bearer", at("POST", B, "shared", { token: NOT_BEARER, body }), 401, "reader.invalid_token");
    await refused(post, "B's owner token (not a reader)", at("POST", B, "shared", { token: tok.beta, body }), 401, "reader.missing_token");
    await refused(post, "A's owner token on B's host", at("POST", B, "shared", { token: tok.alpha, body }), 404, "tenant.not_found");
    await refused(post, "unknown owner token", at("POST", B, "shared", { token: BOGUS_OWNER, body }), 401, "auth.invalid_token");
    await refused(post, "B's draft", at("POST", B, "b-hidden", { token: tok.reader, body }), 404, "post.not_found");
    await refused(post, "B's post on A's host", at("POST", A, "b-only", { token: tok.reader, body }), 404, "post.not_found");
    await refused(post, "B's post on A's host, forwarding headers naming B", at("POST", A, "b-only", { token: tok.reader, body, headers: SPOOF_B }), 404, "post.not_found");
    await refused(post, "B's post, URL on A's host, Host: B", () => sendMismatched("POST", A, B, `/api/posts/b-only/${what}`, { token: tok.reader, body }), 404, "post.not_found");
    await refused(post, "an unknown blog", at("POST", NOBODY, "shared", { token: tok.reader, body }), 404, "tenant.not_found");
    await refused(post, "the main host", at("POST", MAIN, "shared", { token: tok.reader, body }), 404, "tenant.not_found");
    await refused(post, `${SOCIAL_BODY_MAX + 1}-byte body`, at("POST", B, "shared", { token: tok.reader, body: bodyOfSize(SOCIAL_BODY_MAX + 1, what === "reactions" ? "type" : "body") }), 413, "request.too_large");
    await refused(post, "not JSON", at("POST", B, "shared", { token: tok.reader, body: "type=like", type: "application/x-www-form-urlencoded" }), 415, "request.unsupported_media_type");
    await refused(get, "B's draft", at("GET", B, "b-hidden", {}), 404, "post.not_found");
    await refused(get, "B's post on A's host", at("GET", A, "b-only", {}), 404, "post.not_found");
    await refused(get, "A's owner token on B's host", at("GET", B, "shared", { token: tok.alpha }), 404, "tenant.not_found");
    await refused(`DELETE /api/posts/{slug}/${what}`, "DELETE", at("DELETE", B, "shared", { token: tok.reader }), 405, "request.method_not_allowed");
  }
  // The comment bound: 5,000 characters.
  await refused("POST /api/posts/{slug}/comments", "5,001 characters", () => send("POST", B, "/api/posts/shared/comments", { token: tok.reader, body: { body: "é".repeat(5001) } }), 413, "comment.too_long");
  await refused("POST /api/posts/{slug}/comments", "a parent on another blog", () => send("POST", B, "/api/posts/shared/comments", { token: tok.reader, body: { body: "reply", parentId: ids.commentA } }), 400, "comment.parent_invalid");
  await refused("POST /api/posts/{slug}/reactions", "an unknown type", () => send("POST", B, "/api/posts/shared/reactions", { token: tok.reader, body: { type: "angry" } }), 400, "reaction.type_invalid");
  // A reader's view of comments never names readers' ids.
  const seen = await ok(await send("GET", B, "/api/posts/shared/comments", { token: tok.reader }), 200, "comments");
  assert.equal(seen.comments.length, 1);
  assert.equal("reader_id" in seen.comments[0], false);
});

test("hiding a comment: owner of that post's blog only", async () => {
  category = "hiding a comment";
  const route = "PUT /api/posts/{slug}/comments/{id}";
  const hide = { hidden: true };
  const at = (host, slug, id, opts) => () => send("PUT", host, `/api/posts/${slug}/comments/${id}`, { body: hide, ...opts });
  await refused(route, "no token", at(B, "shared", ids.commentB, {}), 403, "auth.owner_required");
  await refused(route, "a reader token", at(B, "shared", ids.commentB, { token: tok.reader }), 403, "auth.owner_required");
  await refused(route, "unknown owner token", at(B, "shared", ids.commentB, { token: BOGUS_OWNER }), 401, "auth.invalid_token");
  await refused(route, "A's owner token on B's host", at(B, "shared", ids.commentB, { token: tok.alpha }), 404, "tenant.not_found");
  await refused(route, "A's owner token on B's host, X-Forwarded-Host: A", at(B, "shared", ids.commentB, { token: tok.alpha, headers: { "x-forwarded-host": A } }), 404, "tenant.not_found");
  await refused(route, "A's token, A's post of the same slug, B's comment id", at(A, "shared", ids.commentB, { token: tok.alpha }), 404, "comment.not_found");
  await refused(route, "...with forwarding headers naming B", at(A, "shared", ids.commentB, { token: tok.alpha, headers: SPOOF_B }), 404, "comment.not_found");
  await refused(route, "B's token, B's other post, B's comment id", at(B, "b-only", ids.commentB, { token: tok.beta }), 404, "comment.not_found");
  await refused(route, "B's token, an id escaping its segment", at(B, "shared", encodeURIComponent(`../../b-only/comments/${ids.commentB}`), { token: tok.beta }), 404, "comment.not_found");
  await refused(route, `${SOCIAL_BODY_MAX + 1}-byte body`, at(B, "shared", ids.commentB, { token: tok.beta, body: bodyOfSize(SOCIAL_BODY_MAX + 1, "hidden") }), 413, "request.too_large");
  await refused(route, "not a boolean", at(B, "shared", ids.commentB, { token: tok.beta, body: { hidden: "yes" } }), 400, "comment.hidden_invalid");
  await refused(route, "POST", () => send("POST", B, `/api/posts/shared/comments/${ids.commentB}`, { token: tok.beta, body: hide }), 405, "request.method_not_allowed");
  // A's owner sees only A's comments.
  const asA = await ok(await send("GET", A, "/api/posts/shared/comments", { token: tok.alpha }), 200, "A's comments");
  assert.deepEqual(asA.comments.map((c) => c.id), [ids.commentA]);
});

test("live channels: upgrade, origin, tokens and hosts", async () => {
  category = "live channels";
  const ws = { upgrade: "websocket", connection: "Upgrade", "sec-websocket-version": "13", "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==" };
  const route = "GET /api/posts/{slug}/live";
  await refused(route, "not an upgrade", () => send("GET", B, "/api/posts/shared/live"), 426, "live.upgrade_required");
  await refused(route, "another blog's page as Origin", () => send("GET", B, "/api/posts/shared/live", { headers: { ...ws, origin: `http://${A}` } }), 403, "live.origin_forbidden");
  await refused(route, "Origin spoofed by X-Forwarded-Host", () => send("GET", B, "/api/posts/shared/live", { headers: { ...ws, origin: `http://${A}`, "x-forwarded-host": A } }), 403, "live.origin_forbidden");
  await refused(route, "A's owner token on B's host", () => send("GET", B, "/api/posts/shared/live", { token: tok.alpha, headers: { ...ws, origin: `http://${B}` } }), 404, "tenant.not_found");
  await refused(route, "B's draft", () => send("GET", B, "/api/posts/b-hidden/live", { headers: { ...ws, origin: `http://${B}` } }), 404, "post.not_found");
  await refused(route, "POST", () => send("POST", B, "/api/posts/shared/live"), 405, "request.method_not_allowed");
  const meadow = "GET /api/meadow/live";
  await refused(meadow, "no token", () => send("GET", MAIN, "/api/meadow/live", { headers: { ...ws, origin: `http://${MAIN}` } }), 401, "reader.missing_token");
  await refused(meadow, "an owner token as the subprotocol", () => send("GET", MAIN, "/api/meadow/live", { headers: { ...ws, origin: `http://${MAIN}`, "sec-websocket-protocol": `lattice.meadow, ${tok.beta}` } }), 401, "reader.missing_token");
  await refused(meadow, "an unknown reader token as the subprotocol", () => send("GET", MAIN, "/api/meadow/live", { headers: { ...ws, origin: `http://${MAIN}`, "sec-websocket-protocol": `lattice.meadow, ${BOGUS_READER}` } }), 401, "reader.invalid_token");
  await refused(meadow, "another origin", () => send("GET", MAIN, "/api/meadow/live", { token: tok.reader, headers: { ...ws, origin: "http://evil.example" } }), 403, "live.origin_forbidden");
});

// ---- Meadow ----

test("Meadow routes: reader token required; owner tokens and spoofed hosts do not pass", async () => {
  category = "Meadow";
  const routes = [
    ["PUT", "/api/meadow/following/alpha"],
    ["DELETE", "/api/meadow/following/beta"],
    ["GET", "/api/meadow/following"],
    ["GET", "/api/meadow/feed"],
  ];
  for (const [method, path] of routes) {
    const route = `${method} ${path.replace(/following\/\w+/, "following/{subdomain}")}`;
    await refused(route, "no token", () => send(method, MAIN, path), 401, "reader.missing_token");
    await refused(route, "no token on B's host", () => send(method, B, path), 401, "reader.missing_token");
    await refused(route, "B's owner token", () => send(method, MAIN, path, { token: tok.beta }), 401, "reader.missing_token");
    await refused(route, "A's owner token on B's host", () => send(method, B, path, { token: tok.alpha }), 401, "reader.missing_token");
    await refused(route, "unknown reader token", () => send(method, MAIN, path, { token: BOGUS_READER }), 401, "reader.invalid_token");
    await refused(route, "garbage bearer", () => send(method, MAIN, path, { token: "rdr_0" }), 401, "reader.invalid_token");
    await refused(route, "not a bearer", () => send(method, MAIN, path, { token: NOT_BEARER }), 401, "reader.invalid_token");
    await refused(route, "forwarding headers do not lend a token", () => send(method, A, path, { headers: { ...SPOOF_B, "x-forwarded-host": MAIN } }), 401, "reader.missing_token");
    await refused(route, "POST", () => send("POST", MAIN, path, { token: tok.reader }), 405, "request.method_not_allowed");
  }
  const follow = "PUT /api/meadow/following/{subdomain}";
  await refused(follow, "an unknown blog", () => send("PUT", MAIN, "/api/meadow/following/nosuch", { token: tok.reader }), 404, "tenant.not_found");
  await refused(follow, "a host-like name", () => send("PUT", MAIN, `/api/meadow/following/${encodeURIComponent("beta.localhost:8787")}`, { token: tok.reader }), 404, "tenant.not_found");
  await refused(follow, "a path-like name", () => send("PUT", MAIN, `/api/meadow/following/${encodeURIComponent("../beta")}`, { token: tok.reader }), 404, "tenant.not_found");
  await refused("GET /api/meadow/feed", "a bad sort", () => send("GET", MAIN, "/api/meadow/feed?sort=evil", { token: tok.reader }), 400, "feed.invalid_sort");
  await refused("GET /api/meadow/feed", "a forged cursor", () => send("GET", MAIN, "/api/meadow/feed?cursor=eyJ0IjoxfQ", { token: tok.reader }), 400, "feed.invalid_cursor");
  await refused("GET /api/meadow/blogs", "POST", () => send("POST", MAIN, "/api/meadow/blogs", { token: tok.reader }), 405, "request.method_not_allowed");
  await refused("GET /api/meadow/{unknown}", "an unknown route", () => send("GET", MAIN, "/api/meadow/admin", { token: tok.reader }), 404, "route.not_found");
  // The directory is public and the same for everyone; it names no drafts.
  const dir = await ok(await send("GET", MAIN, "/api/meadow/blogs", { headers: SPOOF_B }), 200, "blogs");
  assert.deepEqual(dir.blogs.map((b) => [b.subdomain, b.posts]).sort(), [["alpha", 2], ["beta", 2]]);
});

// ---- the operator ----

test("POST /api/admin/migrate: the operator's token only", async () => {
  category = "operator";
  const route = "POST /api/admin/migrate";
  const at = (host, token, headers) => () => send("POST", host, "/api/admin/migrate?dry_run=0", { token, headers });
  await refused(route, "no token", at(MAIN), 401, "auth.missing_token");
  await refused(route, "B's owner token", at(MAIN, tok.beta), 401, "auth.invalid_token");
  await refused(route, "B's owner token on B's host", at(B, tok.beta), 401, "auth.invalid_token");
  await refused(route, "a reader token", at(MAIN, tok.reader), 401, "auth.invalid_token");
  await refused(route, "the operator token's hash as the token", at(MAIN, sha256(OPERATOR)), 401, "auth.invalid_token");
  await refused(route, "a prefix of the operator token", at(MAIN, OPERATOR.slice(0, -1)), 401, "auth.invalid_token");
  await refused(route, "a 10 KB token", at(MAIN, "x".repeat(10000)), 401, "auth.invalid_token");
  await refused(route, "not a bearer", at(MAIN, NOT_BEARER), 401, "auth.invalid_token");
  await refused(route, "forwarding headers", at(B, undefined, { ...SPOOF_B, "x-forwarded-host": MAIN }), 401, "auth.missing_token");
  await refused(route, "GET", () => send("GET", MAIN, "/api/admin/migrate", { token: OPERATOR }), 405, "request.method_not_allowed");
  await refused(route, "a bad dry_run", () => send("POST", MAIN, "/api/admin/migrate?dry_run=maybe", { token: OPERATOR }), 400, "request.invalid_query");
});

// ---- pages beside the API ----

test("pages: drafts and other blogs' posts are not public; pages answer GET and HEAD only", async () => {
  category = "pages";
  const page = (host, path, opts = {}) => () => go(host, path, opts);
  await refused("GET /blog/{slug}", "B's draft", page(B, "/blog/b-hidden"), 404, null);
  await refused("GET /blog/{slug}", "B's draft, with A's owner token", page(B, "/blog/b-hidden", { headers: { authorization: `Bearer ${tok.alpha}` } }), 404, null);
  await refused("GET /blog/{slug}", "B's draft, with B's owner token (pages take no tokens)", page(B, "/blog/b-hidden", { headers: { authorization: `Bearer ${tok.beta}` } }), 404, null);
  await refused("GET /blog/{slug}", "B's post on A's host", page(A, "/blog/b-only"), 404, null);
  await refused("GET /blog/{slug}", "B's post on A's host, forwarding headers naming B", page(A, "/blog/b-only", { headers: SPOOF_B }), 404, null);
  await refused("GET /blog/{slug}", "POST", page(B, "/blog/shared", { method: "POST" }), 405, "request.method_not_allowed");
  await refused("GET /admin", "POST", page(B, "/admin", { method: "POST" }), 405, "request.method_not_allowed");
  // Scripts and styles are static assets: the platform's asset layer refuses other methods
  // itself (405, no body) before the Worker runs (README, "Architecture").
  await refused("GET /admin/{file}", "PUT", page(B, "/admin/app.js", { method: "PUT" }), 405, null);
  await refused("GET /admin/{file}", "an unknown file", page(B, "/admin/..%2F..%2Fwrangler.toml"), 404, "route.not_found");
  await refused("GET /assets/{file}", "POST", page(B, "/assets/live.js", { method: "POST" }), 405, null);
  // No such file: the Worker answers, and under /assets/ that is the blog's 404 page.
  await refused("GET /assets/{file}", "an unknown file", page(B, "/assets/..%2Fadmin%2Fapp.js"), 404, null);
  await refused("GET /meadow", "POST", page(MAIN, "/meadow", { method: "POST" }), 405, "request.method_not_allowed");
  await refused("POST /api/{unknown}", "an unknown API route", page(B, "/api/nothing-here", { method: "POST" }), 404, "route.not_found");
  await refused("GET /api/{unknown}", "a malformed escape", page(B, "/api/posts/%zz"), 400, "request.bad_path");
  // Nothing of B's draft reaches B's public lists, feed or sitemap, and nothing of B's is on A's.
  for (const path of ["/blog", "/feed.xml", "/sitemap.xml"]) {
    assert.doesNotMatch(await (await go(B, path)).text(), /b-hidden/, path);
    assert.doesNotMatch(await (await go(A, path)).text(), /b-only/, `A's ${path}`);
  }
});

test("the sweep covered every route of the HTTP API", () => {
  const expected = [
    "GET /api/posts", "POST /api/posts", "GET /api/posts/b-only", "PUT /api/posts/b-only", "DELETE /api/posts/b-only",
    "GET /api/posts/b-only/versions", "GET /api/posts/b-only/versions/1", "POST /api/posts/b-only/versions/1/restore",
    "POST /api/preview", "GET /api/stats", "GET /api/tenant", "PUT /api/tenant", "GET /api/drafts", "GET /api/drafts/wip-b",
    "PUT /api/drafts/wip-b", "DELETE /api/drafts/wip-b", "POST /api/drafts/wip-b/publish", "POST /api/events",
    "POST /api/readers", "GET /api/posts/{slug}/reactions", "POST /api/posts/{slug}/reactions",
    "GET /api/posts/{slug}/comments", "POST /api/posts/{slug}/comments", "PUT /api/posts/{slug}/comments/{id}",
    "GET /api/posts/{slug}/live", "PUT /api/meadow/following/{subdomain}", "DELETE /api/meadow/following/{subdomain}",
    "GET /api/meadow/following", "GET /api/meadow/feed", "GET /api/meadow/live", "GET /api/meadow/blogs",
    "POST /api/admin/migrate",
  ];
  for (const r of expected) assert.ok(tally.routes.has(r), `no case for ${r}`);
  const parts = [...tally.byCategory].map(([c, n]) => `${c} ${n}`).join(", ");
  console.log(`isolation sweep: ${tally.cases} refused requests over ${tally.routes.size} routes (${parts}), each leaving D1, KV, R2 and the objects unchanged`);
});
