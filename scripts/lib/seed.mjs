// Builds the demo data SQL: reads demo/tenants.json and demo/posts/{tenant}/*.md (front matter +
// markdown) and lets the C++ engine validate and render every post (buildSeedSql). Writes the
// SQL script to the path given as argv[2].
import { readFile, readdir, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { loadEngineModule } from "./engine-node.mjs";

const root = fileURLToPath(new URL("../../", import.meta.url));

// The demo folder's tiny front-matter format: `key: value` lines between two `---` lines.
function parsePostFile(tenant, slug, text) {
  const m = /^---\n([\s\S]*?)\n---\n?([\s\S]*)$/.exec(text);
  if (!m) throw new Error(`${tenant}/${slug}: missing front matter`);
  const post = { tenant, slug, markdown: m[2] };
  for (const line of m[1].split("\n")) {
    const i = line.indexOf(": ");
    if (i < 0) throw new Error(`${tenant}/${slug}: bad front matter line ${JSON.stringify(line)}`);
    const key = line.slice(0, i).trim();
    const value = line.slice(i + 2).trim();
    post[key] = key === "tags" ? value.split(",").map((t) => t.trim()).filter(Boolean) : value;
  }
  return post;
}

const out = process.argv[2];
const tenants = JSON.parse(await readFile(`${root}demo/tenants.json`, "utf8"));
const posts = [];
for (const t of tenants) {
  const dir = `${root}demo/posts/${t.subdomain}`;
  for (const file of (await readdir(dir)).filter((f) => f.endsWith(".md")).sort()) {
    posts.push(parsePostFile(t.subdomain, file.slice(0, -3), await readFile(`${dir}/${file}`, "utf8")));
  }
}
const engine = await loadEngineModule();
const result = JSON.parse(engine.buildSeedSql(JSON.stringify(tenants), JSON.stringify(posts), Date.now()));
if (result.error) {
  console.error(`seed: ${result.error}`);
  process.exit(1);
}
await writeFile(out, result.sql);
console.log(`seed: ${tenants.length} tenants, ${posts.length} posts -> ${out}`);
