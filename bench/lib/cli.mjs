// What every benchmark script does the same way: read its options, and say which engine it
// measured.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";

// node:util parseArgs over `options` (plus --help, which prints `usage` and exits 0); returns
// {values, int}, where int(name, min) is the option as an integer >= min, or exits 2 with usage.
export function parseOptions(options, usage) {
  const { values } = parseArgs({ options: { ...options, help: { type: "boolean", short: "h", default: false } } });
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  const int = (name, min) => {
    const n = Number(values[name]);
    if (!Number.isInteger(n) || n < min) {
      console.error(`--${name} must be an integer >= ${min}\n${usage}`);
      process.exit(2);
    }
    return n;
  };
  return { values, int };
}

// Which engine was measured: the wasm's hash and build time, and the commit (dirty when the
// engine's sources have uncommitted changes).
export function engineInfo(root) {
  const wasm = join(root, "build/wasm/lattice.wasm");
  const git = (...args) => {
    try {
      return execFileSync("git", args, { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    } catch {
      return null;
    }
  };
  const status = git("status", "--porcelain", "--", "src", "worker-shim", "migrations", "bindings");
  return {
    wasm_sha256: createHash("sha256").update(readFileSync(wasm)).digest("hex").slice(0, 16),
    wasm_built: statSync(wasm).mtime.toISOString(),
    commit: git("rev-parse", "--short", "HEAD"),
    engine_sources_dirty: status === null ? null : status !== "",
  };
}
