// tfjs-core ships its gradient registrations separately from the ops (the union package imports
// them); without them every `grad` call fails with "gradient function not found". This module is
// what `#tfjs-gradients` (package.json `imports`) means on source (vitest inlines the ESM files)
// and, bundled by tsup into dist/tfjs-gradients.node.js, in Node, which cannot load tfjs-core's
// ESM files (extension-less imports in a package that is not `type: module`). Bundlers take
// tfjs-core's own file instead, so a browser bundle has one copy of tfjs-core. The registrations
// land in tfjs's global gradient registry, which every copy of tfjs-core shares.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
