// scripts/bench-render, workerd half: a bench-only Worker (never deployed) that renders the
// benchmark corpus with Lattice's renderer (build/wasm/lattice-tools: the renderer the Worker's
// wasm ships, same code and flags, in the module that exports it to tooling) and with the
// npm packages marked and markdown-it, in the same isolate. bench/render.mjs runs it in Miniflare.
//
// GET /check                         one pass per renderer: output sizes, a sanity check
// GET /run?renderer=R&iterations=N   N passes over the corpus with R; answers {renderer, iterations,
//                                    bytes, chars} once done
//
// Timing is done by the caller around each request: inside workerd, Date.now() and
// performance.now() do not advance while JavaScript runs (they move only across I/O, a Spectre
// mitigation), so an in-request clock would read 0 ms.
import createModule from "../../build/wasm/lattice-tools.mjs";
import wasmModule from "../../build/wasm/lattice-tools.wasm";
import { Marked, MarkdownIt } from "../../build/bench/render/vendor.mjs";
import corpus from "../../build/bench/render/corpus.mjs";

let renderers = null;

async function setUp() {
  const lattice = await createModule({
    locateFile: (path) => path,
    instantiateWasm(imports, done) {
      const instance = new WebAssembly.Instance(wasmModule, imports);
      done(instance, wasmModule);
      return instance.exports;
    },
  });
  const marked = new Marked(); // defaults: GFM (tables, strikethrough, task lists, bare-URL autolinks)
  const markdownIt = new MarkdownIt({ linkify: true }); // default preset (tables, strikethrough) + bare URLs
  return {
    // The HTML string alone, no JSON, through the UTF-8 boundary the Worker's Engine calls use
    // (bindings/utf8-boundary.h): TextEncoder/TextDecoder over wasm memory.
    lattice: (md) => lattice.renderMarkdownHtml(md),
    // The same through embind's std::string conversion: what that boundary saves.
    "lattice-embind": (md) => lattice.renderMarkdownHtmlEmbind(md),
    // The tooling entry point (embind): {ok, html, headings, wordCount} as JSON, parsed here.
    "lattice-json": (md) => JSON.parse(lattice.renderMarkdown(md)).html,
    marked: (md) => marked.parse(md),
    "markdown-it": (md) => markdownIt.render(md),
    // The request and loop alone: what the caller subtracts.
    noop: (md) => md,
  };
}

function pass(render) {
  let chars = 0;
  for (const doc of corpus) chars += render(doc.markdown).length;
  return chars;
}

export default {
  async fetch(request) {
    renderers ??= await setUp();
    const url = new URL(request.url);
    if (url.pathname === "/check") {
      const out = {};
      for (const [name, render] of Object.entries(renderers)) out[name] = pass(render);
      return Response.json({ documents: corpus.length, chars: out });
    }
    if (url.pathname === "/run") {
      const name = url.searchParams.get("renderer");
      const iterations = Number(url.searchParams.get("iterations") ?? "1");
      const render = renderers[name];
      if (!render || !Number.isInteger(iterations) || iterations < 0) {
        return Response.json({ error: "bad renderer or iterations" }, { status: 400 });
      }
      let chars = 0;
      for (let i = 0; i < iterations; i++) chars += pass(render);
      return Response.json({ renderer: name, iterations, chars });
    }
    return new Response("not found", { status: 404 });
  },
};
