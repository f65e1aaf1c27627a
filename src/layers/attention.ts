import { argError, describe } from '../errors';
import { Tensor } from '../tensor/tensor';
import { globalGenerator, Generator } from '../random/generator';
import { scaledDotProductAttention } from '../ops/attention';
import { mul } from '../ops/binary';
import { linear } from '../ops/linear';
import { matmul } from '../ops/matmul';
import { softmax } from '../ops/softmax';
import { reshape, transpose } from '../ops/views';
import { where } from '../ops/where';
import { type InitializerIdentifier, getInitializer, serializeInitializer } from '../initializers/initializers';
import { type RegularizerIdentifier, getRegularizer } from '../regularizers/regularizers';
import { type CallContext, Layer, type LayerArgs, type LayerConfig, isShapeList } from './layer';
import { type ShapeWithBatch, formatShape } from './symbolic-tensor';
import { registerLayer } from './registry';

/** Options of {@link MultiHeadAttention} (Keras names, camelCase). */
export interface MultiHeadAttentionArgs extends LayerArgs {
  /** Number of attention heads. */
  numHeads: number;
  /** Size of each head's query and key projection. */
  keyDim: number;
  /** Size of each head's value projection; defaults to keyDim. */
  valueDim?: number | null;
  /** Dropout rate on the attention probabilities during training. Default 0. */
  dropout?: number;
  /** Whether the projections have biases. Default true. */
  useBias?: boolean;
  /** Last dimension of the output; defaults to the query's last dimension. A one-element array is accepted (Keras). */
  outputShape?: number | [number] | null;
  kernelInitializer?: InitializerIdentifier;
  biasInitializer?: InitializerIdentifier;
  kernelRegularizer?: RegularizerIdentifier | null;
  biasRegularizer?: RegularizerIdentifier | null;
  /**
   * Lets query position i attend only to value positions j <= i (decoder self-attention). Keras
   * passes this per call; here it is part of the layer so functional models save and load it.
   */
  useCausalMask?: boolean;
  /** Output `[output, scores]` instead of `output`; scores are [batch, heads, Tq, Tv]. */
  returnAttentionScores?: boolean;
  /**
   * When true the layer takes an attention mask as its last input: [batch, Tq, Tv] (or [Tq, Tv]),
   * non-zero = attend, 0 = masked. Inputs are then `[query, value, mask]` or `[query, value, key, mask]`.
   */
  attentionMaskInput?: boolean;
  /** Seed of the attention dropout (a fresh generator); the global generator when omitted. */
  seed?: number | null;
}

/** Per-call options of {@link MultiHeadAttention.attend}. */
export interface AttentionCallOptions {
  /** Keys; default the value. */
  key?: Tensor;
  /** [batch, Tq, Tv] or [Tq, Tv]; non-zero = attend, 0 = masked. */
  attentionMask?: Tensor | null;
  /** Overrides the layer's useCausalMask for this call. */
  useCausalMask?: boolean;
  /** Training mode (attention dropout). Default false. */
  training?: boolean;
}

/** Output of {@link MultiHeadAttention.attend}. */
export interface AttentionResult {
  /** [batch, Tq, outputDim]. */
  output: Tensor;
  /** Attention probabilities [batch, heads, Tq, Tv] (before dropout), each row summing to 1. */
  scores: Tensor;
}

// Added to masked logits through `where`: large enough that exp() underflows to 0 after the
// row maximum is subtracted, small enough to stay finite in float32.
const MASKED_LOGIT = -1e9;

function positiveInt(arg: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) argError('multiHeadAttention', arg, 'a positive integer', describe(v));
  return v;
}

/**
 * Multi-head scaled dot-product attention (Keras `MultiHeadAttention`): queries, keys and values are
 * projected per head, each head computes softmax(q kᵀ / √keyDim) v, and the heads are merged by an
 * output projection.
 *
 * Inputs: `[query, value]` or `[query, value, key]` (key defaults to value), each [batch, T, dim];
 * with `attentionMaskInput: true` a mask is appended as the last input. Output: [batch, Tq, outputDim],
 * or `[output, scores]` with `returnAttentionScores: true`. For per-call masks and options in eager
 * code use {@link MultiHeadAttention.attend}. Masked logits are replaced by -1e9 before the
 * softmax, so a query whose every key is masked attends uniformly (as in Keras). Attention runs
 * over axis 1 only (Keras's default `attention_axes` for rank-3 inputs).
 *
 * Weights, in Keras order and shapes (so Keras weights load as they are): query/kernel
 * [queryDim, heads, keyDim], query/bias [heads, keyDim], key/kernel, key/bias, value/kernel
 * [valueInDim, heads, valueDim], value/bias, attention_output/kernel [heads, valueDim, outputDim],
 * attention_output/bias [outputDim].
 */
export class MultiHeadAttention extends Layer {
  readonly className: string = 'MultiHeadAttention';
  readonly numHeads: number;
  readonly keyDim: number;
  readonly valueDim: number;
  readonly dropout: number;
  readonly useBias: boolean;
  readonly outputShape: number | null;
  readonly useCausalMask: boolean;
  readonly returnAttentionScores: boolean;
  readonly attentionMaskInput: boolean;
  readonly seed: number | undefined;
  private readonly kernelInit;
  private readonly biasInit;
  private readonly kernelReg;
  private readonly biasReg;
  private readonly generator: Generator | null;
  queryKernel: Tensor | null = null;
  queryBias: Tensor | null = null;
  keyKernel: Tensor | null = null;
  keyBias: Tensor | null = null;
  valueKernel: Tensor | null = null;
  valueBias: Tensor | null = null;
  outputKernel: Tensor | null = null;
  outputBias: Tensor | null = null;

  constructor(args: MultiHeadAttentionArgs) {
    super(args ?? ({} as MultiHeadAttentionArgs), 'multi_head_attention');
    this.numHeads = positiveInt('numHeads', args?.numHeads);
    this.keyDim = positiveInt('keyDim', args.keyDim);
    this.valueDim = args.valueDim === undefined || args.valueDim === null ? this.keyDim : positiveInt('valueDim', args.valueDim);
    const rate = args.dropout ?? 0;
    if (typeof rate !== 'number' || !(rate >= 0 && rate < 1)) argError('multiHeadAttention', 'dropout', 'a number in [0, 1)', describe(rate));
    this.dropout = rate;
    this.useBias = args.useBias ?? true;
    const os = Array.isArray(args.outputShape) ? (args.outputShape.length === 1 ? args.outputShape[0] : args.outputShape) : args.outputShape;
    this.outputShape = os === undefined || os === null ? null : positiveInt('outputShape', os);
    this.useCausalMask = args.useCausalMask ?? false;
    this.returnAttentionScores = args.returnAttentionScores ?? false;
    this.attentionMaskInput = args.attentionMaskInput ?? false;
    this.seed = args.seed ?? undefined;
    this.generator = this.seed === undefined ? null : new Generator(this.seed);
    this.kernelInit = getInitializer('multiHeadAttention', 'kernelInitializer', args.kernelInitializer ?? 'glorotUniform');
    this.biasInit = getInitializer('multiHeadAttention', 'biasInitializer', args.biasInitializer ?? 'zeros');
    this.kernelReg = getRegularizer('multiHeadAttention', 'kernelRegularizer', args.kernelRegularizer);
    this.biasReg = getRegularizer('multiHeadAttention', 'biasRegularizer', args.biasRegularizer);
  }

  /**
   * One projection: x [..., in] @ kernel2d [in, out] + bias. `weight` is the layer's own kernel
   * (queryKernel, keyKernel, valueKernel or outputKernel), so a subclass (int8 attention) can run
   * its own GEMM for it.
   */
  protected projectionGemm(x: Tensor, kernel2d: Tensor, bias: Tensor | null, _weight: Tensor): Tensor {
    return linear(x, kernel2d, bias);
  }

  /** Splits the input list into query, value, key and mask, checking the count. */
  private split<T>(inputs: T | T[], describeOne: (x: T) => string): { query: T; value: T; key: T; mask: T | null } {
    const n = this.attentionMaskInput ? 'a list [query, value, mask] or [query, value, key, mask]' : 'a list [query, value] or [query, value, key]';
    if (!Array.isArray(inputs)) argError(this.name, 'inputs', n, `one input ${describeOne(inputs)} (for self-attention pass [x, x])`);
    const extra = this.attentionMaskInput ? 1 : 0;
    if (inputs.length < 2 + extra || inputs.length > 3 + extra) argError(this.name, 'inputs', n, `${inputs.length} input(s)`);
    const mask = this.attentionMaskInput ? inputs[inputs.length - 1]! : null;
    const query = inputs[0]!;
    const value = inputs[1]!;
    const key = inputs.length === 3 + extra ? inputs[2]! : value;
    return { query, value, key, mask };
  }

  /** {@link split} for shapes: a single shape is itself an array, so it is told apart first. */
  private splitShapes(inputShape: ShapeWithBatch | ShapeWithBatch[]): { query: ShapeWithBatch; value: ShapeWithBatch; key: ShapeWithBatch; mask: ShapeWithBatch | null } {
    if (!isShapeList(inputShape)) {
      argError(this.name, 'inputs', 'a list [query, value] or [query, value, key]', `one input of shape ${formatShape(inputShape)} (for self-attention pass [x, x])`);
    }
    return this.split(inputShape, (s) => `of shape ${formatShape(s)}`);
  }

  private checkShapes(query: ShapeWithBatch, value: ShapeWithBatch, key: ShapeWithBatch, mask: ShapeWithBatch | null): void {
    const rank3 = (arg: string, s: ShapeWithBatch) => {
      if (s.length !== 3 || typeof s[2] !== 'number') argError(this.name, arg, 'shape [batch, time, features] with known features', `shape ${formatShape(s)}`);
    };
    rank3('query', query);
    rank3('value', value);
    rank3('key', key);
    if (key[1] !== null && value[1] !== null && key[1] !== value[1]) {
      argError(this.name, 'key', `the value's time length ${value[1]}`, `shape ${formatShape(key)}`);
    }
    if (mask) {
      const tq = query[1] ?? null;
      const tv = value[1] ?? key[1] ?? null;
      const [mq, mv] = mask.slice(-2);
      const ok = (mask.length === 3 || mask.length === 2) && (mq === null || tq === null || mq === tq) && (mv === null || tv === null || mv === tv);
      if (!ok) argError(this.name, 'attentionMask', `shape [batch, ${tq ?? 'Tq'}, ${tv ?? 'Tv'}] or [${tq ?? 'Tq'}, ${tv ?? 'Tv'}]`, `shape ${formatShape(mask)}`);
    }
  }

  override build(inputShape: ShapeWithBatch | ShapeWithBatch[]): void {
    const { query, value, key, mask } = this.splitShapes(inputShape);
    this.checkShapes(query, value, key, mask);
    const h = this.numHeads;
    const qDim = query[2] as number;
    const out = this.outputShape ?? qDim;
    const opts = { regularizer: this.kernelReg };
    const bopts = { regularizer: this.biasReg };
    this.queryKernel = this.addWeight('query/kernel', [qDim, h, this.keyDim], this.kernelInit, opts);
    if (this.useBias) this.queryBias = this.addWeight('query/bias', [h, this.keyDim], this.biasInit, bopts);
    this.keyKernel = this.addWeight('key/kernel', [key[2] as number, h, this.keyDim], this.kernelInit, opts);
    if (this.useBias) this.keyBias = this.addWeight('key/bias', [h, this.keyDim], this.biasInit, bopts);
    this.valueKernel = this.addWeight('value/kernel', [value[2] as number, h, this.valueDim], this.kernelInit, opts);
    if (this.useBias) this.valueBias = this.addWeight('value/bias', [h, this.valueDim], this.biasInit, bopts);
    this.outputKernel = this.addWeight('attention_output/kernel', [h, this.valueDim, out], this.kernelInit, opts);
    if (this.useBias) this.outputBias = this.addWeight('attention_output/bias', [out], this.biasInit, bopts);
  }

  override computeOutputShape(inputShape: ShapeWithBatch | ShapeWithBatch[]): ShapeWithBatch | ShapeWithBatch[] {
    const { query, value, key, mask } = this.splitShapes(inputShape);
    this.checkShapes(query, value, key, mask);
    const output: ShapeWithBatch = [query[0] ?? null, query[1] ?? null, this.outputShape ?? (query[2] as number)];
    if (!this.returnAttentionScores) return output;
    return [output, [query[0] ?? null, this.numHeads, query[1] ?? null, value[1] ?? key[1] ?? null]];
  }

  call(inputs: Tensor | Tensor[], ctx: CallContext): Tensor | Tensor[] {
    const { query, value, key, mask } = this.split(inputs, (t) => describe(t));
    const { output, scores } = this.attend(query, value, { key, attentionMask: mask, training: ctx.training });
    return this.returnAttentionScores ? [output, scores] : output;
  }

  /**
   * Eager attention with per-call options (Keras `call(query, value, key, attention_mask,
   * use_causal_mask)`). Builds the layer on first use. Always returns the scores too.
   */
  attend(query: Tensor, value: Tensor, options: AttentionCallOptions = {}): AttentionResult {
    const key = options.key ?? value;
    const mask = options.attentionMask ?? null;
    for (const [arg, t] of [['query', query], ['value', value], ['key', key]] as const) {
      if (!(t instanceof Tensor)) argError(this.name, arg, 'a Tensor', describe(t));
    }
    if (mask !== null && !(mask instanceof Tensor)) argError(this.name, 'attentionMask', 'a Tensor or null', describe(mask));
    const shapeOf = (t: Tensor): ShapeWithBatch => [null, ...t.shape.slice(1)];
    if (!this.built) {
      const shapes = [shapeOf(query), shapeOf(value), shapeOf(key)];
      // build() expects the layer's input layout, which includes the mask slot when configured.
      this.ensureBuilt(this.attentionMaskInput ? [...shapes, mask ? shapeOf(mask) : [null, null]] : shapes);
    }
    this.checkShapes(query.shape.slice(), value.shape.slice(), key.shape.slice(), mask ? mask.shape.slice() : null);
    const b = query.shape[0]!;
    if (value.shape[0] !== b || key.shape[0] !== b) {
      argError(this.name, 'value', `batch size ${b} like the query`, `shape [${value.shape.join(',')}] (key [${key.shape.join(',')}])`);
    }
    const expectDims = [this.queryKernel!.shape[0], this.valueKernel!.shape[0], this.keyKernel!.shape[0]];
    [query, value, key].forEach((t, i) => {
      if (t.shape[2] !== expectDims[i]) {
        argError(this.name, ['query', 'value', 'key'][i]!, `last dimension ${expectDims[i]} (as built)`, `shape [${t.shape.join(',')}]`);
      }
    });
    const h = this.numHeads;
    const tq = query.shape[1]!;
    const tv = value.shape[1]!;

    // One GEMM per projection over all heads at once, then a view as [B, heads, T, dim].
    const project = (x: Tensor, kernel: Tensor, bias: Tensor | null, dim: number): Tensor => {
      const y = this.projectionGemm(x, reshape(kernel, [kernel.shape[0]!, h * dim]), bias ? reshape(bias, [h * dim]) : null, kernel);
      return transpose(reshape(y, [b, x.shape[1]!, h, dim]), [0, 2, 1, 3]);
    };
    // Scaling the query (Keras does the same) is cheaper than scaling the [Tq, Tv] logits.
    const q = mul(project(query, this.queryKernel!, this.queryBias, this.keyDim), 1 / Math.sqrt(this.keyDim));
    const k = project(key, this.keyKernel!, this.keyBias, this.keyDim);
    const v = project(value, this.valueKernel!, this.valueBias, this.valueDim);

    const causal = options.useCausalMask ?? this.useCausalMask;
    const allowed = this.combinedMask(mask, causal, tq, tv);
    const probabilities = (): Tensor => {
      let logits = matmul(q, k, false, true); // [B, h, Tq, Tv]
      if (allowed) logits = where(allowed, logits, MASKED_LOGIT);
      return softmax(logits, -1);
    };
    let context: Tensor; // [B, h, Tq, valueDim]
    let scores: Tensor | null = null;
    if (options.training && this.dropout > 0) {
      scores = probabilities();
      context = matmul(this.dropProbs(scores), v);
    } else {
      // The fused kernel never forms the probabilities; they are computed only if asked for. Without
      // an explicit mask the causal flag is exact (no row is fully masked); with one, the combined
      // mask keeps Keras's rule that masked logits become MASKED_LOGIT.
      const fused = allowed && mask
        ? { mask: allowed, maskMode: 'keep' as const, maskedValue: MASKED_LOGIT }
        : { causal };
      context = scaledDotProductAttention(q, k, v, { ...fused, scale: 1 });
    }
    const merged = reshape(transpose(context, [0, 2, 1, 3]), [b, tq, h * this.valueDim]);
    const ok = this.outputKernel!;
    const output = this.projectionGemm(merged, reshape(ok, [h * this.valueDim, ok.shape[2]!]), this.outputBias, ok);
    return {
      output,
      get scores(): Tensor {
        scores ??= probabilities();
        return scores;
      },
    };
  }

  /**
   * The mask as a tensor broadcasting against [B, heads, Tq, Tv] (non-zero = attend), combining the
   * explicit mask with the causal one; null when nothing is masked.
   */
  private combinedMask(mask: Tensor | null, causal: boolean, tq: number, tv: number): Tensor | null {
    let m: Tensor | null = null;
    if (mask) {
      // [B, Tq, Tv] -> [B, 1, Tq, Tv]: the same mask for every head.
      m = mask.rank === 3 ? reshape(mask, [mask.shape[0]!, 1, tq, tv]) : reshape(mask, [1, 1, tq, tv]);
    }
    if (causal) {
      // Keras's causal mask: query i sees value j when j <= i (row index >= column index).
      const tri = Tensor.empty([1, 1, tq, tv], 'float32');
      const d = tri.buffer;
      for (let i = 0; i < tq; i++) for (let j = 0; j < tv; j++) d[i * tv + j] = j <= i ? 1 : 0;
      // A product of 0/1 (or non-zero) masks is non-zero exactly where both allow.
      m = m ? mul(m.dtype === 'float32' ? m : where(m, 1, 0), tri) : tri;
    }
    return m;
  }

  /** Inverted dropout on the attention probabilities (training only). */
  private dropProbs(p: Tensor): Tensor {
    const keep = 1 - this.dropout;
    const mask = Tensor.empty(p.shape.slice(), 'float32');
    const m = mask.buffer;
    const g = this.generator ?? globalGenerator();
    const scale = 1 / keep;
    for (let i = 0; i < mask.size; i++) m[i] = g.uniform() < keep ? scale : 0;
    return mul(p, mask);
  }

  override getConfig(): LayerConfig {
    return {
      ...super.getConfig(),
      numHeads: this.numHeads,
      keyDim: this.keyDim,
      valueDim: this.valueDim,
      dropout: this.dropout,
      useBias: this.useBias,
      outputShape: this.outputShape,
      useCausalMask: this.useCausalMask,
      returnAttentionScores: this.returnAttentionScores,
      attentionMaskInput: this.attentionMaskInput,
      seed: this.seed ?? null,
      kernelInitializer: serializeInitializer(this.kernelInit),
      biasInitializer: serializeInitializer(this.biasInit),
      kernelRegularizer: this.kernelReg ? { className: 'L1L2', config: this.kernelReg.getConfig() } : null,
      biasRegularizer: this.biasReg ? { className: 'L1L2', config: this.biasReg.getConfig() } : null,
    };
  }
}

/** Factories under their tfjs-layers names. */
export const attentionFactories = {
  multiHeadAttention: (args: MultiHeadAttentionArgs) => new MultiHeadAttention(args),
};

registerLayer('MultiHeadAttention', MultiHeadAttention);
