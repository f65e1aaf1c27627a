// Randomness in fit() that a checkpoint can reproduce: shuffling and training-time layers (dropout,
// augmentation, noise) draw from generators derived from the model's training seed and the
// optimizer's step count, both of which model.save stores. A run resumed with loadModel +
// fit({ initialEpoch }) therefore sees the same batches and masks as one never interrupted, and
// repeated fit() calls still shuffle differently (the step count moves on).
import { Generator, globalGenerator } from '../random/generator';
import type { LayersModel } from './layers-model';

const SHUFFLE = 0x5eed5eed;
const STEP = 0x7a11c0de;

/** The model's training seed, drawn from the global generator (manualSeed) on first use. */
export function trainingSeed(model: LayersModel): number {
  model.trainingSeed ??= globalGenerator().nextUint32();
  return model.trainingSeed;
}

function mix(seed: number, salt: number, step: number): number {
  let h = Math.imul((seed ^ salt) >>> 0, 0x85ebca6b) >>> 0;
  h = (h ^ Math.imul((step + 1) >>> 0, 0xc2b2ae35)) >>> 0;
  return Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
}

/** The generator of the epoch that starts at optimizer step `step`, for its shuffle. */
export function shuffleGenerator(model: LayersModel, step: number): Generator {
  return new Generator(mix(trainingSeed(model), SHUFFLE, step));
}

/** The generator a training step at optimizer step `step` runs its layers with. */
export function stepGenerator(model: LayersModel, step: number): Generator {
  return new Generator(mix(trainingSeed(model), STEP, step));
}
