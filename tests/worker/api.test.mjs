// The owner API through the built worker: auth, tenant isolation, writes, and bad input that
// changes nothing.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { World } from "../support/world.mjs";

const DEMO = "demo.localhost:8787";
const AUTUMN = "autumn.localhost:8787";
let w, demoToken, autumnToken;

before(async () => {
  w = await World.start({ seed: true });
  demoToken = await w.mintToken(await w.tenantId("demo"));
  autumnToken = await w.mintToken(await w.tenantId("autumn"));
});
after(() => w?.dispose());

async function errorCode(res) {
  return (await res.json()).error?.code;
}

test("create, read, update, publish and delete a post end to end", async () => {
  const created = await w.api("POST", DEMO, "/api/posts", demoToken, {
    slug: "worker-test", title: "Worker test", markdown: "## Hello\n\n| a | b |\n|---|---|\n| 1 | 2 |", tags: ["testing"],
  });
  assert.equal(created.status, 201);
  assert.equal(created.headers.get("cache-control"), "private, no-store");
  const { post } = await created.json();
  assert.equal(post.status, "draft");
  assert.match(post.html, /<h2 id="hello">Hello<\/h2>/);
  assert.equal((await w.fetch(DEMO, "/blog/worker-test")).status, 404, "drafts are not public");

  const published = await w.api("PUT", DEMO, "/api/posts/worker-test", demoToken, { status: "published", version: 1 });
  assert.equal(published.status, 200);
  assert.equal((await published.json()).post.version, 2);
  const page = await w.fetch(DEMO, "/blog/worker-test");
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<table>/);
  assert.equal((await w.fetch(DEMO, "/tags/testing")).status, 200);

  const got = await w.api("GET", DEMO, "/api/posts/worker-test", demoToken);
  assert.equal((await got.json()).post.markdown.startsWith("## Hello"), true);
  const list = await (await w.api("GET", DEMO, "/api/posts?status=published&limit=100", demoToken)).json();
  assert.ok(list.posts.some((p) => p.slug === "worker-test"));

  assert.equal((await w.api("DELETE", DEMO, "/api/posts/worker-test", demoToken)).status, 204);
  assert.equal((await w.fetch(DEMO, "/blog/worker-test")).status, 404);
  assert.equal((await w.rows("SELECT count(*) n FROM post_tags WHERE tag = 'testing' AND post_id NOT IN (SELECT id FROM posts)"))[0].n, 0);
});

test("missing and invalid tokens are 401 with stable codes", async () => {
  const none = await w.api("GET", DEMO, "/api/posts");
  assert.equal(none.status, 401);
  assert.equal(await errorCode(none), "auth.missing_token");
  assert.match(none.headers.get("www-authenticate"), /^Bearer/);
  const bogus = await w.api("GET", DEMO, "/api/posts", `lat_${"0".repeat(64)}`);
  assert.equal(bogus.status, 401);
  assert.equal(await errorCode(bogus), "auth.invalid_token");
  const malformed = await w.fetch(DEMO, "/api/posts", { headers: { authorization: "Basic Zm9vOmJhcg==" } });
  assert.equal(await errorCode(malformed), "auth.invalid_token");
});

test("a token of tenant A can do nothing to tenant B", async () => {
  const [autumnPost] = await w.rows(
    "SELECT p.slug FROM posts p JOIN tenants t ON t.id = p.tenant_id WHERE t.subdomain = 'autumn' LIMIT 1");
  const before = await w.snapshot();
  const attempts = [
    ["GET", "/api/posts", undefined],
    ["POST", "/api/posts", { slug: "intruder", title: "Intruder" }],
    ["GET", `/api/posts/${autumnPost.slug}`, undefined],
    ["PUT", `/api/posts/${autumnPost.slug}`, { title: "Defaced" }],
    ["DELETE", `/api/posts/${autumnPost.slug}`, undefined],
  ];
  for (const [method, path, body] of attempts) {
    const res = await w.api(method, AUTUMN, path, demoToken, body);
    assert.equal(res.status, 404, `${method} ${path}`);
    assert.equal(await errorCode(res), "tenant.not_found");
  }
  // A spoofed forwarding header does not move the request to another tenant.
  const spoofed = await w.fetch(DEMO, "/api/posts", {
    method: "POST",
    headers: { authorization: `Bearer ${autumnToken}`, "content-type": "application/json", "x-forwarded-host": AUTUMN },
    body: JSON.stringify({ slug: "spoof", title: "Spoof" }),
  });
  assert.equal(spoofed.status, 404);
  assert.deepEqual(await w.snapshot(), before);
});

test("bad requests get exact codes and leave the database unchanged", async () => {
  const [existing] = await w.rows(
    "SELECT p.slug FROM posts p JOIN tenants t ON t.id = p.tenant_id WHERE t.subdomain = 'demo' LIMIT 1");
  const before = await w.snapshot();
  const raw = (method, path, body, type = "application/json") =>
    w.fetch(DEMO, path, { method, headers: { authorization: `Bearer ${demoToken}`, "content-type": type }, body });
  const cases = [
    [raw("POST", "/api/posts", "{not json"), 400, "request.malformed_json"],
    [raw("POST", "/api/posts", JSON.stringify({ slug: "x", title: "x" }), "text/plain"), 415, "request.unsupported_media_type"],
    [raw("POST", "/api/posts", "[]"), 400, "request.not_object"],
    [w.api("POST", DEMO, "/api/posts", demoToken, { slug: "x" }), 400, "post.title_missing"],
    [w.api("POST", DEMO, "/api/posts", demoToken, { slug: "Bad Slug", title: "x" }), 400, "post.slug_invalid"],
    [w.api("POST", DEMO, "/api/posts", demoToken, { slug: "x", title: 7 }), 400, "post.title_invalid"],
    [w.api("POST", DEMO, "/api/posts", demoToken, { slug: "x", title: "x", status: "live" }), 400, "post.status_invalid"],
    [w.api("POST", DEMO, "/api/posts", demoToken, { slug: "x", title: "x", tags: "a,b" }), 400, "post.tags_invalid"],
    [w.api("POST", DEMO, "/api/posts", demoToken, { slug: "x", title: "x", colour: "red" }), 400, "request.unknown_field"],
    [w.api("POST", DEMO, "/api/posts", demoToken, { slug: existing.slug, title: "dup" }), 409, "post.slug_taken"],
    [w.api("POST", DEMO, "/api/posts", demoToken, { slug: "big", title: "x", markdown: "a".repeat(1048577) }), 413, "post.markdown_too_large"],
    [raw("POST", "/api/posts", JSON.stringify({ slug: "huge", title: "x", markdown: "a".repeat(1200000) })), 413, "request.too_large"],
    [w.api("PUT", DEMO, `/api/posts/${existing.slug}`, demoToken, { title: "x", version: 999 }), 409, "post.version_conflict"],
    [w.api("PUT", DEMO, "/api/posts/nope", demoToken, { title: "x" }), 404, "post.not_found"],
    [w.api("PATCH", DEMO, "/api/posts", demoToken, {}), 405, "request.method_not_allowed"],
  ];
  for (const [pending, status, code] of cases) {
    const res = await pending;
    assert.equal(res.status, status, code);
    assert.equal(await errorCode(res), code);
  }
  assert.deepEqual(await w.snapshot(), before);
});

test("POST /api/preview renders with the wasm engine and stores nothing", async () => {
  const before = await w.snapshot();
  const res = await w.api("POST", DEMO, "/api/preview", demoToken, { markdown: "## Preview\n\n<b>raw</b> [x](javascript:alert(1))" });
  assert.equal(res.status, 200);
  const { html, headings } = await res.json();
  assert.match(html, /<h2 id="preview">Preview<\/h2>/);
  assert.doesNotMatch(html, /<b>|javascript:/);
  assert.deepEqual(headings, [{ level: 2, id: "preview", text: "Preview" }]);
  assert.deepEqual(await w.snapshot(), before);
  const foreign = await w.api("POST", DEMO, "/api/preview", autumnToken, { markdown: "x" });
  assert.equal(foreign.status, 404);
  assert.equal((await foreign.json()).error.code, "tenant.not_found");
});
