// The Engine's JSON goes in and out as UTF-8 in wasm memory (bindings/utf8-boundary.h): each
// method takes (address, size) and answers the address of its result, which utf8Call decodes.
export function withStrings(module, engine) {
  const call = module.utf8Call;
  return {
    begin: (envelope) => call((at, size) => engine.begin(at, size), envelope),
    beginObject: (envelope, sqlExec) => call((at, size) => engine.beginObject(at, size, sqlExec), envelope),
    resume: (id, result) => call((at, size) => engine.resume(id, at, size), result),
    cancel: (id) => engine.cancel(id),
    delete: () => engine.delete(),
  };
}
