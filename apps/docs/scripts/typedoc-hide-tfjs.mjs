// TypeDoc plugin: @recurrent/core re-exports tfjs-core as `tf` (and its `Tensor` types) so the
// other packages share one engine. Documenting those re-exports would copy ~1,000 pages of the
// tfjs API into ours, so they are dropped here and the core index links to the tfjs docs instead.
import { Converter, ReflectionKind } from 'typedoc';

const TFJS_REEXPORTS = new Set(['tf', 'Tensor', 'Tensor1D', 'Tensor2D', 'Tensor3D', 'Rank', 'DataType', 'TensorLike', 'Variable', 'NamedTensorMap']);

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    const project = context.project;
    if (project.packageName !== '@recurrent/core' && project.name !== '@recurrent/core') return;
    for (const reflection of project.getReflectionsByKind(ReflectionKind.Namespace | ReflectionKind.Enum | ReflectionKind.TypeAlias | ReflectionKind.Class | ReflectionKind.Interface | ReflectionKind.Reference)) {
      if (reflection.parent === project && TFJS_REEXPORTS.has(reflection.name)) project.removeReflection(reflection);
    }
  });
}
