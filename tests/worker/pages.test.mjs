// The built wasm worker serves the demo blogs from D1 inside workerd.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { ROOT, World } from "../support/world.mjs";

let w;
before(async () => {
  w = await World.start({ seed: true });
});
after(() => w?.dispose());

test("GET /blog on demo lists published posts newest first", async () => {
  const res = await w.fetch("demo.localhost:8787", "/blog");
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type"), /^text\/html/);
  const html = await res.text();
  assert.match(html, /<title>Notes from the Workbench<\/title>/);
  const dates = [...html.matchAll(/<time datetime="([^"]+)"/g)].map((m) => m[1]);
  assert.equal(dates.length, 10);
  assert.deepEqual([...dates].sort().reverse(), dates);
  assert.match(html, /rel="next" href="\/blog\?page=2"/);
});

test("a post page is rendered with meta, canonical and sanitised content", async () => {
  const list = await w.rows("SELECT slug, title FROM posts p JOIN tenants t ON t.id = p.tenant_id WHERE t.subdomain = 'demo' AND status = 'published' LIMIT 1");
  const res = await w.fetch("demo.localhost:8787", `/blog/${list[0].slug}`);
  assert.equal(res.status, 200);
  const html = await res.text();
  assert.ok(html.includes(`<link rel="canonical" href="http://demo.localhost:8787/blog/${list[0].slug}">`));
  assert.match(html, /<meta property="og:type" content="article">/);
  assert.match(html, /<meta property="article:published_time" content="\d{4}-\d\d-\d\dT/);
  assert.equal(
    res.headers.get("content-security-policy"),
    "default-src 'none'; script-src 'self'; connect-src 'self'; img-src https: http: data:; " +
      "style-src 'self' 'unsafe-inline'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  );
  assert.match(html, /<section class="live" id="live" data-slug="[a-z0-9-]+"/);
  // Other pages run no script at all.
  const index = await w.fetch("demo.localhost:8787", "/blog");
  assert.doesNotMatch(index.headers.get("content-security-policy"), /script-src/);
  assert.ok(!(await index.text()).includes("<script"));
});

test("the pages' scripts and styles are static assets: on every host, before the Worker, with nosniff, ETags and 304s", async () => {
  // What the build published (build/wasm/public, wrangler.toml [assets]): web/'s .js and .css.
  const files = [
    ["/assets/live.js", "web/live/live.js"], ["/assets/live.css", "web/live/live.css"],
    ["/admin/app.js", "web/admin/app.js"], ["/admin/app.css", "web/admin/app.css"],
    ["/admin/stats.js", "web/admin/stats.js"], ["/admin/stats.css", "web/admin/stats.css"],
    ["/meadow/meadow.js", "web/meadow/meadow.js"], ["/meadow/meadow.css", "web/meadow/meadow.css"],
  ];
  for (const [path, source] of files) {
    for (const host of ["demo.localhost:8787", "localhost:8787"]) {
      const res = await w.fetch(host, path);
      assert.equal(res.status, 200, `${host}${path}`);
      const type = path.endsWith(".js") ? "text/javascript; charset=utf-8" : "text/css; charset=utf-8";
      assert.equal(res.headers.get("content-type"), type);
      assert.equal(res.headers.get("x-content-type-options"), "nosniff");
      assert.equal(res.headers.get("referrer-policy"), "no-referrer");
      assert.equal(res.headers.get("cache-control"), "public, max-age=0, must-revalidate");
      assert.equal(res.headers.get("set-cookie"), null);
      const body = await res.text();
      // Minified: smaller than the source, and not empty.
      assert.ok(body.length > 500 && body.length < readFileSync(join(ROOT, source), "utf8").length, path);
      const etag = res.headers.get("etag");
      assert.match(etag, /^"[0-9a-f]{16,}"$/);
      const again = await w.fetch(host, path, { headers: { "if-none-match": etag } });
      assert.equal(again.status, 304);
      assert.equal(await again.text(), "");
    }
  }
  // (The core answers none of these paths: tests/native/static-assets-test.cpp. So these 200s are
  // the asset layer's.) A path with no file reaches the Worker, and the core knows no such page.
  const missing = await w.fetch("demo.localhost:8787", "/admin/nope.js");
  assert.equal(missing.status, 404);
  assert.equal((await missing.json()).error.code, "route.not_found");
  // The headers file itself is not served.
  assert.notEqual((await w.fetch("demo.localhost:8787", "/_headers")).status, 200);
});

test("the XSS demo post is neutralised", async () => {
  const res = await w.fetch("demo.localhost:8787", "/blog/markdown-xss-field-guide");
  assert.equal(res.status, 200);
  const html = (await res.text()).toLowerCase();
  // The page's own script (the live section's, from this origin) is the only one.
  const own = '<script src="/assets/live.js" defer></script>';
  assert.equal(html.split(own).length, 2, "the live script once");
  assert.ok(!html.replace(own, "").includes("<script"), "no other script element");
  // Text is escaped (&lt;), so every "<x" left is a real tag: check the attributes of each.
  const tags = html.match(/<[a-z][^>]*>/g);
  assert.ok(tags.length > 20);
  for (const tag of tags) {
    // Quoted values are data (their quotes are escaped as &quot;): look only at attribute names.
    assert.ok(!/\son[a-z]+\s*=/.test(tag.replace(/"[^"]*"/g, '""')), `event handler attribute in ${tag}`);
    assert.ok(!/(href|src)\s*=\s*"\s*(javascript|vbscript|data):/.test(tag), `dangerous URL in ${tag}`);
  }
});

test("drafts, archived posts, unknown posts, tenants and hosts are styled 404s", async () => {
  const drafts = await w.rows("SELECT slug, status FROM posts WHERE status <> 'published'");
  assert.ok(drafts.some((d) => d.status === "draft") && drafts.some((d) => d.status === "archived"));
  for (const { slug } of drafts) {
    const owner = (await w.rows("SELECT t.subdomain FROM posts p JOIN tenants t ON t.id = p.tenant_id WHERE p.slug = ?", slug))[0];
    const res = await w.fetch(`${owner.subdomain}.localhost:8787`, `/blog/${slug}`);
    assert.equal(res.status, 404, slug);
  }
  const missing = await w.fetch("demo.localhost:8787", "/blog/no-such-post");
  assert.equal(missing.status, 404);
  assert.match(await missing.text(), /Post not found/);
  const nobody = await w.fetch("nobody.localhost:8787", "/blog");
  assert.equal(nobody.status, 404);
  assert.match(await nobody.text(), /Blog not found/);
  assert.equal((await w.fetch("evil.example", "/blog")).status, 404);
});

test("tags, root redirect and the main host", async () => {
  const tag = await w.fetch("autumn.localhost:8787", "/tags/garden");
  assert.equal(tag.status, 200);
  assert.match(await tag.text(), /Posts tagged <em>#garden<\/em>/);
  const root = await w.fetch("autumn.localhost:8787", "/");
  assert.equal(root.status, 302);
  assert.equal(root.headers.get("location"), "/blog");
  const main = await w.fetch("localhost:8787", "/");
  assert.equal(main.status, 200);
});

test("/__lattice/metrics counts effects in dev and is 404 without LATTICE_DEV", async () => {
  await w.fetch("demo.localhost:8787", "/blog");
  const res = await w.fetch("localhost:8787", "/__lattice/metrics");
  assert.equal(res.status, 200);
  const { counters } = await res.json();
  assert.ok(counters["d1.query"] >= 2);
  assert.ok(counters["d1.rows_read"] > 0);
  const prod = await World.start({ vars: { LATTICE_DEV: "" } });
  try {
    assert.equal((await prod.fetch("localhost:8787", "/__lattice/metrics")).status, 404);
  } finally {
    await prod.dispose();
  }
});
