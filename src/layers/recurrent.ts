// The base of the recurrent layers (SimpleRNN, LSTM, GRU; each in its own file, the wrappers in
// wrappers.ts): options, weights, masks, initial states, going backwards and output selection.
// With the default activations (tanh, sigmoid) LSTM and GRU run as one fused sequence op each: one
// big GEMM for the input projections of every step, then per step one GEMM for the recurrent
// projection of all gates and one fused native cell pass (and the same in backward). Other
// activations, GRU with resetAfter = false and SimpleRNN fall back to composed ops per step.
import { argError, describe } from '../errors';
import { Tensor } from '../tensor/tensor';
import { type ActivationName, resolveActivation } from '../activations/activations';
import { type Initializer, type InitializerIdentifier, getInitializer, serializeInitializer } from '../initializers/initializers';
import { type RecurrentInitializerId, resolveRecurrentInitializer } from '../initializers/orthogonal';
import { type RegularizerIdentifier, getRegularizer } from '../regularizers/regularizers';
import { add, mul, sub } from '../ops/binary';
import { zeros } from '../ops/creation';
import { gather } from '../ops/movement';
import { reshape, slice } from '../ops/views';
import { type CallContext, Layer, type LayerArgs, type LayerConfig, isShapeList } from './layer';
import type { ShapeWithBatch, SymbolicTensor } from './symbolic-tensor';
import { checkBytes } from '../tensor/budget';

declare module './layer' {
  interface CallContext {
    // `mask` ([batch, time], 0 at padded steps: the state and output are carried over) is declared
    // on CallContext itself, since models propagate it to every layer.
    /** Recurrent layers: initial states ([h] or [h, c] for LSTM), instead of zeros. */
    initialState?: Tensor[] | null;
  }
}

export interface RNNArgs extends LayerArgs {
  units: number;
  /** Default 'tanh'. */
  activation?: ActivationName | null;
  useBias?: boolean;
  kernelInitializer?: RecurrentInitializerId;
  /** Default 'orthogonal'. */
  recurrentInitializer?: RecurrentInitializerId;
  biasInitializer?: InitializerIdentifier;
  kernelRegularizer?: RegularizerIdentifier | null;
  recurrentRegularizer?: RegularizerIdentifier | null;
  biasRegularizer?: RegularizerIdentifier | null;
  /** Output every step ([batch, time, units]) instead of the last ([batch, units]). */
  returnSequences?: boolean;
  /** Also return the final states: [output, h] (or [output, h, c] for LSTM). */
  returnState?: boolean;
  /** Process the sequence in reverse (outputs are in processing order, as Keras). */
  goBackwards?: boolean;
}

export interface GatedRNNArgs extends RNNArgs {
  /** Default 'sigmoid'. */
  recurrentActivation?: ActivationName | null;
}

/** An activation as the recurrent layers hold it. */
export type Act = ReturnType<typeof resolveActivation>;

/** The [batch, 1] column of a [batch, time] mask at step t. */
export function maskColumn(mask: Tensor, t: number): Tensor {
  return slice(mask, [0, t], [mask.shape[0]!, 1]);
}

/** Keeps the previous value at masked steps: m * next + (1 - m) * prev. */
export function blend(next: Tensor, prev: Tensor, m: Tensor | null): Tensor {
  return m ? add(mul(next, m), mul(prev, sub(1, m))) : next;
}

/** x [batch, time, ...] with the time axis reversed. */
export function reverseTime(x: Tensor): Tensor {
  const T = x.shape[1]!;
  return gather(x, Array.from({ length: T }, (_, i) => T - 1 - i), 1);
}

function reverseMask(mask: Tensor): Tensor {
  const c = mask.contiguousCopy();
  const [B, T] = [mask.shape[0]!, mask.shape[1]!];
  const out = Tensor.empty([B, T], 'float32');
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) out.buffer[b * T + t] = c.buffer[c.offset + b * T + T - 1 - t]!;
  return out;
}

/** Step t of [batch, time, f] as [batch, f]. */
export function stepOf(x: Tensor, t: number): Tensor {
  const [B, , F] = x.shape;
  return reshape(slice(x, [0, t, 0], [B!, 1, F!]), [B!, F!]);
}

/**
 * A layer whose call context may carry a mask and initial states. The base `apply` builds a fresh
 * context of its own, so these keep what the caller passed for the duration of the call.
 */
export abstract class ContextLayer extends Layer {
  private pending: { mask: Tensor | null; initialState: Tensor[] | null } | null = null;

  /** The mask and initial states of the call in progress (from ctx, or from apply's ctx). */
  protected extras(ctx: CallContext): { mask: Tensor | null; initialState: Tensor[] | null } {
    return { mask: ctx.mask ?? this.pending?.mask ?? null, initialState: ctx.initialState ?? this.pending?.initialState ?? null };
  }

  override apply(inputs: SymbolicTensor, ctx?: Partial<CallContext>): SymbolicTensor;
  override apply(inputs: SymbolicTensor[], ctx?: Partial<CallContext>): SymbolicTensor | SymbolicTensor[];
  override apply(inputs: Tensor, ctx?: Partial<CallContext>): Tensor;
  override apply(inputs: Tensor[], ctx?: Partial<CallContext>): Tensor | Tensor[];
  override apply(
    inputs: SymbolicTensor | SymbolicTensor[] | Tensor | Tensor[],
    ctx: Partial<CallContext> = {},
  ): SymbolicTensor | SymbolicTensor[] | Tensor | Tensor[] {
    const prev = this.pending;
    this.pending = { mask: ctx.mask ?? null, initialState: ctx.initialState ?? null };
    try {
      return super.apply(inputs as Tensor[], ctx);
    } finally {
      this.pending = prev;
    }
  }

}

/** Base of SimpleRNN, LSTM and GRU: weights, options, masking, states and output selection. */
export abstract class RecurrentLayer extends ContextLayer {
  readonly units: number;
  readonly activation: Act;
  readonly useBias: boolean;
  readonly returnSequences: boolean;
  readonly returnState: boolean;
  readonly goBackwards: boolean;
  protected readonly kernelInit: Initializer;
  protected readonly recurrentInit: Initializer;
  protected readonly biasInit: Initializer;
  protected readonly kernelReg;
  protected readonly recurrentReg;
  protected readonly biasReg;
  kernel: Tensor | null = null;
  recurrentKernel: Tensor | null = null;
  bias: Tensor | null = null;
  /** Gates per unit: 1 (SimpleRNN), 3 (GRU), 4 (LSTM). */
  protected abstract readonly gateCount: number;
  /** Number of state tensors: 1, or 2 for LSTM. */
  abstract readonly stateCount: number;

  constructor(args: RNNArgs, fn: string) {
    super(args, fn);
    if (!args || !Number.isInteger(args.units) || args.units < 1) argError(fn, 'units', 'a positive integer', describe(args?.units));
    this.units = args.units;
    this.activation = resolveActivation(fn, args.activation === undefined ? 'tanh' : args.activation);
    this.useBias = args.useBias ?? true;
    this.returnSequences = args.returnSequences ?? false;
    this.returnState = args.returnState ?? false;
    this.goBackwards = args.goBackwards ?? false;
    this.kernelInit = resolveRecurrentInitializer(fn, 'kernelInitializer', args.kernelInitializer ?? 'glorotUniform');
    this.recurrentInit = resolveRecurrentInitializer(fn, 'recurrentInitializer', args.recurrentInitializer ?? 'orthogonal');
    this.biasInit = getInitializer(fn, 'biasInitializer', args.biasInitializer ?? 'zeros');
    this.kernelReg = getRegularizer(fn, 'kernelRegularizer', args.kernelRegularizer);
    this.recurrentReg = getRegularizer(fn, 'recurrentRegularizer', args.recurrentRegularizer);
    this.biasReg = getRegularizer(fn, 'biasRegularizer', args.biasRegularizer);
  }

  protected biasShape(): number[] {
    return [this.gateCount * this.units];
  }

  override build(inputShape: ShapeWithBatch | ShapeWithBatch[]): void {
    const shape = isShapeList(inputShape) ? inputShape[0]! : inputShape;
    const f = shape[shape.length - 1];
    if (shape.length !== 3 || typeof f !== 'number') {
      argError(this.name, 'inputShape', '[batch, time, features] with known features', `[${shape.join(',')}]`);
    }
    const G = this.gateCount * this.units;
    // All three sizes checked before the first is initialized: a saved `units: 1e7` fails here, not
    // after filling a 1.6 GB kernel.
    checkBytes(this.name, 'the weights', (f * G + this.units * G + G) * 4);
    this.kernel = this.addWeight('kernel', [f, G], this.kernelInit, { regularizer: this.kernelReg });
    this.recurrentKernel = this.addWeight('recurrent_kernel', [this.units, G], this.recurrentInit, { regularizer: this.recurrentReg });
    if (this.useBias) this.bias = this.addWeight('bias', this.biasShape(), this.biasInit, { regularizer: this.biasReg });
  }

  override computeOutputShape(inputShape: ShapeWithBatch | ShapeWithBatch[]): ShapeWithBatch | ShapeWithBatch[] {
    const shape = isShapeList(inputShape) ? inputShape[0]! : inputShape;
    const out: ShapeWithBatch = this.returnSequences ? [shape[0]!, shape[1]!, this.units] : [shape[0]!, this.units];
    if (!this.returnState) return out;
    return [out, ...Array.from({ length: this.stateCount }, (): ShapeWithBatch => [shape[0]!, this.units])];
  }

  call(inputs: Tensor | Tensor[], ctx: CallContext): Tensor | Tensor[] {
    const list = Array.isArray(inputs) ? inputs : [inputs];
    let x = list[0]!;
    const inDim = this.kernel!.shape[0]!;
    if (x.rank !== 3 || x.shape[2] !== inDim) {
      argError(this.name, 'inputs', `a tensor [batch, time, ${inDim}]`, `shape [${x.shape.join(',')}]`);
    }
    const [B, T] = [x.shape[0]!, x.shape[1]!];
    if (T < 1) argError(this.name, 'inputs', 'at least one time step', `shape [${x.shape.join(',')}]`);
    const extra = this.extras(ctx);
    let states = list.length > 1 ? list.slice(1) : extra.initialState;
    if (states && states.length !== this.stateCount) {
      argError(this.name, 'initial state', `${this.stateCount} tensor(s) [batch, ${this.units}]`, `${states.length} tensors`);
    }
    states ??= Array.from({ length: this.stateCount }, () => zeros([B, this.units]));
    states.forEach((s, i) => {
      if (s.rank !== 2 || s.shape[0] !== B || s.shape[1] !== this.units) {
        argError(this.name, `initial state ${i}`, `shape [${B},${this.units}]`, `shape [${s.shape.join(',')}]`);
      }
    });
    let mask = extra.mask;
    if (mask && (mask.rank !== 2 || mask.shape[0] !== B || mask.shape[1] !== T)) {
      argError(this.name, 'mask', `shape [${B},${T}]`, `shape [${mask.shape.join(',')}]`);
    }
    if (mask && mask.dtype !== 'float32') mask = castMask(mask);
    if (this.goBackwards) {
      x = reverseTime(x);
      if (mask) mask = reverseMask(mask);
    }
    const { seq, finals } = this.run(x, states, mask);
    const out = this.returnSequences ? seq() : finals[0]!;
    return this.returnState ? [out, ...finals] : out;
  }

  /** Runs the recurrence over x [batch, time, features]: the output sequence (lazily) and final states. */
  protected abstract run(x: Tensor, states: Tensor[], mask: Tensor | null): { seq: () => Tensor; finals: Tensor[] };

  override getConfig(): LayerConfig {
    const reg = (r: ReturnType<typeof getRegularizer>) => (r ? { className: 'L1L2', config: r.getConfig() } : null);
    return {
      ...super.getConfig(),
      units: this.units,
      activation: this.activation.name,
      useBias: this.useBias,
      kernelInitializer: serializeInitializer(this.kernelInit),
      recurrentInitializer: serializeInitializer(this.recurrentInit),
      biasInitializer: serializeInitializer(this.biasInit),
      kernelRegularizer: reg(this.kernelReg),
      recurrentRegularizer: reg(this.recurrentReg),
      biasRegularizer: reg(this.biasReg),
      returnSequences: this.returnSequences,
      returnState: this.returnState,
      goBackwards: this.goBackwards,
    };
  }
}

function castMask(mask: Tensor): Tensor {
  const c = mask.contiguousCopy();
  const out = Tensor.empty(mask.shape.slice(), 'float32');
  for (let i = 0; i < mask.size; i++) out.buffer[i] = c.buffer[c.offset + i]!;
  return out;
}
