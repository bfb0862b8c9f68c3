// The feed benchmark's synthetic world, drawn from one seed so that the same seed gives the same
// world: tenants (authors) with skewed post counts, published posts spread over the last 60 days,
// readers who each follow k authors drawn by Zipf popularity, and the publishes of the fan-out
// phase (drafts seeded now, published during the run), split between the authors with the most
// followers and authors with few.
import { markdownBody } from "../lib/catalog.mjs";
import { Rng } from "../lib/prng.mjs";
import { Zipf } from "../lib/zipf.mjs";

const DAY_S = 86400;
const WINDOW_DAYS = 60;
const NAMES = ["alder", "birch", "cedar", "damson", "elder", "fennel", "gorse", "hazel", "iris", "juniper", "kale",
  "larch", "maple", "nettle", "oak", "poppy", "quince", "rowan", "sorrel", "tansy", "umber", "vetch", "willow", "yarrow"];
const WORDS = ("cache edge request worker query index table page post blog draft feed tag latency budget memory " +
  "queue shard replica region tenant version header render parse token stream buffer garden soil seed compost " +
  "leaf autumn winter spring summer harvest kitchen bread flour salt butter onion garlic walk hill ridge coast " +
  "river bridge village morning evening night light rain wind snow frost cloud weather quiet early late fresh " +
  "measure test compare improve reduce keep write read build ship deploy debug profile fix").split(" ");
const TAGS = ["cpp", "rust", "webassembly", "caching", "databases", "performance", "gardening", "cooking", "travel",
  "books", "design", "testing"];

const capitalize = (w) => w.charAt(0).toUpperCase() + w.slice(1);
const phrase = (rng, n) => Array.from({ length: n }, () => rng.pick(WORDS));
const iso = (ms) => new Date(ms).toISOString().replace(/\.\d+Z$/, "Z");

// Splits `total` into `n` positive integers proportional to lognormal weights (sigma 1: the
// biggest tenant has ~15x the median's posts). Exact sum; every part >= 1.
function skewedCounts(rng, n, total) {
  const w = Array.from({ length: n }, () => rng.lognormal(0, 1));
  const sum = w.reduce((a, b) => a + b, 0);
  const counts = w.map((x) => Math.max(1, Math.floor((x / sum) * total)));
  let left = total - counts.reduce((a, b) => a + b, 0);
  const order = w.map((x, i) => [x, i]).sort((a, b) => b[0] - a[0]).map(([, i]) => i);
  for (let i = 0; left !== 0; i = (i + 1) % n) {
    const t = order[i];
    if (left > 0) (counts[t]++, left--);
    else if (counts[t] > 1) (counts[t]--, left++);
  }
  return counts;
}

// opts: {tenants, posts, readers, publishes, seed, zipfS, nowMs}
export function generatePlan({ tenants: nTenants, posts: nPosts, readers: nReaders, publishes: nPublishes, seed, zipfS, nowMs }) {
  const rng = new Rng(seed, 7);
  const tenants = [];
  for (let t = 0; t < nTenants; t++) {
    const base = NAMES[t % NAMES.length];
    const subdomain = t < NAMES.length ? base : `${base}${Math.floor(t / NAMES.length)}`;
    tenants.push({
      subdomain,
      display_name: `${capitalize(subdomain)} ${phrase(rng, 2).map(capitalize).join(" ")}`,
      description: `${capitalize(phrase(rng, 12).join(" "))}.`,
      tier: "sapling",
      theme: { accent: `#${rng.int(0, 0xffffff).toString(16).padStart(6, "0")}`, font: rng.pick(["serif", "sans"]) },
      limits: { max_posts: 5000, max_markdown_bytes: 1048576 },
    });
  }

  // Published posts: short bodies (feeds carry previews, never the body), dated uniformly over
  // the last 60 days, at least 10 minutes ago (never in the future).
  const postCounts = skewedCounts(rng, nTenants, nPosts);
  const posts = [];
  postCounts.forEach((count, t) => {
    for (let p = 0; p < count; p++) {
      const title = capitalize(phrase(rng, rng.int(3, 7)).join(" "));
      posts.push({
        tenant: tenants[t].subdomain,
        slug: `${title.toLowerCase().replace(/[^a-z0-9]+/g, "-")}-${p}`,
        title,
        description: `${capitalize(phrase(rng, rng.int(10, 25)).join(" "))}.`,
        tags: rng.shuffle([...TAGS]).slice(0, rng.int(0, 3)).sort(),
        status: "published",
        published_at: iso(nowMs - rng.int(600, WINDOW_DAYS * DAY_S) * 1000),
        markdown: markdownBody(rng, rng.int(60, 240)),
      });
    }
  });

  // Popularity: Zipf(s) over a seeded shuffle of the tenants (independent of how much they
  // write). Each reader follows k distinct authors, k = lognormal(median 5, sigma 0.6) in 1..15.
  const zipf = new Zipf(nTenants, zipfS);
  const byRank = rng.shuffle(tenants.map((_, i) => i));
  const maxK = Math.min(15, nTenants);
  const readers = [];
  const followers = Array.from({ length: nTenants }, () => []);
  for (let r = 0; r < nReaders; r++) {
    const k = Math.min(maxK, Math.max(1, Math.round(rng.lognormal(Math.log(5), 0.6))));
    const follows = new Set();
    while (follows.size < k) follows.add(byRank[zipf.sample(rng)]);
    const list = [...follows];
    for (const t of list) followers[t].push(r);
    readers.push({ index: r, name: `Reader ${r + 1}`, follows: list.map((t) => tenants[t].subdomain) });
  }

  // Publishes: half on the 5 authors with the most followers (round-robin), half on the authors
  // with the fewest followers that have at least one (one each, then round again). Each is a
  // draft in the catalog now, published by PUT {status: "published"} during the run, so it gets
  // published_at = the moment of the write.
  const ranked = tenants.map((_, t) => t).filter((t) => followers[t].length > 0)
    .sort((a, b) => followers[b].length - followers[a].length || a - b);
  const many = ranked.slice(0, Math.min(5, ranked.length));
  const few = ranked.slice(-Math.min(ranked.length, Math.ceil(nPublishes / 2))).reverse();
  const publishes = [];
  for (let i = 0; i < nPublishes; i++) {
    const group = i % 2 === 0 ? "many" : "few";
    const pool = group === "many" ? many : few;
    const t = pool[Math.floor(i / 2) % pool.length];
    const slug = `meadow-bench-${String(i + 1).padStart(3, "0")}`;
    publishes.push({ group, tenant: tenants[t].subdomain, slug, followers: followers[t].length, readers: followers[t] });
    posts.push({
      tenant: tenants[t].subdomain,
      slug,
      title: `Meadow bench publish ${i + 1}`,
      description: "A post published during the feed benchmark's fan-out phase.",
      tags: [],
      status: "draft",
      markdown: markdownBody(rng, 120),
    });
  }

  const followCount = readers.reduce((n, r) => n + r.follows.length, 0);
  const sortedFollowers = followers.map((f) => f.length).sort((a, b) => b - a);
  return {
    tenants,
    posts,
    readers,
    publishes,
    followersOf: (subdomain) => followers[tenants.findIndex((t) => t.subdomain === subdomain)],
    summary: {
      tenants: nTenants,
      published_posts: nPosts,
      draft_posts_for_publishes: nPublishes,
      posts_per_tenant: { min: Math.min(...postCounts), median: [...postCounts].sort((a, b) => a - b)[nTenants >> 1], max: Math.max(...postCounts) },
      readers: nReaders,
      follows: followCount,
      follows_per_reader_mean: Math.round((followCount / nReaders) * 100) / 100,
      followers_per_tenant: { max: sortedFollowers[0], median: sortedFollowers[nTenants >> 1], zero: sortedFollowers.filter((n) => n === 0).length },
      top5_followers: sortedFollowers.slice(0, 5),
      window_days: WINDOW_DAYS,
    },
  };
}
