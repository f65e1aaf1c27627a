// Former home of the addon's interface, now src/backend/binding.ts. Kept only so that
// src/optimizers/fused-update.ts (another work stream) keeps compiling until it imports ./binding;
// delete this file then.
export { type NativeAddon, nativeAddon, nativeLoadError, resolveAddonPath } from './binding';
