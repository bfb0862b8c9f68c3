// The cold-start baseline: a Worker with no wasm that answers every request with a fixed page,
// started by the same Miniflare as Lattice, so the difference between the two is Lattice's own
// start-up (module instantiation, the engine, the first request's work).
const PAGE = "<!doctype html><title>Hello</title><h1>Hello</h1>";

export default {
  async fetch() {
    return new Response(PAGE, { headers: { "content-type": "text/html; charset=utf-8" } });
  },
};
