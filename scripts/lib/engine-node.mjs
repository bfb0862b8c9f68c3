// Loads the tooling module (build/wasm/lattice-tools: seed SQL, the renderer) in Node: the same
// core code and flags as the Worker's wasm, with tooling bindings (bindings/tools-bindings.cpp).
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));

export async function loadEngineModule() {
  const { default: createModule } = await import(`${root}build/wasm/lattice-tools.mjs`);
  const wasmModule = await WebAssembly.compile(await readFile(`${root}build/wasm/lattice-tools.wasm`));
  return createModule({
    locateFile: (p) => p,
    instantiateWasm(imports, done) {
      const instance = new WebAssembly.Instance(wasmModule, imports);
      done(instance, wasmModule);
      return instance.exports;
    },
  });
}
