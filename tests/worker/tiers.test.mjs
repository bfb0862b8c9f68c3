// The tier migrator through the built worker in workerd: the cron handler (`scheduled`) moves an
// old quiet post's content to R2 with the real bindings, the operator API plans without changing
// anything, and the content stays readable through the PostContentDO.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, test } from "node:test";
import { World } from "../support/world.mjs";

const DEMO = "demo.localhost:8787";
const OPERATOR = "operator-token-for-miniflare";
const sha256 = (s) => createHash("sha256").update(s).digest("hex");
const DAY = 24 * 60 * 60 * 1000;
let w, token, tenant;

before(async () => {
  w = await World.start({
    vars: { TIER_MIGRATION: "on", TIER_GRACE_SECONDS: "0", OPERATOR_TOKEN_SHA256: sha256(OPERATOR) },
  });
  tenant = await w.addTenant("demo");
  token = await w.mintToken(tenant);
});
after(() => w?.dispose());

async function migrate(query = "") {
  return w.fetch(DEMO, `/api/admin/migrate${query}`, { method: "POST", headers: { authorization: `Bearer ${OPERATOR}` } });
}

test("the cron moves an old quiet post to R2; a dry run before it changes nothing", async () => {
  const text = "# Old notes\n\nStill worth keeping.";
  const created = await w.api("POST", DEMO, "/api/posts", token, { slug: "old", title: "Old", markdown: text, status: "published" });
  assert.equal(created.status, 201);
  const id = (await created.json()).post.id;
  const aged = Date.now() - 90 * DAY;
  await w.db.prepare("UPDATE posts SET published_at = ?1, updated_at = ?1 WHERE id = ?2").bind(aged, id).run();

  const dry = await migrate("?dry_run=1");
  assert.equal(dry.status, 200);
  const plan = await dry.json();
  assert.equal(plan.summary.dry_run, true);
  assert.equal(plan.summary.moved_to_r2, 1);
  assert.equal((await w.rows("SELECT storage_location FROM posts WHERE id = ?1", id))[0].storage_location, "d1");

  const worker = await w.mf.getWorker();
  await worker.scheduled({ cron: "0 2 * * *" });
  const [row] = await w.rows("SELECT storage_location, r2_key, markdown, tier FROM posts WHERE id = ?1", id);
  assert.equal(row.storage_location, "r2");
  assert.equal(row.tier, "warm");
  assert.equal(row.markdown, null); // grace 0 here: cleared in the same run
  const bucket = await w.mf.getR2Bucket("CONTENT");
  const object = JSON.parse(await (await bucket.get(row.r2_key)).text());
  assert.equal(object.sha256, sha256(text));

  const got = await w.api("GET", DEMO, "/api/posts/old", token);
  assert.equal(got.status, 200);
  assert.equal((await got.json()).post.markdown, text);

  const denied = await w.fetch(DEMO, "/api/admin/migrate", { method: "POST", headers: { authorization: "Bearer wrong" } });
  assert.equal(denied.status, 401);
});
