// The UTF-8 string boundary (bindings/utf8-boundary.h): strings reach the wasm modules as UTF-8
// that TextEncoder writes into wasm memory and leave as a view TextDecoder reads. Checked against
// embind's own std::string conversion in the tooling module, at the edges (empty, NUL, every
// UTF-8 length, lone surrogates, inputs that grow wasm memory mid-call), and end to end through
// the Worker's Engine in workerd with a large non-ASCII post.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { loadEngineModule } from "../../scripts/lib/engine-node.mjs";
import { World } from "../support/world.mjs";

const DEMO = "demo.localhost:8787";
let tools, w, token;

before(async () => {
  tools = await loadEngineModule();
  w = await World.start({ seed: true });
  token = await w.mintToken(await w.tenantId("demo"));
});
after(() => w?.dispose());

test("the tooling module renders the same through the UTF-8 boundary as through embind", () => {
  const inputs = [
    "",
    "plain *ascii* text",
    "é and ß (2 bytes), 日本語 (3 bytes), 🌿🍓 (4 bytes: surrogate pairs)",
    "a NUL \0 in the middle",
    "# Grüße\n\n| a | b |\n|---|---|\n| 🌿 | ü |\n",
    "日".repeat(5000), // exactly 3 bytes per UTF-16 code unit: the buffer's worst case
  ];
  for (const input of inputs) {
    assert.equal(tools.renderMarkdownHtml(input), tools.renderMarkdownHtmlEmbind(input), JSON.stringify(input.slice(0, 40)));
  }
  assert.equal(tools.renderMarkdownHtml(""), "");
  assert.equal(tools.renderMarkdownHtml("a \0 b"), "<p>a \uFFFD b</p>\n");
});

test("a lone surrogate becomes one U+FFFD, as TextEncoder encodes it", () => {
  assert.equal(tools.renderMarkdownHtml("x \uD800 y"), "<p>x \uFFFD y</p>\n");
  assert.equal(tools.renderMarkdownHtml("\uDC00"), "<p>\uFFFD</p>\n");
});

test("inputs and outputs larger than wasm memory had are read after it grows", () => {
  const before = tools.HEAPU8.length;
  const line = "Größe *zählt* — 🌿 [link](https://example.com/ü) `code` <tag> & more\n\n";
  const doc = line.repeat(Math.ceil((before * 2) / line.length));
  const fast = tools.renderMarkdownHtml(doc);
  assert.ok(tools.HEAPU8.length > before, "the call grew memory");
  assert.equal(fast, tools.renderMarkdownHtmlEmbind(doc));
  assert.ok(fast.endsWith("more</p>\n"));
  // And the next call, into the grown memory, is still right.
  assert.equal(tools.renderMarkdownHtml("**ok** ✓"), "<p><strong>ok</strong> ✓</p>\n");
});

test("the Worker's Engine round-trips a near-limit non-ASCII post exactly", async () => {
  // ~1 MB of UTF-8 (the limit is 1 MiB): 1-, 2-, 3- and 4-byte characters and a NUL-free JSON body.
  const paragraph = "Grüße aus Köln — 日本語のテキスト 🌿🍓 naïve café.\n\n";
  const markdown = `# Überschrift 🌿\n\n${paragraph.repeat(Math.floor(1_000_000 / Buffer.byteLength(paragraph)))}`;
  assert.ok(Buffer.byteLength(markdown) > 990_000 && Buffer.byteLength(markdown) <= 1_048_576);
  const created = await w.api("POST", DEMO, "/api/posts", token, {
    slug: "utf8-boundary", title: "Ünïcödé 🌿 title", markdown, status: "published",
  });
  assert.equal(created.status, 201);
  const got = await (await w.api("GET", DEMO, "/api/posts/utf8-boundary", token)).json();
  assert.equal(got.post.markdown, markdown);
  assert.equal(got.post.title, "Ünïcödé 🌿 title");
  const page = await w.fetch(DEMO, "/blog/utf8-boundary");
  assert.equal(page.status, 200);
  const html = await page.text();
  assert.match(html, /<h1 id="[^"]+">Überschrift 🌿<\/h1>/);
  assert.equal(html.split("<p>Grüße aus Köln — 日本語のテキスト 🌿🍓 naïve café.</p>").length - 1,
               Math.floor(1_000_000 / Buffer.byteLength(paragraph)));
  const [row] = await w.rows("SELECT title FROM posts WHERE slug = 'utf8-boundary'");
  assert.equal(row.title, "Ünïcödé 🌿 title");
});
