// @tensorflow/tfjs on its pure-JS 'cpu' backend: what a Node user gets without the tfjs-node
// native binding. It is single-threaded, so it is measured once and shown under 1T and 2T.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let tfPromise;

export function loadTfjs() {
  tfPromise ??= (async () => {
    // tfjs prints an "install tfjs-node to speed things up" banner on its first tensor write;
    // it would land in the middle of the results table.
    const warn = console.warn;
    const log = console.log;
    console.warn = () => {};
    console.log = () => {};
    try {
      const tf = require('@tensorflow/tfjs');
      await tf.setBackend('cpu');
      await tf.ready();
      tf.tensor1d([0]).dispose(); // the banner fires on the backend's first tensor write
      return tf;
    } finally {
      console.warn = warn;
      console.log = log;
    }
  })();
  return tfPromise;
}

export function tfjsVersion() {
  try {
    return require('@tensorflow/tfjs/package.json').version;
  } catch {
    return null;
  }
}
