// Loads the C++ engine (wasm) once per isolate and recreates it after a trap, so a corrupted
// heap is never reused. Workers cannot compile wasm from bytes: the module is imported.
import createModule from "../build/wasm/lattice.mjs";
import wasmModule from "../build/wasm/lattice.wasm";
import { withStrings } from "./engine-strings.mjs";

let instance = null; // { module, engine, varsKey }

// Worker vars (strings, numbers, booleans) are configuration; bindings (objects) are not.
function configVars(env) {
  const vars = {};
  for (const [key, value] of Object.entries(env)) {
    if (["string", "number", "boolean"].includes(typeof value)) vars[key] = value;
  }
  return vars;
}

async function instantiate() {
  return createModule({
    locateFile: (path) => path,
    instantiateWasm(imports, done) {
      const wasm = new WebAssembly.Instance(wasmModule, imports);
      done(wasm, wasmModule);
      return wasm.exports;
    },
  });
}

export async function getModule() {
  if (!instance) instance = { module: await instantiate(), engine: null, varsKey: null };
  return instance.module;
}

export async function getEngine(env) {
  const module = await getModule();
  const vars = configVars(env);
  const key = JSON.stringify(vars);
  if (!instance.engine || instance.varsKey !== key) {
    instance.engine?.delete();
    instance.engine = withStrings(module, new module.Engine(key));
    instance.varsKey = key;
  }
  return instance.engine;
}

// After a WebAssembly.RuntimeError the heap may be corrupt: drop everything and start afresh.
export function discardAfterTrap() {
  instance = null;
}
