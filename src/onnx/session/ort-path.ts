// onnxruntime-node is an optional peer dependency: it is 290 MB and its install script downloads
// from outside the npm registry, so the library installs without it and only the features that
// run onnxruntime ask for it, when they are used.
import { createRequire } from 'node:module';

// Resolved from this file so workers load the copy next to the package, whatever their working
// directory; the user's project folder is the fallback for linked or nested installs.
const localRequire = createRequire(__filename);

/** How to add onnxruntime-node, for the errors of every feature that needs it. */
export const ORT_INSTALL_HINT =
  "install it with 'npm install onnxruntime-node' (where only the npm registry is reachable, add " +
  "'--onnxruntime-node-install=skip': its install script otherwise downloads GPU providers from elsewhere)";

/**
 * The path of onnxruntime-node's entry, or an Error naming `fn` and how to install the package.
 */
export function resolveOrtPath(fn: string): string {
  for (const resolve of [localRequire.resolve, createRequire(`${process.cwd()}/`).resolve]) {
    try {
      return resolve('onnxruntime-node');
    } catch {
      // try the next place
    }
  }
  throw new Error(`${fn} runs onnxruntime, and the optional package 'onnxruntime-node' is not installed: ${ORT_INSTALL_HINT}`);
}

/** Whether onnxruntime-node can be loaded (for skipping features, never for guessing at errors). */
export function ortAvailable(): boolean {
  try {
    resolveOrtPath('ortAvailable');
    return true;
  } catch {
    return false;
  }
}
