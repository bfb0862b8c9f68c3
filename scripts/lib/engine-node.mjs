// Loads the wasm engine in Node for tooling (seed, token, benchmarks): same build the Worker runs.
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));

export async function loadEngineModule() {
  const { default: createModule } = await import(`${root}build/wasm/lattice.mjs`);
  const wasmModule = await WebAssembly.compile(await readFile(`${root}build/wasm/lattice.wasm`));
  return createModule({
    locateFile: (p) => p,
    instantiateWasm(imports, done) {
      const instance = new WebAssembly.Instance(wasmModule, imports);
      done(instance, wasmModule);
      return instance.exports;
    },
  });
}
