// How the benchmark talks to a World. Both clients reach the same Miniflare runtime and name the
// tenant with the Host header; they differ only in transport:
//   http     — node:http with one keep-alive connection to the runtime's address (mf.ready).
//   dispatch — world.fetch (Miniflare's dispatchFetch), as the tests do. dispatchFetch opens a
//              new connection per request (undici `reset`), which adds ~5 ms per request here,
//              so it is the slower and noisier clock; kept for comparison.
// request() resolves to {status, headers (lower-case keys), body, ms}: ms is wall time from
// sending the request to having read the whole body.
import http from "node:http";

export async function makeClient(world, kind) {
  if (kind === "dispatch") {
    return {
      kind,
      async request(host, path, init = {}) {
        const t0 = performance.now();
        const res = await world.fetch(host, path, init);
        const body = await res.text();
        const ms = performance.now() - t0;
        return { status: res.status, headers: Object.fromEntries(res.headers), body, ms };
      },
      close() {},
    };
  }
  if (kind !== "http") throw new Error(`unknown client '${kind}' (http or dispatch)`);
  const url = await world.mf.ready;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  return {
    kind,
    request(host, path, { method = "GET", headers = {}, body } = {}) {
      return new Promise((resolve, reject) => {
        const t0 = performance.now();
        const hdrs = { ...headers, host };
        if (body !== undefined) hdrs["content-length"] = Buffer.byteLength(body);
        const req = http.request({ host: url.hostname, port: url.port, path, method, agent, headers: hdrs }, (res) => {
          const chunks = [];
          res.on("data", (c) => chunks.push(c));
          res.on("error", reject);
          res.on("end", () =>
            resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString("utf8"), ms: performance.now() - t0 }));
        });
        req.on("error", reject);
        req.end(body);
      });
    },
    close() {
      agent.destroy();
    },
  };
}
