// One world under the benchmark: executes stream ops against it, checks freshness, and collects
// per-phase figures (counter deltas, cache header tallies, latencies, stale reads).
import { addCounters, counterDelta, summarize } from "./stats.mjs";
import { markerOf } from "./stream.mjs";

const METRICS_HOST = "localhost:8787";
const METRICS_PATH = "/__lattice/metrics";
const CACHE_HEADER = "x-lattice-cache";
const MAX_STALE_SAMPLES = 5;

export class WorldRun {
  // name: "cached" | "naive"; client: from makeClient; catalog: generateCatalog's output.
  constructor(name, world, client, catalog) {
    this.name = name;
    this.world = world;
    this.client = client;
    this.catalog = catalog;
    this.tokens = new Map(); // subdomain -> owner token
    this.markers = new Map(); // catalog.posts index -> latest marker written into it
    this.phase = null;
  }

  async prepare() {
    for (const t of this.catalog.tenants) {
      const id = await this.world.tenantId(t.subdomain);
      if (!id) throw new Error(`${this.name}: tenant ${t.subdomain} was not loaded`);
      this.tokens.set(t.subdomain, await this.world.mintToken(id));
    }
  }

  // The isolate's cumulative effect counters (the dev endpoint; LATTICE_DEV=1 is set by World).
  async counters() {
    const res = await this.client.request(METRICS_HOST, METRICS_PATH);
    if (res.status !== 200) throw new Error(`${this.name}: ${METRICS_PATH} answered ${res.status}`);
    return JSON.parse(res.body).counters ?? {};
  }

  async beginPhase(name) {
    this.phase = {
      name,
      started: performance.now(),
      before: await this.settledCounters(),
      views: 0,
      writes: 0,
      writeFailures: 0,
      serverErrors: 0,
      byKind: {}, // kind -> {views, hits, status: {code: n}}
      cacheHeader: {}, // header value ("absent" when missing) -> n
      latency: { hit: [], miss: [], all: [], write: [] },
      writeCounters: {},
      stale: { content: 0, non200: 0, checked: 0, samples: [] },
    };
  }

  async execute(op) {
    return op.kind === "write" ? this.write(op) : this.view(op);
  }

  async view(op) {
    const p = this.phase;
    const res = await this.client.request(op.host, op.path);
    const header = res.headers[CACHE_HEADER] ?? "absent";
    const hit = header === "hit";
    p.views++;
    p.cacheHeader[header] = (p.cacheHeader[header] ?? 0) + 1;
    const k = (p.byKind[op.kind] ??= { views: 0, hits: 0, status: {} });
    k.views++;
    if (hit) k.hits++;
    k.status[res.status] = (k.status[res.status] ?? 0) + 1;
    if (res.status >= 500) p.serverErrors++;
    (hit ? p.latency.hit : p.latency.miss).push(res.ms);
    p.latency.all.push(res.ms);
    if (op.kind === "post") this.checkFresh(op, res, header);
  }

  // A published post must answer 200 and carry the marker of the last write to it, if any.
  checkFresh(op, res, header) {
    const s = this.phase.stale;
    const expected = this.markers.get(op.post);
    let problem = null;
    if (res.status !== 200) {
      s.non200++;
      problem = `status ${res.status}`;
    } else if (expected) {
      s.checked++;
      if (!res.body.includes(expected)) {
        s.content++;
        problem = `missing ${expected}`;
      }
    }
    if (problem && s.samples.length < MAX_STALE_SAMPLES) s.samples.push({ path: op.host + op.path, problem, cache: header });
  }

  // PUT the post's original markdown plus a new marker paragraph; counters are read around it
  // so the write's own effects can be told apart from the views'.
  async write(op) {
    const p = this.phase;
    const post = this.catalog.posts[op.post];
    const marker = markerOf(op.rev);
    const before = await this.counters();
    const res = await this.client.request(op.host, op.path, {
      method: "PUT",
      headers: { authorization: `Bearer ${this.tokens.get(post.tenant)}`, "content-type": "application/json" },
      body: JSON.stringify({ markdown: `${post.markdown}\n${marker}\n` }),
    });
    addCounters(p.writeCounters, counterDelta(await this.counters(), before));
    p.writes++;
    p.latency.write.push(res.ms);
    if (res.status === 200) this.markers.set(op.post, marker);
    else p.writeFailures++;
  }

  // Counters once the work the engine does after responding (ctx.waitUntil, counted by the
  // `background.pending` gauge) has finished, waiting at most ~2 s.
  async settledCounters() {
    let c = await this.counters();
    for (let i = 0; i < 20 && (c["background.pending"] ?? 0) > 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      c = await this.counters();
    }
    return c;
  }

  async endPhase() {
    const p = this.phase;
    const counters = counterDelta(await this.settledCounters(), p.before);
    // The benchmark's own metrics reads are not traffic, and a gauge's difference is no count.
    for (const key of ["metrics.read", "background.pending"]) {
      delete counters[key];
      delete p.writeCounters[key];
    }
    const hits = p.cacheHeader.hit ?? 0;
    this.phase = null;
    return {
      phase: p.name,
      wall_s: Math.round((performance.now() - p.started) / 10) / 100,
      views: p.views,
      writes: p.writes,
      write_failures: p.writeFailures,
      server_errors: p.serverErrors,
      hits,
      hit_ratio: p.views ? hits / p.views : null,
      cache_header: p.cacheHeader,
      by_kind: p.byKind,
      stale_reads: p.stale.content + p.stale.non200,
      // marker_checks: 200 views of a post after a write to it, i.e. views that could be stale.
      stale_detail: { missing_marker: p.stale.content, non_200: p.stale.non200, marker_checks: p.stale.checked, samples: p.stale.samples },
      latency: {
        hit: summarize(p.latency.hit),
        miss: summarize(p.latency.miss),
        all: summarize(p.latency.all),
        write: summarize(p.latency.write),
      },
      counters,
      write_counters: p.writeCounters,
    };
  }
}
