// @recurrent/core/tuning: switches for measurements and tests (A/B runs, the composed route, the
// stock tfjs kernels). Nothing here is needed to use Recurrent; core's README says what each route is.
export {
  setModuleEnabled,
  moduleEnabled,
  moduleVariant,
  setModuleGemmEnabled,
  MIN_GEMM_WORK,
  MIN_THREAD_WORK,
  setMinThreadWork,
} from './module/route';
export type { ModuleVariant } from './module/loader';
export { registerWasmFixes, unregisterWasmFixes, wasmFixesRegistered } from './tfjs-wasm/register';
