// The TenantDO through the built worker: config changes seen on the next request, junk hosts
// that create no object, cross-device drafts with 409, and publishing a draft.
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { World } from "../support/world.mjs";

const DEMO = "demo.localhost:8787";
let w, token;

before(async () => {
  w = await World.start({ seed: true });
  token = await w.mintToken(await w.tenantId("demo"));
});
after(() => w?.dispose());

// The objects' SQLite files (one per object that ever stored anything).
function objectFiles() {
  const files = [];
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(dir, e.name));
      else if (e.name.endsWith(".sqlite")) files.push(join(dir, e.name));
    }
  };
  try {
    walk(join(w.state, "v3", "do"));
  } catch {}
  return files;
}

test("a config change is visible on the next request", async () => {
  const page = await (await w.fetch(DEMO, "/blog")).text();
  assert.match(page, /Notes from the Workbench/);
  const put = await w.api("PUT", DEMO, "/api/tenant", token, { display_name: "Renamed Garden", theme: { accent: "#aa3366" } });
  assert.equal(put.status, 200);
  const { tenant } = await put.json();
  assert.equal(tenant.display_name, "Renamed Garden");
  const next = await w.fetch(DEMO, "/blog");
  const html = await next.text();
  assert.match(html, /Renamed Garden/);
  assert.match(html, /#aa3366/);
  const row = (await w.rows("SELECT display_name, theme FROM tenants WHERE subdomain = 'demo'"))[0];
  assert.equal(row.display_name, "Renamed Garden", "written through to D1");
  // The object answers from its own storage: what it holds is the new config.
  const state = await (await w.tenantObject("demo", "/state")).json();
  assert.equal(state.tenant.display_name, "Renamed Garden");

  const bad = await w.api("PUT", DEMO, "/api/tenant", token, { theme: { accent: "javascript:alert(1)" } });
  assert.equal(bad.status, 400);
  assert.equal((await bad.json()).error.code, "tenant.theme_invalid");
});

test("requests for unknown tenants get 404 and create no Durable Object", async () => {
  await w.fetch(DEMO, "/blog"); // the demo object exists
  const before = objectFiles().length;
  assert.ok(before >= 1, "the demo tenant's object is on disk (so the count below means something)");
  for (let i = 0; i < 20; i++) {
    const res = await w.fetch(`junk-${i}.localhost:8787`, "/blog");
    assert.equal(res.status, 404);
    await res.arrayBuffer();
    const ev = await w.fetch(`junk-${i}.localhost:8787`, "/api/events", {
      method: "POST", headers: { "content-type": "application/json" }, body: '{"events":[{"kind":"view"}]}',
    });
    assert.equal(ev.status, 404);
    assert.equal((await ev.json()).error.code, "tenant.not_found");
  }
  await w.settle();
  assert.equal(objectFiles().length, before);
});

test("two devices editing one draft: the stale save gets 409 with the server's copy", async () => {
  const save = (content, deviceId, baseRevision) =>
    w.api("PUT", DEMO, "/api/drafts/two-devices", token, { content, metadata: { title: "Two devices" }, deviceId, baseRevision });
  const first = await save("laptop v1", "laptop");
  assert.equal(first.status, 201);
  const r1 = (await first.json()).draft.revision;
  const second = await save("laptop v2", "laptop", r1);
  assert.equal(second.status, 200);
  const r2 = (await second.json()).draft.revision;
  assert.ok(r2 > r1);

  const stale = await save("phone edit", "phone", r1);
  assert.equal(stale.status, 409);
  const conflict = await stale.json();
  assert.equal(conflict.error.code, "draft.conflict");
  assert.equal(conflict.draft.content, "laptop v2");
  assert.equal(conflict.draft.revision, r2);
  assert.equal(conflict.draft.device_id, "laptop");

  const got = await (await w.api("GET", DEMO, "/api/drafts/two-devices", token)).json();
  assert.equal(got.draft.content, "laptop v2", "the stale save overwrote nothing");
  const list = await (await w.api("GET", DEMO, "/api/drafts", token)).json();
  assert.ok(list.drafts.some((d) => d.slug === "two-devices" && d.revision === r2));

  // Persisted in the object's SQLite: a restart loses nothing.
  await w.restart();
  const again = await (await w.api("GET", DEMO, "/api/drafts/two-devices", token)).json();
  assert.equal(again.draft.content, "laptop v2");

  const big = await w.api("PUT", DEMO, "/api/drafts/too-big", token, { content: "x".repeat(1_100_000), deviceId: "laptop" });
  assert.equal(big.status, 413);
});

test("publishing a draft makes it the post, once, and the public page shows it", async () => {
  const saved = await w.api("PUT", DEMO, "/api/drafts/from-a-draft", token, {
    content: "# From a draft\n\nPublished from the editor.", metadata: { title: "From a draft", tags: ["notes"] }, deviceId: "laptop",
  });
  assert.equal(saved.status, 201);
  const { revision } = (await saved.json()).draft;
  const versionBefore = (await w.rows("SELECT content_version FROM tenants WHERE subdomain = 'demo'"))[0].content_version;
  const pub = await w.api("POST", DEMO, "/api/drafts/from-a-draft/publish", token, { baseRevision: revision });
  assert.equal(pub.status, 201);
  const body = await pub.json();
  assert.equal(body.post.status, "published");
  assert.equal(body.draft_removed, true);
  const versionAfter = (await w.rows("SELECT content_version FROM tenants WHERE subdomain = 'demo'"))[0].content_version;
  assert.equal(versionAfter, versionBefore + 1, "one version bump");
  const page = await w.fetch(DEMO, "/blog/from-a-draft");
  assert.equal(page.status, 200);
  assert.match(await page.text(), /Published from the editor/);
  assert.equal((await w.api("GET", DEMO, "/api/drafts/from-a-draft", token)).status, 404);
});
