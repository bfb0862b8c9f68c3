// Loads a catalog into a World's D1: the wasm engine renders it to SQL (buildSeedSql, the same
// validation and markdown renderer as the write API), the script is split into statements and
// executed with db.batch in chunks. (D1's exec() splits on newlines, which multi-line literals
// such as markdown bodies contain, so it cannot run this script; and D1 refuses statements over
// 100 KB, so literals become bound parameters.)
import { loadEngineModule } from "../../scripts/lib/engine-node.mjs";

let enginePromise = null;
const engine = () => (enginePromise ??= loadEngineModule());

// Renders {tenants, posts} to one SQL script with the engine; throws on a validation error.
export async function renderSeedSql(catalog, nowMs) {
  const result = JSON.parse((await engine()).buildSeedSql(JSON.stringify(catalog.tenants), JSON.stringify(catalog.posts), nowMs));
  if (result.error) throw new Error(`buildSeedSql: ${result.error}`);
  return result.sql;
}

// Splits a script of `;`-terminated statements into {sql, params}: every '...' literal becomes a
// bound parameter ('' inside one is an escaped quote). Binding matters: D1 refuses statements
// over 100 KB (SQLITE_TOOBIG), and a long post's markdown plus HTML is larger than that, while a
// bound value may be up to 2 MB. The seed script has no comments and no `?` outside literals.
export function splitStatements(sql) {
  const out = [];
  let parts = []; // pieces of the current statement's text
  let params = [];
  let i = 0;
  for (;;) {
    const q = sql.indexOf("'", i);
    const semi = sql.indexOf(";", i);
    if (semi >= 0 && (q < 0 || semi < q)) {
      parts.push(sql.slice(i, semi));
      const text = parts.join("").trim();
      if (text) out.push({ sql: text, params });
      parts = [];
      params = [];
      i = semi + 1;
    } else if (q >= 0) {
      parts.push(sql.slice(i, q));
      let value = "";
      let j = q + 1;
      for (;;) {
        const k = sql.indexOf("'", j);
        if (k < 0) throw new Error("seed SQL: unterminated literal");
        value += sql.slice(j, k);
        if (sql[k + 1] !== "'") {
          i = k + 1;
          break;
        }
        value += "'";
        j = k + 2;
      }
      params.push(value);
      parts.push(`?${params.length}`);
    } else {
      if (sql.slice(i).trim() || parts.join("").trim()) throw new Error("seed SQL: unterminated statement");
      return out;
    }
  }
}

// Executes the statements with db.batch, in chunks of about `maxBytes` of values each (every
// chunk is one transaction). The cost is mostly Miniflare's proxy serialising the values in
// Node (~1.5 MB/s here); 1 MB chunks were the fastest of 256 KB, 1 MB and 8 MB.
export async function executeStatements(db, statements, maxBytes = 1 << 20) {
  let chunk = [];
  let bytes = 0;
  const flush = async () => {
    if (chunk.length) await db.batch(chunk.map((s) => db.prepare(s.sql).bind(...s.params)));
    chunk = [];
    bytes = 0;
  };
  for (const s of statements) {
    chunk.push(s);
    bytes += s.sql.length + s.params.reduce((n, p) => n + p.length, 0);
    if (bytes >= maxBytes) await flush();
  }
  await flush();
}

export async function loadCatalog(world, sql) {
  await executeStatements(world.db, splitStatements(sql));
}
