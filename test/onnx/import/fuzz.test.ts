// Damaged files: flipped bytes, cut-off tails and spliced garbage must give an Error from
// importOnnx (or, when the damage happens to leave a valid model, a model), never a crash or hang.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importOnnx } from '../../../src/onnx/import';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 2 ** 32;
  };
}

describe('importOnnx on damaged files', () => {
  for (const name of ['mlp', 'cnn', 'lstm', 'gru']) {
    it(`${name}: 150 mutations each end in a model or a clear Error`, () => {
      const good = readFileSync(join(__dirname, '../../fixtures', `${name}.onnx`));
      const r = rng(name.length * 977);
      let errors = 0;
      for (let k = 0; k < 150; k++) {
        const bytes = Uint8Array.from(good);
        const mode = k % 3;
        let data: Uint8Array = bytes;
        if (mode === 0) {
          // Flip a few bytes, biased towards the header and graph structure before the weights.
          for (let j = 0; j < 4; j++) bytes[Math.floor(r() * Math.min(bytes.length, 4096))] = Math.floor(r() * 256);
        } else if (mode === 1) {
          data = bytes.subarray(0, Math.floor(r() * bytes.length));
        } else {
          const at = Math.floor(r() * Math.min(bytes.length, 2048));
          for (let j = 0; j < 16; j++) bytes[at + j] = Math.floor(r() * 256);
        }
        try {
          importOnnx(data);
        } catch (e) {
          expect(e).toBeInstanceOf(Error);
          expect((e as Error).message).toMatch(/^ONNX bytes: /);
          errors++;
        }
      }
      expect(errors).toBeGreaterThan(50);
    });
  }
});
