import { argError, describe } from '../errors';
import { noGrad } from '../autograd/tape';
import { shapesEqual } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { Layer } from '../layers/layer';
import { materialize } from '../ops/copy';

/**
 * PyTorch-style base class for custom models and training loops. Subclasses assign layers,
 * sub-modules and parameter tensors to properties and implement `forward`; `parameters()`,
 * `stateDict()` and train/eval mode find them by walking those properties.
 *
 * ```ts
 * class Net extends Module {
 *   fc1 = layers.dense({ units: 64, activation: 'relu', inputShape: [784] });
 *   fc2 = layers.dense({ units: 10 });
 *   forward(x: Tensor) { return this.layer(this.fc2, this.layer(this.fc1, x)); }
 * }
 * ```
 */
export abstract class Module {
  /** Training mode (dropout active, batch norm on batch statistics); see train()/eval(). */
  training = true;

  abstract forward(...inputs: Tensor[]): Tensor;

  /** Runs forward (PyTorch's `module(x)`). */
  apply(...inputs: Tensor[]): Tensor {
    return this.forward(...inputs);
  }

  /** Applies a layer in this module's mode. */
  protected layer(layer: Layer, x: Tensor | Tensor[]): Tensor {
    const apply = layer.apply as (i: Tensor | Tensor[], c: { training: boolean }) => Tensor;
    return apply.call(layer, x, { training: this.training });
  }

  private *children(): Generator<[string, unknown]> {
    for (const [key, value] of Object.entries(this)) {
      if (key === 'training') continue;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) yield [`${key}.${i}`, value[i]];
      } else {
        yield [key, value];
      }
    }
  }

  /** Every weight by dotted path (parameters, layer weights and sub-module weights). */
  namedTensors(prefix = ''): [string, Tensor, boolean][] {
    const out: [string, Tensor, boolean][] = [];
    for (const [key, value] of this.children()) {
      const name = prefix + key;
      if (value instanceof Tensor) {
        if (value.requiresGrad || value.dtype === 'float32') out.push([name, value, value.requiresGrad]);
      } else if (value instanceof Layer) {
        // Layers given an input shape get their weights now, so an optimizer can be made before forward.
        if (!value.built && value.batchInputShape) value.ensureBuilt(value.batchInputShape);
        const trainable = new Set(value.trainableWeights);
        for (const w of value.weightsInfo) out.push([`${name}.${w.name}`, w.value, trainable.has(w.value)]);
      } else if (value instanceof Module) {
        out.push(...value.namedTensors(`${name}.`));
      }
    }
    return out;
  }

  /** Trainable parameters (tensors with requiresGrad, trainable layer weights), for an optimizer. */
  parameters(): Tensor[] {
    return this.namedTensors().filter(([, , trainable]) => trainable).map(([, t]) => t);
  }

  namedParameters(): [string, Tensor][] {
    return this.namedTensors().filter(([, , trainable]) => trainable).map(([n, t]) => [n, t]);
  }

  /** Sets training mode here and in every sub-module. */
  train(mode = true): this {
    this.training = mode;
    for (const [, v] of this.children()) if (v instanceof Module) v.train(mode);
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Clears `.grad` of every parameter. */
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }

  /** Copies of every weight by name (for saving or cloning). */
  stateDict(): Record<string, Tensor> {
    return Object.fromEntries(this.namedTensors().map(([n, t]) => [n, noGrad(() => materialize(t))]));
  }

  /** Overwrites weights in place from a state dict; names and shapes must match. */
  loadStateDict(state: Record<string, Tensor>): void {
    const mine = new Map(this.namedTensors().map(([n, t]) => [n, t]));
    for (const name of mine.keys()) if (!(name in state)) argError('loadStateDict', 'state', `an entry '${name}'`, describe(Object.keys(state)));
    // Validate every entry first so a rejected state leaves the module unchanged.
    for (const [name, value] of Object.entries(state)) {
      const target = mine.get(name);
      if (!target) argError('loadStateDict', 'state', `only names of this module (${[...mine.keys()].join(', ')})`, `'${name}'`);
      if (!(value instanceof Tensor) || !shapesEqual(value.shape, target.shape)) {
        argError('loadStateDict', name, `a tensor of shape [${target.shape.join(',')}]`, describe(value));
      }
    }
    for (const [name, value] of Object.entries(state)) {
      const target = mine.get(name)!;
      const src = value.contiguousCopy();
      target.buffer.set(src.buffer.subarray(src.offset, src.offset + src.size), target.offset);
      target.storage.version++;
    }
  }
}
