import { argError, describe } from '../../errors';
import type { LayerConverter } from '../../onnx/export/converter';
import { constF32, node } from '../../onnx/export/ops';
import { add, div, maximum, mul, sub } from '../../ops/binary';
import { cast } from '../../ops/cast';
import { tensor } from '../../ops/creation';
import { sqrt } from '../../ops/unary';
import { reshape } from '../../ops/views';
import { Tensor, type NestedArray } from '../../tensor/tensor';
import type { Initializer } from '../../initializers/initializers';
import { Layer, type LayerArgs, type LayerConfig } from '../layer';
import { type ArgsOf, registerLayer } from '../registry';
import type { ShapeWithBatch } from '../symbolic-tensor';

/** Keras's backend epsilon: the smallest standard deviation divided by. */
const EPSILON = 1e-7;

/** What {@link Normalization.adapt} learns from: tensors, arrays, or batches from a Dataset / async iterable. */
export type AdaptData = Tensor | readonly NestedArray[] | AsyncIterable<unknown>;

/** Streaming per-feature count, mean and sum of squared deviations (Chan et al.'s merge, in float64). */
class Moments {
  count = 0;
  mean: Float64Array;
  m2: Float64Array;
  constructor(size: number) {
    this.mean = new Float64Array(size);
    this.m2 = new Float64Array(size);
  }
  /** Adds a batch given as values[k * size + f] for k rows of `size` features. */
  add(values: ArrayLike<number>, rows: number): void {
    const size = this.mean.length;
    for (let f = 0; f < size; f++) {
      let s = 0;
      for (let k = 0; k < rows; k++) s += values[k * size + f]!;
      const bm = s / rows;
      let q = 0;
      for (let k = 0; k < rows; k++) q += (values[k * size + f]! - bm) ** 2;
      const n = this.count + rows;
      const delta = bm - this.mean[f]!;
      this.mean[f] = this.mean[f]! + (delta * rows) / n;
      this.m2[f] = this.m2[f]! + q + (delta * delta * this.count * rows) / n;
    }
    this.count += rows;
  }
}

function constantInit(values: ArrayLike<number>): Initializer {
  return {
    className: 'Constant',
    apply: (shape) => tensor(Array.from(values), shape.slice()),
    getConfig: () => ({ value: null }),
  };
}

/**
 * Standardizes features with a mean and variance (Keras `Normalization`):
 * `(x - mean) / max(sqrt(variance), 1e-7)`, or the inverse with `invert`. The statistics are given
 * (`mean`, `variance`) or learned by {@link adapt}, per index of the kept `axis` (default -1, the
 * features / channels; `null` for one scalar mean and variance). They are non-trainable weights, so
 * they are saved with the model, and the layer exports to ONNX.
 *
 * @example
 * const norm = tf.layers.normalization();
 * norm.adapt(xTrain); // per-feature mean and variance
 * const model = tf.sequential([tf.layers.inputLayer({ inputShape: [8] }), norm, tf.layers.dense({ units: 1 })]);
 */
export class Normalization extends Layer {
  readonly className = 'Normalization';
  readonly axis: number[];
  readonly invert: boolean;
  private readonly givenMean: number[] | null;
  private readonly givenVariance: number[] | null;
  /** Per kept-axis statistics, shape of the kept dimensions ([] for a scalar). */
  mean: Tensor | null = null;
  variance: Tensor | null = null;
  private keptShape: number[] = [];

  constructor(args: LayerArgs & { axis?: number | number[] | null; mean?: number | readonly number[] | NestedArray; variance?: number | readonly number[] | NestedArray; invert?: boolean } = {}) {
    super(args, 'normalization');
    const axis = args.axis === undefined ? [-1] : args.axis === null ? [] : typeof args.axis === 'number' ? [args.axis] : args.axis;
    if (!Array.isArray(axis) || !axis.every((a) => Number.isInteger(a))) argError(this.name, 'axis', 'an integer, a list of integers or null', describe(args.axis));
    this.axis = axis.slice();
    this.invert = args.invert ?? false;
    const flat = (key: 'mean' | 'variance'): number[] | null => {
      const v = args[key];
      if (v === undefined || v === null) return null;
      // Keras configs may hold the statistics in a broadcastable shape ([[m0, m1, m2]]).
      const list: unknown[] | null = typeof v === 'number' ? [v] : Array.isArray(v) ? (v as unknown[]).flat(Infinity) : null;
      if (!list || !list.every((n) => typeof n === 'number' && Number.isFinite(n))) return argError(this.name, key, 'a number or an array of numbers', describe(v));
      return list as number[];
    };
    this.givenMean = flat('mean');
    this.givenVariance = flat('variance');
    if ((this.givenMean === null) !== (this.givenVariance === null)) {
      argError(this.name, this.givenMean ? 'variance' : 'mean', 'to be given together with the other statistic', 'only one of mean and variance');
    }
  }

  /** @internal whether the statistics came from the options (Keras then saves no weights for them) */
  get statisticsGiven(): boolean {
    return this.givenMean !== null;
  }

  /** The kept axes as non-negative indices for an input of `rank`. */
  private keptAxes(rank: number): number[] {
    const axes = this.axis.map((a) => (a < 0 ? a + rank : a));
    if (axes.some((a) => a < 1 || a >= rank)) argError(this.name, 'axis', `axes in [1, ${rank - 1}] (not the batch axis) for rank-${rank} inputs`, describe(this.axis));
    return [...new Set(axes)].sort((a, b) => a - b);
  }

  override build(inputShape: ShapeWithBatch): void {
    const kept = this.keptAxes(inputShape.length);
    const dims = kept.map((a) => inputShape[a]);
    if (dims.some((d) => d === null || d === undefined)) argError(this.name, 'inputShape', `known sizes on the normalized axes ${describe(this.axis)}`, `[${inputShape.join(',')}]`);
    this.keptShape = dims as number[];
    const size = this.keptShape.reduce((a, b) => a * b, 1);
    const fill = (given: number[] | null, dflt: number, key: string): number[] => {
      if (!given) return new Array<number>(size).fill(dflt);
      if (given.length === 1) return new Array<number>(size).fill(given[0]!);
      if (given.length !== size) argError(this.name, key, `1 or ${size} values (the normalized axes' sizes [${this.keptShape.join(',')}])`, `${given.length} values`);
      return given;
    };
    this.mean = this.addWeight('mean', this.keptShape, constantInit(fill(this.givenMean, 0, 'mean')), { trainable: false });
    this.variance = this.addWeight('variance', this.keptShape, constantInit(fill(this.givenVariance, 1, 'variance')), { trainable: false });
    this.built = true;
  }

  /** @internal [1, d or 1, ...]: where the statistics broadcast against an input of `rank`. */
  broadcastShape(rank: number): number[] {
    const kept = this.keptAxes(rank);
    const shape = new Array<number>(rank).fill(1);
    kept.forEach((a, i) => (shape[a] = this.keptShape[i]!));
    return shape;
  }

  call(xIn: Tensor): Tensor {
    const x = xIn.dtype === 'float32' ? xIn : cast(xIn, 'float32');
    const shape = this.broadcastShape(x.rank);
    const m = reshape(this.mean!, shape);
    const sd = maximum(sqrt(reshape(this.variance!, shape)), EPSILON);
    return this.invert ? add(mul(x, sd), m) : div(sub(x, m), sd);
  }

  /**
   * Learns the mean and variance of `data` per index of the kept axes (Keras `adapt`), replacing
   * earlier statistics. `data` is a Tensor or nested arrays of samples, or a Dataset / async iterable
   * of batches (Tensors, or `{ x }` elements whose `x` is used); a dataset is read in one streaming
   * pass, so it may be larger than memory. Returns a Promise for async data.
   */
  adapt(data: Tensor | readonly NestedArray[]): void;
  adapt(data: AsyncIterable<unknown>): Promise<void>;
  adapt(data: AdaptData): void | Promise<void> {
    const fn = `${this.name}.adapt`;
    if (data instanceof Tensor) return this.finish(this.accumulate(fn, null, data));
    if (Array.isArray(data)) return this.finish(this.accumulate(fn, null, tensor(data as NestedArray[])));
    if (data && typeof data === 'object' && Symbol.asyncIterator in data) {
      return (async () => {
        let moments: Moments | null = null;
        for await (const element of data as AsyncIterable<unknown>) {
          const t = element instanceof Tensor ? element : (element as { x?: unknown } | null)?.x;
          if (!(t instanceof Tensor)) argError(fn, 'data', 'batches that are Tensors or { x: Tensor } elements', describe(element));
          moments = this.accumulate(fn, moments, t);
        }
        if (!moments) argError(fn, 'data', 'at least one batch', 'an empty dataset');
        this.finish(moments);
      })();
    }
    return argError(fn, 'data', 'a Tensor, nested arrays, or a Dataset / async iterable of batches', describe(data));
  }

  private accumulate(fn: string, moments: Moments | null, batch: Tensor): Moments {
    if (batch.rank < 1 || batch.shape[0] === 0) argError(fn, 'data', 'a non-empty batch of samples', describe(batch));
    this.ensureBuilt([null, ...batch.shape.slice(1)]);
    const kept = this.keptAxes(batch.rank);
    if (kept.some((a, i) => batch.shape[a] !== this.keptShape[i])) {
      argError(fn, 'data', `sizes [${this.keptShape.join(',')}] on the normalized axes`, describe(batch));
    }
    // Move the kept axes last, so each row of the flattened view is one sample of every feature.
    const others = batch.shape.map((_, i) => i).filter((i) => !kept.includes(i));
    const size = this.keptShape.reduce((a, b) => a * b, 1);
    const moved = batch.permute([...others, ...kept]).dataSync();
    const m = moments ?? new Moments(size);
    m.add(moved, batch.size / size);
    return m;
  }

  private finish(m: Moments): void {
    const variance = Array.from(m.m2, (q) => q / m.count);
    this.setWeights([tensor(Array.from(m.mean), this.keptShape), tensor(variance, this.keptShape)]);
  }

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), axis: this.axis, invert: this.invert, mean: this.givenMean, variance: this.givenVariance };
  }
}

export const convertNormalization: LayerConverter = (args, ctx) => {
  const layer = args.layer as Normalization;
  const rank = args.inputShapes[0]!.length;
  const shape = layer.broadcastShape(rank);
  const mean = Array.from(layer.mean!.dataSync());
  const sd = Array.from(layer.variance!.dataSync(), (v) => Math.max(Math.sqrt(v), EPSILON));
  const m = constF32(ctx, mean, shape, 'mean');
  const s = constF32(ctx, sd, shape, 'stddev');
  const x = args.inputs[0]!;
  return [layer.invert ? node(ctx, 'Add', [node(ctx, 'Mul', [x, s]), m]) : node(ctx, 'Div', [node(ctx, 'Sub', [x, m]), s])];
};

export const normalizationFactories = {
  normalization: (args: ArgsOf<typeof Normalization> = {}) => new Normalization(args),
};

registerLayer('Normalization', Normalization, {
  onnx: convertNormalization,
  // Keras 2 also keeps the adapted sample count; with mean and variance in the config it saves no weights.
  keras: { ignoredWeights: ['count'], weightsOptional: (layer) => (layer as Normalization).statisticsGiven },
});
