import * as tf from '../../src';

export type SimdLevel = 'scalar' | 'avx2' | 'avx512';

/**
 * The SIMD levels this machine runs, lowest first, and the one the backend started at (for a test
 * to restore with `tf.setSimdLevel(hardware)` when it is done).
 */
export function simdLevels(): { hardware: SimdLevel; levels: readonly SimdLevel[] } {
  const all = ['scalar', 'avx2', 'avx512'] as const;
  const hardware = tf.backendInfo().simd as SimdLevel;
  return { hardware, levels: all.slice(0, all.indexOf(hardware) + 1) };
}
