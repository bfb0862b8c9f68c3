// What every benchmark script does the same way: read its options, log its progress, and say
// which engine it measured.
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

const t0 = performance.now();

// Seconds since the benchmark started (since this module was loaded).
export const elapsedS = () => (performance.now() - t0) / 1000;

// A line on stderr, stamped with the seconds since the benchmark started.
export const log = (msg) => process.stderr.write(`[${((performance.now() - t0) / 1000).toFixed(1).padStart(6)}s] ${msg}\n`);

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Seconds as "42s" or "3m05s".
export const clock = (s) => (s >= 60 ? `${Math.floor(s / 60)}m${String(Math.floor(s % 60)).padStart(2, "0")}s` : `${Math.round(s)}s`);

// Progress of a phase of `total` steps with an ETA: one overwritten line a second on a terminal,
// else a line every 15 seconds. Returns tick(done). With `rate`, the line also shows steps per
// second in that unit (e.g. "req/s").
export function progress(label, total, { rate: unit } = {}) {
  const tty = process.stderr.isTTY;
  const every = tty ? 1000 : 15000;
  const started = performance.now();
  let last = started;
  return (done) => {
    const now = performance.now();
    if (done < total && now - last < every) return;
    last = now;
    const elapsed = (now - started) / 1000;
    const rate = done / Math.max(0.001, elapsed);
    const text = `${label} ${done}/${total}, ${unit ? `${rate.toFixed(0)} ${unit}, ` : ""}` +
      (done < total ? `ETA ${clock((total - done) / Math.max(rate, 1e-9))}` : `done in ${clock(elapsed)}`);
    if (tty) process.stderr.write(`\r\x1b[K[${((now - t0) / 1000).toFixed(1).padStart(6)}s] ${text}${done === total ? "\n" : ""}`);
    else log(text);
  };
}
