// The request stream: Zipf(s) page views over every published post (popularity rank = a seeded
// shuffle of the posts, across tenants), with a share of list views, feed/sitemap views, and a
// write every `writeEvery` views. The same seed gives the same stream, so both worlds see
// exactly the same requests.
import { Rng } from "./prng.mjs";
import { Zipf } from "./zipf.mjs";

export const hostOf = (subdomain) => `${subdomain}.localhost:8787`;

// The marker a write puts into a post; fixed width, so no marker is a prefix of another.
export const markerOf = (n) => `bench-rev-${String(n).padStart(6, "0")}`;

// ops: [{kind: "post"|"list"|"feed"|"write", host, path, post?, rev?}]; `post` indexes
// catalog.posts, `rev` numbers writes from 1.
export function buildStream(catalog, { views, seed, zipfS = 1.1, listShare = 0.1, feedShare = 0.03, writeEvery = 2000 }) {
  const rng = new Rng(seed, 2);
  const published = [];
  catalog.posts.forEach((p, i) => p.status === "published" && published.push(i));
  const ranking = rng.shuffle([...published]);
  const zipf = new Zipf(ranking.length, zipfS);
  const ops = [];
  let rev = 0;
  for (let v = 0; v < views; v++) {
    const r = rng.float();
    const index = ranking[zipf.sample(rng)];
    const post = catalog.posts[index];
    const host = hostOf(post.tenant);
    if (r < listShare) {
      // A list of the tenant of a (popular) post: its front page, page 2, or one of its tags.
      const u = rng.float();
      const path = u < 0.5 || (u >= 0.75 && post.tags.length === 0) ? "/blog"
        : u < 0.75 ? "/blog?page=2" : `/tags/${rng.pick(post.tags)}`;
      ops.push({ kind: "list", host, path });
    } else if (r < listShare + feedShare) {
      ops.push({ kind: "feed", host, path: rng.chance(0.5) ? "/feed.xml" : "/sitemap.xml" });
    } else {
      ops.push({ kind: "post", host, path: `/blog/${post.slug}`, post: index });
    }
    // Writes sit mid-interval (views 1000, 3000, ... by default), on a Zipf-drawn post, so they
    // mostly hit pages that are hot in the cache.
    if ((v + 1) % writeEvery === Math.floor(writeEvery / 2)) {
      const target = ranking[zipf.sample(rng)];
      const t = catalog.posts[target];
      ops.push({ kind: "write", host: hostOf(t.tenant), path: `/api/posts/${t.slug}`, post: target, rev: ++rev });
    }
  }
  return ops;
}

// Warm-up: one view of every distinct page the stream will request, in first-request order.
export function warmupOps(ops) {
  const seen = new Set();
  const out = [];
  for (const op of ops) {
    if (op.kind === "write") continue;
    const key = op.host + op.path;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(op);
    }
  }
  return out;
}
