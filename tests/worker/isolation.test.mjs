// Isolation and abuse, swept over every API route of README's "HTTP API" tables (and the pages
// beside them): for each route, tenant A's owner token against tenant B's resources (on B's host,
// and on A's own host naming B's slugs, drafts and comment ids), no token, a malformed or unknown
// token, a reader token where an owner token is needed (and an owner token where a reader's is),
// a spoofed X-Forwarded-Host (and its cousins), the main host and an unknown blog's host, and
// bodies one byte over each route's documented bound. Each case asserts the exact status and
// error code, and that nothing changed: every row of every D1 table, and the Durable Objects the
// route could touch (both tenants' TenantDO drafts and analytics outbox, each post's PostMetaDO
// comments and reactions and PostContentDO version history, the reader's FeedDO follows and
// items). (A refused follow of a blog that does not exist still takes one of the reader's
// FOLLOWS_PER_MINUTE: the limit is taken before the lookup, so probing names is limited too.)
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, test } from "node:test";
import { until, World } from "../support/world.mjs";

const MAIN = "localhost:8787";
const A = "alpha.localhost:8787"; // the intruder's blog
const B = "beta.localhost:8787"; // the victim's blog
const NOBODY = "nosuch.localhost:8787";
const OPERATOR = "isolation-operator-token";
const MAX_MARKDOWN = 4096; // MAX_MARKDOWN_BYTES in this World
const OWNER_BODY_MAX = MAX_MARKDOWN + 64 * 1024; // owner API bodies: MAX_MARKDOWN_BYTES + 64 KiB
const SOCIAL_BODY_MAX = 64 * 1024; // reactions, comments
const EVENTS_BODY_MAX = 64 * 1024;
const READERS_BODY_MAX = 1024;
const BOGUS_OWNER = `lat_${"0".repeat(64)}`;
const BOGUS_READER = `rdr_${"0".repeat(64)}`;

let w;
const ids = {}; // tenant ids, post ids, comment ids, reader id
const tok = {}; // alpha, beta (owner tokens), reader
let baseline;
const tally = { routes: new Set(), cases: 0 };

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

// A request with an optional bearer token, JSON (an object) or raw (a string) body and extra headers.
function send(method, host, path, { token, body, headers = {}, type = "application/json" } = {}) {
  const h = { ...headers };
  if (token !== undefined) h.authorization = token.includes(" ") ? token : `Bearer ${token}`;
  if (body !== undefined) h["content-type"] = type;
  return w.fetch(host, path, { method, headers: h, body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body) });
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

// ---- state: every D1 row and the objects' state, which no refused request may change ----

async function objectJson(binding, name, path, headers) {
  const ns = await w.mf.getDurableObjectNamespace(binding);
  const res = await ns.get(ns.idFromName(name)).fetch(`https://do.internal${path}`, { headers });
  return { status: res.status, body: await json(res) };
}

async function state() {
  const d1 = {};
  const tables = await w.rows(
    `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'
        AND name NOT LIKE 'd1_%' ORDER BY name`);
  for (const { name } of tables) d1[name] = (await w.rows(`SELECT * FROM "${name}"`)).map((r) => JSON.stringify(r)).sort();
  const objects = {};
  for (const sub of ["alpha", "beta"]) {
    const drafts = await (await w.tenantObject(sub, "/drafts")).json();
    objects[`tenant:${sub} drafts`] = drafts;
    for (const d of drafts.drafts) objects[`tenant:${sub} draft ${d.slug}`] = await (await w.tenantObject(sub, `/drafts/${d.slug}`)).json();
    objects[`tenant:${sub} events`] = await (await w.tenantObject(sub, "/events")).json();
  }
  for (const [key, { tenant, post }] of Object.entries(ids.posts)) {
    const h = { "x-lattice-tenant": tenant, "x-lattice-post": post, "x-lattice-owner": "1" };
    objects[`meta ${key} comments`] = await objectJson("POST_META_DO", `post-meta:${tenant}:${post}`, "/comments?limit=100", h);
    objects[`meta ${key} reactions`] = await objectJson("POST_META_DO", `post-meta:${tenant}:${post}`, "/reactions", h);
    objects[`content ${key} versions`] = await objectJson("POST_CONTENT_DO", `post-content:${tenant}:${post}`, "/versions", h);
  }
  const rh = { "x-lattice-reader": ids.reader };
  objects["feed follows"] = await objectJson("FEED_DO", `feed:${ids.reader}`, "/follows", rh);
  objects["feed state"] = await objectJson("FEED_DO", `feed:${ids.reader}`, "/state", rh);
  return { d1, objects };
}

// Runs one refused request and checks its status, code and that nothing changed.
async function refused(route, label, request, status, code) {
  tally.routes.add(route);
  tally.cases++;
  // Compared with the state just before (alarms may legitimately move things between cases: a
  // buffered flush landing, an object's daily touch), not with the state at the start.
  const before = await state();
  const res = await request();
  const body = await json(res);
  const what = `${route} — ${label}`;
  assert.equal(res.status, status, `${what}: ${JSON.stringify(body).slice(0, 300)}`);
  if (code !== null) assert.equal(body.error?.code, code, `${what}: ${JSON.stringify(body).slice(0, 300)}`);
  assert.notEqual(res.status, 500, what);
  if (res.status === 401 && code?.startsWith("auth.")) assert.match(res.headers.get("www-authenticate") ?? "", /^Bearer/, what);
  if (status === 405) assert.ok(res.headers.get("allow"), `${what}: Allow`);
  const now = await state();
  const changed = [];
  for (const [part, map] of Object.entries(now))
    for (const key of new Set([...Object.keys(map), ...Object.keys(before[part])]))
      if (JSON.stringify(map[key]) !== JSON.stringify(before[part][key]))
        changed.push(`${part} ${key}: ${JSON.stringify(before[part][key])?.slice(0, 300)} -> ${JSON.stringify(map[key])?.slice(0, 300)}`);
  assert.deepEqual(changed, [], `${what}: state changed`);
}

// ---- the world: two blogs, a reader who reacted, commented and follows ----

before(async () => {
  w = await World.start({
    vars: {
      MAX_MARKDOWN_BYTES: String(MAX_MARKDOWN),
      OPERATOR_TOKEN_SHA256: sha256(OPERATOR),
      COMMENTS_FLUSH_SECONDS: "1",
      REACTIONS_FLUSH_SECONDS: "1",
      EVENTS_FLUSH_SECONDS: "1",
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

  // What is buffered reaches D1 before the sweep (comments, analytics; reaction counts are
  // covered by the quiet-world check below whenever they land).
  await until("comments in D1", async () => (await w.rows("SELECT count(*) AS n FROM comments"))[0].n === 2);
  await until("analytics in D1", async () => (await w.rows("SELECT count(*) AS n FROM analytics_events"))[0].n === 1);
  // ...and stays put: two snapshots a second apart agree.
  await until("a quiet world", async () => {
    const first = await state();
    await new Promise((r) => setTimeout(r, 1000));
    baseline = await state();
    try {
      assert.deepEqual(baseline, first);
      return true;
    } catch {
      return false;
    }
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
  ["GET", "/api/tenant"],
  ["PUT", "/api/tenant", { display_name: "Defaced" }],
  ["GET", "/api/drafts"],
  ["GET", "/api/drafts/wip-b"],
  ["PUT", "/api/drafts/wip-b", { content: "defaced", deviceId: "intruder" }],
  ["DELETE", "/api/drafts/wip-b"],
  ["POST", "/api/drafts/wip-b/publish", {}],
];

test("owner routes: no token, bad tokens, another tenant's token, a reader's token, spoofed hosts", async () => {
  for (const [method, path, body] of OWNER_ROUTES) {
    const route = `${method} ${path}`;
    const on = (host, token, headers) => () => send(method, host, path, { token, body, headers });
    await refused(route, "no token", on(B), 401, "auth.missing_token");
    await refused(route, "not a bearer", on(B, "Basic Zm9vOmJhcg=="), 401, "auth.invalid_token");
    await refused(route, "unknown owner token", on(B, BOGUS_OWNER), 401, "auth.invalid_token");
    await refused(route, "a truncated token", on(B, tok.beta.slice(0, -1)), 401, "auth.invalid_token");
    await refused(route, "a reader token", on(B, tok.reader), 401, "auth.invalid_token");
    await refused(route, "tenant A's token on B's host", on(B, tok.alpha), 404, "tenant.not_found");
    for (const spoof of [{ "x-forwarded-host": B }, { "x-original-host": B, forwarded: `host=${B}` }, { "x-host": B, "x-forwarded-server": B }])
      await refused(route, `A's host, B's token, spoofed ${Object.keys(spoof).join("+")}`, on(A, tok.beta, spoof), 404, "tenant.not_found");
    await refused(route, "B's host, A's token, X-Forwarded-Host: A", on(B, tok.alpha, { "x-forwarded-host": A }), 404, "tenant.not_found");
    await refused(route, "the main host", on(MAIN, tok.beta), 404, "tenant.not_found");
    await refused(route, "an unknown blog's host", on(NOBODY, tok.beta), 404, "tenant.not_found");
  }
});

test("owner routes: tenant A's token on its own host naming B's resources", async () => {
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
    ["DELETE", "/api/drafts/wip-b?revision=1", undefined, 404, "draft.not_found"],
    ["POST", "/api/drafts/wip-b/publish", {}, 404, "draft.not_found"],
    // A slug is a path segment: no escaping into another route or object.
    ["GET", "/api/drafts/..%2F..%2Fbeta%2Fwip-b", undefined, 404, "draft.not_found"],
    ["GET", "/api/posts/..%2Fb-only", undefined, 404, "post.not_found"],
    ["GET", "/api/posts/b%2Donly", undefined, 404, "post.not_found"],
  ];
  for (const [method, path, body, status, code] of cases)
    await refused(`${method} ${path.split("?")[0]}`, "A's token, A's host, B's resource", () => send(method, A, path, { token: tok.alpha, body }), status, code);
  // A's owner list holds none of B's posts.
  const list = await ok(await send("GET", A, "/api/posts?limit=100", { token: tok.alpha }), 200, "list");
  assert.deepEqual(list.posts.map((p) => p.slug).sort(), ["a-only", "shared"]);
  const drafts = await ok(await send("GET", A, "/api/drafts", { token: tok.alpha }), 200, "drafts");
  assert.deepEqual(drafts.drafts.map((d) => d.slug), ["wip-a"]);
});

test("owner routes: bodies one byte over each bound are 413 and change nothing", async () => {
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
  // Without a token the body is never read: 401, not 413.
  await refused("POST /api/posts", "oversized, no token", () => send("POST", B, "/api/posts", { body: bodyOfSize(over, "markdown") }), 401, "auth.missing_token");
  await refused("POST /api/posts", "oversized, A's token", () => send("POST", B, "/api/posts", { token: tok.alpha, body: bodyOfSize(over, "markdown") }), 404, "tenant.not_found");
});

// ---- analytics (no token) ----

test("POST /api/events: unknown blogs, spoofed hosts and oversized bodies", async () => {
  const route = "POST /api/events";
  const one = { events: [{ kind: "view", slug: "shared", id: "evt-intruder-1" }] };
  await refused(route, "an unknown blog", () => send("POST", NOBODY, "/api/events", { body: one }), 404, "tenant.not_found");
  await refused(route, "an unknown blog, X-Forwarded-Host: B", () => send("POST", NOBODY, "/api/events", { body: one, headers: { "x-forwarded-host": B } }), 404, "tenant.not_found");
  await refused(route, "the main host", () => send("POST", MAIN, "/api/events", { body: one }), 404, "tenant.not_found");
  await refused(route, `${EVENTS_BODY_MAX + 1}-byte body`, () => send("POST", B, "/api/events", { body: bodyOfSize(EVENTS_BODY_MAX + 1, "pad") }), 413, "request.too_large");
  const many = { events: Array.from({ length: 101 }, (_, i) => ({ kind: "view", slug: "shared", id: `evt-many-${String(i).padStart(4, "0")}` })) };
  await refused(route, "101 events", () => send("POST", B, "/api/events", { body: many }), 413, "events.too_many");
  await refused(route, "data over 1 KiB", () => send("POST", B, "/api/events", { body: { events: [{ kind: "view", slug: "shared", id: "evt-bigdata-1", data: { x: "a".repeat(1024) } }] } }), 400, "event.data_invalid");
  await refused(route, "GET", () => send("GET", B, "/api/events"), 405, "request.method_not_allowed");
});

// ---- readers: sign-up, reactions, comments, hiding ----

test("POST /api/readers: oversized bodies and names change nothing", async () => {
  const route = "POST /api/readers";
  await refused(route, `${READERS_BODY_MAX + 1}-byte body`, () => send("POST", MAIN, "/api/readers", { body: bodyOfSize(READERS_BODY_MAX + 1, "name") }), 413, "request.too_large");
  await refused(route, "a 51-character name", () => send("POST", MAIN, "/api/readers", { body: { name: "n".repeat(51) } }), 400, "reader.name_invalid");
  await refused(route, "an owner token is no help", () => send("POST", B, "/api/readers", { token: tok.beta, body: { name: "" } }), 400, "reader.name_invalid");
  await refused(route, "GET", () => send("GET", MAIN, "/api/readers"), 405, "request.method_not_allowed");
});

test("reactions and comments: tokens, other tenants' posts, drafts, spoofed hosts, oversized bodies", async () => {
  for (const what of ["reactions", "comments"]) {
    const body = what === "reactions" ? { type: "love" } : { body: "intruding" };
    const post = `POST /api/posts/{slug}/${what}`;
    const get = `GET /api/posts/{slug}/${what}`;
    const at = (method, host, slug, opts) => () => send(method, host, `/api/posts/${slug}/${what}`, opts);
    await refused(post, "no token", at("POST", B, "shared", { body }), 401, "reader.missing_token");
    await refused(post, "unknown reader token", at("POST", B, "shared", { token: BOGUS_READER, body }), 401, "reader.invalid_token");
    await refused(post, "garbage bearer", at("POST", B, "shared", { token: "rdr_xyz", body }), 401, "reader.invalid_token");
    await refused(post, "not a bearer", at("POST", B, "shared", { token: "Basic Zm9vOmJhcg==", body }), 401, "reader.invalid_token");
    await refused(post, "B's owner token (not a reader)", at("POST", B, "shared", { token: tok.beta, body }), 401, "reader.missing_token");
    await refused(post, "A's owner token on B's host", at("POST", B, "shared", { token: tok.alpha, body }), 404, "tenant.not_found");
    await refused(post, "unknown owner token", at("POST", B, "shared", { token: BOGUS_OWNER, body }), 401, "auth.invalid_token");
    await refused(post, "B's draft", at("POST", B, "b-hidden", { token: tok.reader, body }), 404, "post.not_found");
    await refused(post, "B's post on A's host", at("POST", A, "b-only", { token: tok.reader, body }), 404, "post.not_found");
    await refused(post, "B's post on A's host, X-Forwarded-Host: B", at("POST", A, "b-only", { token: tok.reader, body, headers: { "x-forwarded-host": B } }), 404, "post.not_found");
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
  await refused("POST /api/posts/{slug}/reactions", "an unknown type", () => send("POST", B, "/api/posts/shared/reactions", { token: tok.reader, body: { type: "angry" } }), 400, "reaction.type_invalid");
  // A reader's view of comments never names readers' ids; another owner's token sees nothing.
  const seen = await ok(await send("GET", B, "/api/posts/shared/comments", { token: tok.reader }), 200, "comments");
  assert.equal(seen.comments.length, 1);
  assert.equal("reader_id" in seen.comments[0], false);
});

test("hiding a comment: owner of that post's blog only", async () => {
  const route = "PUT /api/posts/{slug}/comments/{id}";
  const hide = { hidden: true };
  const at = (host, slug, id, opts) => () => send("PUT", host, `/api/posts/${slug}/comments/${id}`, { body: hide, ...opts });
  await refused(route, "no token", at(B, "shared", ids.commentB, {}), 403, "auth.owner_required");
  await refused(route, "a reader token", at(B, "shared", ids.commentB, { token: tok.reader }), 403, "auth.owner_required");
  await refused(route, "unknown owner token", at(B, "shared", ids.commentB, { token: BOGUS_OWNER }), 401, "auth.invalid_token");
  await refused(route, "A's owner token on B's host", at(B, "shared", ids.commentB, { token: tok.alpha }), 404, "tenant.not_found");
  await refused(route, "A's token, A's post of the same slug, B's comment id", at(A, "shared", ids.commentB, { token: tok.alpha }), 404, "comment.not_found");
  await refused(route, "...with X-Forwarded-Host: B", at(A, "shared", ids.commentB, { token: tok.alpha, headers: { "x-forwarded-host": B } }), 404, "comment.not_found");
  await refused(route, "B's token, B's other post, B's comment id", at(B, "b-only", ids.commentB, { token: tok.beta }), 404, "comment.not_found");
  await refused(route, "B's token, an id escaping its segment", at(B, "shared", encodeURIComponent(`../../b-only/comments/${ids.commentB}`), { token: tok.beta }), 404, "comment.not_found");
  await refused(route, `${SOCIAL_BODY_MAX + 1}-byte body`, at(B, "shared", ids.commentB, { token: tok.beta, body: bodyOfSize(SOCIAL_BODY_MAX + 1, "hidden") }), 413, "request.too_large");
  await refused(route, "not a boolean", at(B, "shared", ids.commentB, { token: tok.beta, body: { hidden: "yes" } }), 400, "comment.hidden_invalid");
  await refused(route, "POST", () => send("POST", B, `/api/posts/shared/comments/${ids.commentB}`, { token: tok.beta, body: hide }), 405, "request.method_not_allowed");
  // A's owner sees only A's comments, B's owner only B's.
  const asA = await ok(await send("GET", A, "/api/posts/shared/comments", { token: tok.alpha }), 200, "A's comments");
  assert.deepEqual(asA.comments.map((c) => c.id), [ids.commentA]);
});

test("live channels: upgrade, origin, tokens and hosts", async () => {
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
  const routes = [
    ["PUT", "/api/meadow/following/alpha"],
    ["DELETE", "/api/meadow/following/beta"],
    ["GET", "/api/meadow/following"],
    ["GET", "/api/meadow/feed"],
  ];
  for (const [method, path] of routes) {
    const route = `${method} ${path.replace(/following\/\w+/, "following/{subdomain}")}`;
    for (const host of [MAIN, B]) {
      await refused(route, `no token on ${host}`, () => send(method, host, path), 401, "reader.missing_token");
      await refused(route, `B's owner token on ${host}`, () => send(method, host, path, { token: tok.beta }), 401, "reader.missing_token");
      await refused(route, `unknown reader token on ${host}`, () => send(method, host, path, { token: BOGUS_READER }), 401, "reader.invalid_token");
      await refused(route, `garbage bearer on ${host}`, () => send(method, host, path, { token: "rdr_0" }), 401, "reader.invalid_token");
      await refused(route, `not a bearer on ${host}`, () => send(method, host, path, { token: "Basic Zm9vOmJhcg==" }), 401, "reader.invalid_token");
    }
    await refused(route, "X-Forwarded-Host does not lend a token", () => send(method, A, path, { headers: { "x-forwarded-host": MAIN } }), 401, "reader.missing_token");
    await refused(route, "POST", () => send("POST", MAIN, path, { token: tok.reader }), 405, "request.method_not_allowed");
  }
  await refused("PUT /api/meadow/following/{subdomain}", "an unknown blog", () => send("PUT", MAIN, "/api/meadow/following/nosuch", { token: tok.reader }), 404, "tenant.not_found");
  await refused("PUT /api/meadow/following/{subdomain}", "a host-like name", () => send("PUT", MAIN, `/api/meadow/following/${encodeURIComponent("beta.localhost:8787")}`, { token: tok.reader }), 404, "tenant.not_found");
  await refused("PUT /api/meadow/following/{subdomain}", "a path-like name", () => send("PUT", MAIN, `/api/meadow/following/${encodeURIComponent("../beta")}`, { token: tok.reader }), 404, "tenant.not_found");
  await refused("GET /api/meadow/feed", "a bad sort", () => send("GET", MAIN, "/api/meadow/feed?sort=evil", { token: tok.reader }), 400, "feed.invalid_sort");
  await refused("GET /api/meadow/blogs", "POST", () => send("POST", MAIN, "/api/meadow/blogs", { token: tok.reader }), 405, "request.method_not_allowed");
  await refused("GET /api/meadow/unknown", "an unknown route", () => send("GET", MAIN, "/api/meadow/admin", { token: tok.reader }), 404, "route.not_found");
  // The directory is public and the same for everyone; it names no drafts.
  const dir = await ok(await send("GET", MAIN, "/api/meadow/blogs", { headers: { "x-forwarded-host": B } }), 200, "blogs");
  assert.deepEqual(dir.blogs.map((b) => [b.subdomain, b.posts]).sort(), [["alpha", 2], ["beta", 2]]);
});

// ---- the operator ----

test("POST /api/admin/migrate: the operator's token only", async () => {
  const route = "POST /api/admin/migrate";
  const at = (host, token, headers) => () => send("POST", host, "/api/admin/migrate?dry_run=0", { token, headers });
  await refused(route, "no token", at(MAIN), 401, "auth.missing_token");
  await refused(route, "B's owner token", at(MAIN, tok.beta), 401, "auth.invalid_token");
  await refused(route, "B's owner token on B's host", at(B, tok.beta), 401, "auth.invalid_token");
  await refused(route, "a reader token", at(MAIN, tok.reader), 401, "auth.invalid_token");
  await refused(route, "the operator token's hash as the token", at(MAIN, sha256(OPERATOR)), 401, "auth.invalid_token");
  await refused(route, "a prefix of the operator token", at(MAIN, OPERATOR.slice(0, -1)), 401, "auth.invalid_token");
  await refused(route, "a 10 KB token", at(MAIN, "x".repeat(10000)), 401, "auth.invalid_token");
  await refused(route, "not a bearer", at(MAIN, "Basic Zm9vOmJhcg=="), 401, "auth.invalid_token");
  await refused(route, "X-Forwarded-Host", at(B, undefined, { "x-forwarded-host": MAIN }), 401, "auth.missing_token");
  await refused(route, "GET", () => send("GET", MAIN, "/api/admin/migrate", { token: OPERATOR }), 405, "request.method_not_allowed");
  await refused(route, "a bad dry_run", () => send("POST", MAIN, "/api/admin/migrate?dry_run=maybe", { token: OPERATOR }), 400, "request.invalid_query");
});

// ---- pages beside the API ----

test("pages: drafts and other blogs' posts are not public; pages answer GET and HEAD only", async () => {
  const page = (host, path, opts = {}) => () => w.fetch(host, path, opts);
  await refused("GET /blog/{slug}", "B's draft", page(B, "/blog/b-hidden"), 404, null);
  await refused("GET /blog/{slug}", "B's draft, with A's owner token", page(B, "/blog/b-hidden", { headers: { authorization: `Bearer ${tok.alpha}` } }), 404, null);
  await refused("GET /blog/{slug}", "B's draft, with B's owner token (pages take no tokens)", page(B, "/blog/b-hidden", { headers: { authorization: `Bearer ${tok.beta}` } }), 404, null);
  await refused("GET /blog/{slug}", "B's post on A's host", page(A, "/blog/b-only"), 404, null);
  await refused("GET /blog/{slug}", "B's post on A's host, X-Forwarded-Host: B", page(A, "/blog/b-only", { headers: { "x-forwarded-host": B } }), 404, null);
  await refused("GET /blog/{slug}", "POST", page(B, "/blog/shared", { method: "POST" }), 405, "request.method_not_allowed");
  await refused("GET /admin", "POST", page(B, "/admin", { method: "POST" }), 405, "request.method_not_allowed");
  await refused("GET /admin/{file}", "PUT", page(B, "/admin/app.js", { method: "PUT" }), 405, "request.method_not_allowed");
  await refused("GET /admin/{file}", "an unknown file", page(B, "/admin/..%2F..%2Fwrangler.toml"), 404, "route.not_found");
  await refused("GET /assets/{file}", "POST", page(B, "/assets/live.js", { method: "POST" }), 405, "request.method_not_allowed");
  await refused("GET /assets/{file}", "an unknown file", page(B, "/assets/..%2Fadmin%2Fapp.js"), 404, "route.not_found");
  await refused("GET /meadow", "POST", page(MAIN, "/meadow", { method: "POST" }), 405, "request.method_not_allowed");
  await refused("POST /api/{unknown}", "an unknown API route", page(B, "/api/nothing-here", { method: "POST" }), 404, "route.not_found");
  // Nothing of B's draft reaches B's public lists, feed or sitemap.
  for (const path of ["/blog", "/feed.xml", "/sitemap.xml"]) {
    const text = await (await w.fetch(B, path)).text();
    assert.doesNotMatch(text, /b-hidden/, path);
    assert.doesNotMatch(await (await w.fetch(A, path)).text(), /b-only/, `A's ${path}`);
  }
});

test("the sweep covered every route of the HTTP API", () => {
  const expected = [
    "GET /api/posts", "POST /api/posts", "GET /api/posts/b-only", "PUT /api/posts/b-only", "DELETE /api/posts/b-only",
    "GET /api/posts/b-only/versions", "GET /api/posts/b-only/versions/1", "POST /api/posts/b-only/versions/1/restore",
    "POST /api/preview", "GET /api/tenant", "PUT /api/tenant", "GET /api/drafts", "GET /api/drafts/wip-b",
    "PUT /api/drafts/wip-b", "DELETE /api/drafts/wip-b", "POST /api/drafts/wip-b/publish", "POST /api/events",
    "POST /api/readers", "GET /api/posts/{slug}/reactions", "POST /api/posts/{slug}/reactions",
    "GET /api/posts/{slug}/comments", "POST /api/posts/{slug}/comments", "PUT /api/posts/{slug}/comments/{id}",
    "GET /api/posts/{slug}/live", "PUT /api/meadow/following/{subdomain}", "DELETE /api/meadow/following/{subdomain}",
    "GET /api/meadow/following", "GET /api/meadow/feed", "GET /api/meadow/live", "GET /api/meadow/blogs",
    "POST /api/admin/migrate",
  ];
  for (const r of expected) assert.ok(tally.routes.has(r), `no case for ${r}`);
  console.log(`isolation sweep: ${tally.cases} refused requests over ${tally.routes.size} routes, each leaving D1 and the objects unchanged`);
});
