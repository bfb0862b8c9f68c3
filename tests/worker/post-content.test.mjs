// The PostContentDO through the built worker in workerd: version history and restore through the
// owner API, and a move of the content to R2 and back with the real R2 binding and the object's
// SQLite storage, surviving a workerd restart.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, test } from "node:test";
import { World } from "../support/world.mjs";

const DEMO = "demo.localhost:8787";
let w, token, tenant;

before(async () => {
  w = await World.start();
  tenant = await w.addTenant("demo");
  token = await w.mintToken(tenant);
});
after(() => w?.dispose());

const sha256 = (s) => createHash("sha256").update(s).digest("hex");

// An internal request straight to a post's PostContentDO, as the Worker or the migrator makes it.
async function contentObject(postId, method, path, body) {
  const ns = await w.mf.getDurableObjectNamespace("POST_CONTENT_DO");
  const stub = ns.get(ns.idFromName(`post-content:${tenant}:${postId}`));
  const headers = { "x-lattice-tenant": tenant, "x-lattice-post": postId };
  if (body !== undefined) headers["content-type"] = "application/json";
  return stub.fetch(`https://do.internal${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
}

test("every write is a version; restore makes an old one the newest", async () => {
  const created = await w.api("POST", DEMO, "/api/posts", token, {
    slug: "garden", title: "Garden", markdown: "Tomatoes first.", status: "published",
  });
  assert.equal(created.status, 201);
  assert.equal((await w.api("PUT", DEMO, "/api/posts/garden", token, { markdown: "Beans instead." })).status, 200);
  // Large enough to be stored in several parts in the object (256 KiB each).
  const big = "Squash. ".repeat(80_000);
  assert.equal((await w.api("PUT", DEMO, "/api/posts/garden", token, { markdown: big, title: "Garden, big" })).status, 200);

  const list = await w.api("GET", DEMO, "/api/posts/garden/versions", token);
  assert.equal(list.status, 200);
  assert.equal(list.headers.get("cache-control"), "private, no-store");
  const { versions, current_version } = await list.json();
  assert.deepEqual(versions.map((v) => v.version), [3, 2, 1]);
  assert.equal(current_version, 3);
  assert.equal(versions[0].bytes, big.length);
  assert.equal(versions[0].sha256, sha256(big));
  assert.equal(versions[2].title, "Garden");
  assert.match(versions[2].created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

  const three = await (await w.api("GET", DEMO, "/api/posts/garden/versions/3", token)).json();
  assert.equal(three.version.markdown, big);

  const restored = await w.api("POST", DEMO, "/api/posts/garden/versions/1/restore", token, { version: 3 });
  assert.equal(restored.status, 200);
  const { post, restored_from } = await restored.json();
  assert.equal(restored_from, 1);
  assert.equal(post.version, 4);
  assert.equal(post.markdown, "Tomatoes first.");
  assert.equal(post.title, "Garden");
  assert.match(await (await w.fetch(DEMO, "/blog/garden")).text(), /Tomatoes first\./);

  const missing = await w.api("GET", DEMO, "/api/posts/garden/versions/99", token);
  assert.equal(missing.status, 404);
  assert.equal((await missing.json()).error.code, "version.not_found");
  const bad = await w.api("POST", DEMO, "/api/posts/garden/versions/zero/restore", token);
  assert.equal(bad.status, 400);
  assert.equal((await bad.json()).error.code, "version.invalid");
});

test("content moves to R2 and back, verified, readable throughout, across a restart", async () => {
  const created = await w.api("POST", DEMO, "/api/posts", token, {
    slug: "orchard", title: "Orchard", markdown: "# Apples\n\nPlum and pear.", status: "published",
  });
  const { post } = await created.json();
  const key = `t/${tenant}/p/${post.id}/v1-${sha256("# Apples\n\nPlum and pear.")}.json`;

  const toR2 = await contentObject(post.id, "POST", "/migrate/r2", {});
  assert.equal(toR2.status, 200, await toR2.clone().text());
  assert.equal((await toR2.json()).r2_key, key);
  const object = await (await w.mf.getR2Bucket("CONTENT")).get(key);
  const stored = JSON.parse(await object.text());
  assert.equal(stored.version, 1);
  assert.equal(stored.sha256, sha256(stored.markdown));

  const cleared = await (await contentObject(post.id, "POST", "/migrate/clear", { grace_seconds: 0 })).json();
  assert.equal(cleared.d1_copy, "cleared");
  const [row] = await w.rows("SELECT storage_location, r2_key, markdown FROM posts WHERE id = ?", post.id);
  assert.deepEqual(row, { storage_location: "r2", r2_key: key, markdown: null });

  await w.restart();
  const content = await (await contentObject(post.id, "GET", "/content")).json();
  assert.equal(content.content.source, "r2");
  assert.equal(content.content.markdown, "# Apples\n\nPlum and pear.");
  const owner = await (await w.api("GET", DEMO, "/api/posts/orchard", token)).json();
  assert.equal(owner.post.markdown, "# Apples\n\nPlum and pear.");

  // A save without markdown brings the content back to D1, intact.
  const saved = await w.api("PUT", DEMO, "/api/posts/orchard", token, { title: "Orchard notes" });
  assert.equal(saved.status, 200);
  const [back] = await w.rows("SELECT storage_location, r2_key, markdown, version FROM posts WHERE id = ?", post.id);
  assert.deepEqual(back, { storage_location: "d1", r2_key: null, markdown: "# Apples\n\nPlum and pear.", version: 2 });
  const gone = await (await contentObject(post.id, "POST", "/migrate/clear", { grace_seconds: 0 })).json();
  assert.deepEqual(gone.deleted, [key]);
  assert.equal(await (await w.mf.getR2Bucket("CONTENT")).head(key), null);
});

test("an object answers only for the post it is named after", async () => {
  const ns = await w.mf.getDurableObjectNamespace("POST_CONTENT_DO");
  const stub = ns.get(ns.idFromName(`post-content:${tenant}:p_one`));
  const res = await stub.fetch("https://do.internal/content", { headers: { "x-lattice-tenant": tenant, "x-lattice-post": "p_two" } });
  assert.equal(res.status, 400);
  assert.equal((await res.json()).error.code, "object.identity_mismatch");
});
