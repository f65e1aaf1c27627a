import { argError, describe } from '../errors';
import { normalizeAxis } from '../tensor/shape';
import type { Tensor } from '../tensor/tensor';
import { add, div, maximum, minimum, mul, sub } from '../ops/binary';
import { concat } from '../ops/movement';
import { type CallContext, Layer, type LayerArgs, type LayerConfig, isShapeList } from './layer';
import { type ShapeWithBatch, formatShape } from './symbolic-tensor';
import { type ArgsOf, registerLayer } from './registry';

/** Shape text for error messages: `[null,3]`. */
const fmt = (s: ShapeWithBatch | readonly number[]): string => formatShape(s.slice());

/**
 * Element-wise output shape of two input shapes (Keras merge rules): equal ranks, and on every
 * axis the sizes are equal, one of them is 1 (broadcast), or one is unknown (null).
 * Ranks must match because a lower-rank input would broadcast against the wrong axes here: the
 * batch axis always comes first.
 */
function mergeShapes(layer: string, a: ShapeWithBatch, b: ShapeWithBatch, index: number): ShapeWithBatch {
  if (a.length !== b.length) {
    argError(layer, `inputs[${index}]`, `rank ${a.length} like inputs[0] (shape ${fmt(a)})`, `shape ${fmt(b)}`);
  }
  return a.map((da, i) => {
    const db = b[i]!;
    if (da === null || db === null) {
      // An unknown size only merges with an unknown size, 1, or whatever the other turns out to be.
      if (da === 1) return db;
      if (db === 1) return da;
      return da ?? db;
    }
    if (da === db || db === 1) return da;
    if (da === 1) return db;
    return argError(layer, `inputs[${index}]`, `a shape compatible with ${fmt(a)} (equal sizes, or 1, on each axis)`, `shape ${fmt(b)} (axis ${i}: ${db} vs ${da})`);
  });
}

/**
 * Base of the element-wise merge layers (add, multiply, ...): applied to a list of at least two
 * inputs of compatible shapes, it combines them pairwise left to right.
 */
export abstract class Merge extends Layer {
  /** Largest number of inputs the layer takes (subtract takes exactly two). */
  protected readonly maxInputs: number = Infinity;

  constructor(args: LayerArgs = {}, defaultName?: string) {
    super(args ?? {}, defaultName);
  }

  /** Combines two inputs; the layer folds this over the list. */
  protected abstract merge(a: Tensor, b: Tensor): Tensor;

  /** Hook for layers that post-process the folded result (average divides by the count). */
  protected finish(acc: Tensor, _count: number): Tensor {
    return acc;
  }

  /** Throws unless `shapes` is a list of 2..maxInputs shapes; returns it typed. */
  protected checkList(shapes: ShapeWithBatch | ShapeWithBatch[]): ShapeWithBatch[] {
    const expected = this.maxInputs === Infinity ? 'a list of at least 2 inputs' : `a list of exactly ${this.maxInputs} inputs`;
    if (!isShapeList(shapes)) argError(this.name, 'inputs', expected, `one input of shape ${fmt(shapes)}`);
    if (shapes.length < 2 || shapes.length > this.maxInputs) argError(this.name, 'inputs', expected, `${shapes.length} input(s)`);
    return shapes;
  }

  override build(inputShape: ShapeWithBatch | ShapeWithBatch[]): void {
    // Validate at graph-building time so a bad residual connection fails where it is written.
    this.computeOutputShape(inputShape);
  }

  override computeOutputShape(inputShape: ShapeWithBatch | ShapeWithBatch[]): ShapeWithBatch {
    const shapes = this.checkList(inputShape);
    return shapes.slice(1).reduce<ShapeWithBatch>((acc, s, i) => mergeShapes(this.name, acc, s, i + 1), shapes[0]!);
  }

  call(inputs: Tensor | Tensor[], _ctx: CallContext): Tensor {
    const list = Array.isArray(inputs) ? inputs : [inputs];
    // Same checks as at build time, on the concrete shapes (the batch size is now known too).
    this.computeOutputShape(list.map((t) => t.shape.slice()));
    let acc = list[0]!;
    for (let i = 1; i < list.length; i++) acc = this.merge(acc, list[i]!);
    return this.finish(acc, list.length);
  }
}

/** Sums its inputs element-wise (Keras `Add`); the building block of residual connections. */
export class Add extends Merge {
  readonly className = 'Add';
  constructor(args: LayerArgs = {}) {
    super(args, 'add');
  }
  protected merge(a: Tensor, b: Tensor): Tensor {
    return add(a, b);
  }
}

/** `inputs[0] - inputs[1]` element-wise (Keras `Subtract`; exactly two inputs). */
export class Subtract extends Merge {
  readonly className = 'Subtract';
  protected override readonly maxInputs = 2;
  constructor(args: LayerArgs = {}) {
    super(args, 'subtract');
  }
  protected merge(a: Tensor, b: Tensor): Tensor {
    return sub(a, b);
  }
}

/** Multiplies its inputs element-wise (Keras `Multiply`), e.g. for gating. */
export class Multiply extends Merge {
  readonly className = 'Multiply';
  constructor(args: LayerArgs = {}) {
    super(args, 'multiply');
  }
  protected merge(a: Tensor, b: Tensor): Tensor {
    return mul(a, b);
  }
}

/** Element-wise mean of its inputs (Keras `Average`). */
export class Average extends Merge {
  readonly className = 'Average';
  constructor(args: LayerArgs = {}) {
    super(args, 'average');
  }
  protected merge(a: Tensor, b: Tensor): Tensor {
    return add(a, b);
  }
  protected override finish(acc: Tensor, count: number): Tensor {
    return div(acc, count);
  }
}

/** Element-wise maximum of its inputs (Keras `Maximum`). */
export class Maximum extends Merge {
  readonly className = 'Maximum';
  constructor(args: LayerArgs = {}) {
    super(args, 'maximum');
  }
  protected merge(a: Tensor, b: Tensor): Tensor {
    return maximum(a, b);
  }
}

/** Element-wise minimum of its inputs (Keras `Minimum`). */
export class Minimum extends Merge {
  readonly className = 'Minimum';
  constructor(args: LayerArgs = {}) {
    super(args, 'minimum');
  }
  protected merge(a: Tensor, b: Tensor): Tensor {
    return minimum(a, b);
  }
}

/** Options of {@link Concatenate}. */
export interface ConcatenateArgs extends LayerArgs {
  /** Axis to join along, counting the batch axis as 0; negative counts from the end. Default -1. */
  axis?: number;
}

/**
 * Joins its inputs along `axis` (Keras `Concatenate`). Every other axis must have the same size
 * (or be unknown); the output size on `axis` is the sum, unknown if any input's is.
 */
export class Concatenate extends Layer {
  readonly className = 'Concatenate';
  readonly axis: number;

  constructor(args: ConcatenateArgs = {}) {
    super(args ?? {}, 'concatenate');
    const axis = args?.axis ?? -1;
    if (typeof axis !== 'number' || !Number.isInteger(axis)) argError('concatenate', 'axis', 'an integer', describe(axis));
    this.axis = axis;
  }

  /** The non-negative axis for inputs of this rank; the batch axis cannot be joined. */
  private resolveAxis(rank: number): number {
    const ax = normalizeAxis(this.name, this.axis, rank);
    // Joining along the batch axis would change the sample count, which the model cannot track.
    if (ax === 0) argError(this.name, 'axis', 'a non-batch axis (not 0)', describe(this.axis));
    return ax;
  }

  override build(inputShape: ShapeWithBatch | ShapeWithBatch[]): void {
    this.computeOutputShape(inputShape);
  }

  override computeOutputShape(inputShape: ShapeWithBatch | ShapeWithBatch[]): ShapeWithBatch {
    if (!isShapeList(inputShape)) argError(this.name, 'inputs', 'a list of at least 2 inputs', `one input of shape ${fmt(inputShape)}`);
    if (inputShape.length < 2) argError(this.name, 'inputs', 'a list of at least 2 inputs', `${inputShape.length} input(s)`);
    const first = inputShape[0]!;
    const ax = this.resolveAxis(first.length);
    const out = first.slice();
    inputShape.forEach((s, i) => {
      if (i === 0) return;
      const ok = s.length === first.length && s.every((d, k) => k === ax || d === null || out[k] === null || d === out[k]);
      if (!ok) {
        argError(this.name, `inputs[${i}]`, `a shape matching ${fmt(first)} except on axis ${ax}`, `shape ${fmt(s)}`);
      }
      s.forEach((d, k) => {
        if (k !== ax && out[k] === null) out[k] = d;
      });
      out[ax] = out[ax] === null || s[ax] === null ? null : out[ax]! + s[ax]!;
    });
    return out;
  }

  call(inputs: Tensor | Tensor[], _ctx: CallContext): Tensor {
    const list = Array.isArray(inputs) ? inputs : [inputs];
    this.computeOutputShape(list.map((t) => t.shape.slice()));
    return concat(list, this.resolveAxis(list[0]!.rank));
  }

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), axis: this.axis };
  }
}

/** Factories under their tfjs-layers names. */
export const mergeFactories = {
  add: (args: ArgsOf<typeof Add> = {}) => new Add(args),
  subtract: (args: ArgsOf<typeof Subtract> = {}) => new Subtract(args),
  multiply: (args: ArgsOf<typeof Multiply> = {}) => new Multiply(args),
  average: (args: ArgsOf<typeof Average> = {}) => new Average(args),
  maximum: (args: ArgsOf<typeof Maximum> = {}) => new Maximum(args),
  minimum: (args: ArgsOf<typeof Minimum> = {}) => new Minimum(args),
  concatenate: (args: ConcatenateArgs = {}) => new Concatenate(args),
};

registerLayer('Add', Add);
registerLayer('Subtract', Subtract);
registerLayer('Multiply', Multiply);
registerLayer('Average', Average);
registerLayer('Maximum', Maximum);
registerLayer('Minimum', Minimum);
registerLayer('Concatenate', Concatenate);
