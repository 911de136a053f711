// tfjs-core ships its gradient registrations separately from the ops (the union package imports
// them); without this import every `grad` call fails with "gradient function not found".
// The ESM files use extension-less imports, so the build bundles this module (tsup `noExternal`)
// and vitest inlines it. The registrations land in tfjs's global gradient registry, which every
// copy of tfjs-core shares.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
