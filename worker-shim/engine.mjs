// Loads the C++ engine (wasm) once per isolate and recreates it after a trap, so a corrupted
// heap is never reused. Workers cannot compile wasm from bytes: the module is imported.
import createModule from "../build/wasm/lattice.mjs";
import wasmModule from "../build/wasm/lattice.wasm";

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

// The Engine's JSON goes in and out as UTF-8 in wasm memory (bindings/utf8-boundary.h): each
// method takes (address, size) and answers the address of its result, which utf8Call decodes.
function withStrings(module, engine) {
  const call = module.utf8Call;
  return {
    begin: (envelope) => call((at, size) => engine.begin(at, size), envelope),
    beginObject: (envelope, sqlExec) => call((at, size) => engine.beginObject(at, size, sqlExec), envelope),
    resume: (id, result) => call((at, size) => engine.resume(id, at, size), result),
    cancel: (id) => engine.cancel(id),
    delete: () => engine.delete(),
  };
}

// After a WebAssembly.RuntimeError the heap may be corrupt: drop everything and start afresh.
export function discardAfterTrap() {
  instance = null;
}
