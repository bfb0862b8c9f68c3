// Synthetic catalog: N tenants × M posts with realistic markdown (headings, lists, code blocks,
// links, quotes), lognormal lengths (~300 to ~20,000 words), 0–4 tags from a small vocabulary,
// and mostly published posts with a few drafts. Everything is drawn from a seeded Rng, so the
// same seed gives the same catalog. The output is buildSeedSql's input (src/blog/seed.h).
import { Rng } from "./prng.mjs";

const WORDS = (
  "the of and to in is that it for on with as was at by an be this from or are have not but had " +
  "they which you one were all we can her has there been if more when will would who so no out up " +
  "cache edge request response worker query index table row column page post blog draft feed tag " +
  "latency budget memory heap stack thread queue lock shard replica region tenant version header " +
  "render parse token stream buffer byte string number object array field value key hash bucket " +
  "garden soil seed bed compost leaf autumn winter spring summer harvest kitchen bread flour salt " +
  "butter onion garlic tomato apple pear plum walk hill ridge coast path river bridge village town " +
  "morning evening night light rain wind snow frost sun cloud weather season year month week day " +
  "quick slow small large simple careful honest quiet early late fresh old new second last first " +
  "measure test compare improve reduce remove keep write read build ship deploy debug profile fix " +
  "because although however instead perhaps usually rarely always never often again still almost"
).split(" ");

const TAGS = ["cpp", "rust", "webassembly", "caching", "databases", "performance", "gardening", "cooking",
  "travel", "books", "design", "testing"];
const TENANT_NAMES = ["alder", "birch", "cedar", "damson", "elder", "fennel", "gorse", "hazel", "iris",
  "juniper", "kale", "larch", "maple", "nettle", "oak", "poppy"];
const LANGS = ["js", "cpp", "rust", "sql", "sh", "python"];
const TIERS = ["seedling", "sapling", "oak", "evergreen"];

const capitalize = (w) => w.charAt(0).toUpperCase() + w.slice(1);

function words(rng, n) {
  const out = new Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.pick(WORDS);
  return out;
}

function titleCase(rng, n) {
  return words(rng, n).map(capitalize).join(" ");
}

// A plain sentence of n words (titles' descriptions: no markdown).
function plainSentence(rng, n) {
  const w = words(rng, n);
  w[0] = capitalize(w[0]);
  return w.join(" ") + ".";
}

// One sentence with the occasional inline decoration; `budget.left` counts words still to write.
function sentence(rng, budget) {
  const n = Math.min(budget.left, rng.int(8, 22));
  budget.left -= n;
  const w = words(rng, n);
  if (n > 4 && rng.chance(0.12)) w[2] = `\`${w[2]}()\``;
  if (n > 6 && rng.chance(0.12)) w[5] = `*${w[5]}*`;
  if (n > 8 && rng.chance(0.15)) w[7] = `[${w[7]} ${w[8]}](https://example.com/${w[7]}/${rng.int(1, 999)})`, w[8] = "";
  w[0] = capitalize(w[0]);
  return w.filter(Boolean).join(" ") + (rng.chance(0.08) ? "?" : ".");
}

function paragraph(rng, budget) {
  const target = budget.left - Math.min(budget.left, rng.int(40, 120));
  const out = [];
  while (budget.left > target) out.push(sentence(rng, budget));
  return out.join(" ");
}

function list(rng, budget, ordered) {
  const items = [];
  for (let i = 0, n = rng.int(3, 6); i < n && budget.left > 0; i++) {
    const k = Math.min(budget.left, rng.int(4, 12));
    budget.left -= k;
    items.push(`${ordered ? `${i + 1}.` : "-"} ${capitalize(words(rng, k).join(" "))}`);
  }
  return items.join("\n");
}

function codeBlock(rng, budget) {
  const lang = rng.pick(LANGS);
  const lines = [];
  for (let i = 0, n = rng.int(4, 15); i < n; i++) {
    const [a, b, c] = words(rng, 3);
    lines.push(`${"  ".repeat(rng.int(0, 2))}${a}_${b} = ${c}(${rng.int(0, 4096)}); // ${b}`);
  }
  budget.left -= lines.length * 3;
  return "```" + lang + "\n" + lines.join("\n") + "\n```";
}

// A post body of about `wordCount` words.
export function markdownBody(rng, wordCount) {
  const budget = { left: wordCount };
  const blocks = [paragraph(rng, budget)];
  while (budget.left > 0) {
    blocks.push(`## ${titleCase(rng, rng.int(2, 6))}`);
    const sectionEnd = budget.left - Math.min(budget.left, rng.int(180, 450));
    while (budget.left > sectionEnd && budget.left > 0) {
      const r = rng.float();
      if (r < 0.62) blocks.push(paragraph(rng, budget));
      else if (r < 0.74) blocks.push(list(rng, budget, rng.chance(0.35)));
      else if (r < 0.86) blocks.push(codeBlock(rng, budget));
      else if (r < 0.93) blocks.push(`> ${sentence(rng, budget)}`);
      else blocks.push(`### ${titleCase(rng, rng.int(2, 5))}`);
    }
  }
  return blocks.join("\n\n") + "\n";
}

// Lognormal word count, median ~1,000, clamped to [300, 20000].
function wordCount(rng) {
  return Math.round(Math.min(20000, Math.max(300, rng.lognormal(Math.log(1000), 1.0))));
}

function tagsFor(rng) {
  const r = rng.float();
  const n = r < 0.1 ? 0 : r < 0.4 ? 1 : r < 0.7 ? 2 : r < 0.9 ? 3 : 4;
  return rng.shuffle([...TAGS]).slice(0, n).sort();
}

const slugify = (s) => s.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "").slice(0, 80);

// {tenants, posts} for buildSeedSql, plus per post its tenant host and expected public state.
// `anchorMs` is "now" for publication dates: every published post is dated before it.
export function generateCatalog({ tenants: nTenants, posts: nPosts, seed, anchorMs }) {
  const rng = new Rng(seed, 1);
  const tenants = [];
  const posts = [];
  for (let t = 0; t < nTenants; t++) {
    const base = TENANT_NAMES[t % TENANT_NAMES.length];
    const subdomain = t < TENANT_NAMES.length ? base : `${base}${Math.floor(t / TENANT_NAMES.length)}`;
    tenants.push({
      subdomain,
      display_name: `${capitalize(subdomain)} ${titleCase(rng, 2)}`,
      description: plainSentence(rng, 20),
      tier: rng.pick(TIERS),
      theme: { accent: `#${rng.int(0, 0xffffff).toString(16).padStart(6, "0")}`, font: rng.pick(["serif", "sans"]) },
      limits: { max_posts: 5000, max_markdown_bytes: 1048576 },
    });
    for (let p = 0; p < nPosts; p++) {
      const title = titleCase(rng, rng.int(3, 8));
      const published = rng.chance(0.95);
      const post = {
        tenant: subdomain,
        slug: `${slugify(title)}-${p}`,
        title,
        description: plainSentence(rng, rng.int(10, 25)),
        tags: tagsFor(rng),
        status: published ? "published" : "draft",
        markdown: markdownBody(rng, wordCount(rng)),
      };
      // Published 1 hour to 2 years before the anchor, to the second.
      if (published) post.published_at = new Date(anchorMs - rng.int(3600, 730 * 86400) * 1000).toISOString().replace(/\.\d+Z$/, "Z");
      posts.push(post);
    }
  }
  return { tenants, posts };
}
