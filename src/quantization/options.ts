// The options of tf.quantization.quantize, checked up front so a typo fails before any work.
import { argError, describe } from '../errors';
import { Tensor } from '../tensor/tensor';
import { concat } from '../ops/movement';

/** How {@link quantize} turns the model into a smaller one. */
export type QuantizationMode = 'dynamic' | 'static' | 'float16';

/** How static mode picks each activation's range from the calibration data. */
export type CalibrationMethod = 'minmax' | 'percentile' | 'entropy';

/** Options of `tf.quantization.quantize`. */
export interface QuantizeOptions {
  /**
   * 'static': int8 weights and uint8 activations with ranges from `calibrationData` (integer kernels
   * end to end); 'dynamic': int8 weights, activations quantized per call from their own range (no
   * calibration); 'float16': weights stored as float16 (computed in float32).
   */
  mode: QuantizationMode;
  /**
   * Inputs representative of the data (a few hundred samples); required in 'static' mode. A
   * Dataset (any async iterable of batches: `{ x, y }` elements, as `fit` takes, or bare input
   * tensors) is read to its end, so `take()` the batches to use; quantize then returns a Promise.
   */
  calibrationData?: Tensor | Tensor[] | CalibrationSource;
  /** One weight scale per output channel (default true) or one per tensor. */
  perChannel?: boolean;
  /** Activation grids centred on 0 (zero point 128) instead of fitted to [min, max] (default false). */
  symmetric?: boolean;
  /** Range of each activation: observed min/max (default), a percentile of the values, or the KL-optimal clip. */
  calibration?: CalibrationMethod;
  /** The percentile kept by `calibration: 'percentile'` (default 99.99). */
  percentile?: number;
  /** Calibration batch size (default 128). */
  batchSize?: number;
}

/** Batches of calibration inputs: `{ x }` elements (a Dataset of `{ x, y }` as fit takes), or bare input tensors. */
export type CalibrationSource = AsyncIterable<{ x: Tensor | Tensor[] } | Tensor | Tensor[]>;

/** True when `v` is an async iterable (a Dataset), not tensors. */
export function isCalibrationSource(v: unknown): v is CalibrationSource {
  return typeof v === 'object' && v !== null && !(v instanceof Tensor) && !Array.isArray(v)
    && typeof (v as Partial<AsyncIterable<unknown>>)[Symbol.asyncIterator] === 'function';
}

/**
 * Reads a calibration Dataset to its end and joins its batches into one tensor per model input.
 * Throws naming `fn` when an element is neither `{ x }` nor tensors, or the inputs disagree.
 */
export async function collectCalibrationData(fn: string, source: CalibrationSource): Promise<Tensor[]> {
  const parts: Tensor[][] = [];
  let batches = 0;
  for await (const element of source) {
    const x = element instanceof Tensor || Array.isArray(element) ? element : (element as { x?: unknown } | null)?.x;
    const list = Array.isArray(x) ? x : [x];
    if (list.length === 0 || !list.every((t) => t instanceof Tensor)) {
      argError(fn, `options.calibrationData (batch ${batches})`, 'elements { x: Tensor | Tensor[] } or input tensors', describe(element));
    }
    if (parts.length === 0) list.forEach(() => parts.push([]));
    if (list.length !== parts.length) argError(fn, `options.calibrationData (batch ${batches})`, `${parts.length} input tensor(s) as in the first batch`, `${list.length}`);
    list.forEach((t, i) => parts[i]!.push(t as Tensor));
    batches++;
  }
  if (batches === 0) argError(fn, 'options.calibrationData', 'a Dataset with at least one batch', 'an empty Dataset');
  return parts.map((p) => (p.length === 1 ? p[0]! : concat(p, 0)));
}

/** Options after defaults. */
export interface ResolvedOptions {
  mode: QuantizationMode;
  calibrationData: Tensor[] | null;
  perChannel: boolean;
  symmetric: boolean;
  calibration: CalibrationMethod;
  percentile: number;
  batchSize: number;
}

const KEYS = ['mode', 'calibrationData', 'perChannel', 'symmetric', 'calibration', 'percentile', 'batchSize'];

/** Checks the options of `fn`, naming any bad entry. */
export function resolveOptions(fn: string, options: QuantizeOptions): ResolvedOptions {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) argError(fn, 'options', '{ mode, ... }', describe(options));
  for (const k of Object.keys(options)) if (!KEYS.includes(k)) argError(fn, `options.${k}`, `one of the options ${KEYS.join(', ')}`, 'an unknown option');
  const { mode } = options;
  if (mode !== 'dynamic' && mode !== 'static' && mode !== 'float16') argError(fn, 'options.mode', "'dynamic', 'static' or 'float16'", describe(mode));
  const bool = (k: 'perChannel' | 'symmetric', def: boolean): boolean => {
    const v = options[k];
    if (v !== undefined && typeof v !== 'boolean') argError(fn, `options.${k}`, 'a boolean', describe(v));
    return v ?? def;
  };
  const calibration = options.calibration ?? 'minmax';
  if (calibration !== 'minmax' && calibration !== 'percentile' && calibration !== 'entropy') {
    argError(fn, 'options.calibration', "'minmax', 'percentile' or 'entropy'", describe(calibration));
  }
  const percentile = options.percentile ?? 99.99;
  if (typeof percentile !== 'number' || !(percentile > 50 && percentile <= 100)) argError(fn, 'options.percentile', 'a number in (50, 100]', describe(percentile));
  const batchSize = options.batchSize ?? 128;
  if (!Number.isInteger(batchSize) || batchSize < 1) argError(fn, 'options.batchSize', 'a positive integer', describe(batchSize));
  let calibrationData: Tensor[] | null = null;
  const cd = options.calibrationData;
  if (isCalibrationSource(cd)) throw new Error(`${fn}: internal: a calibration Dataset must be collected first`);
  if (cd !== undefined) {
    const list = Array.isArray(cd) ? cd : [cd];
    if (list.length === 0 || !list.every((t) => t instanceof Tensor)) argError(fn, 'options.calibrationData', 'a Tensor or a list of Tensors (one per model input)', describe(cd));
    const n = list[0]!.shape[0];
    if (!list.every((t) => t.rank >= 1 && t.shape[0] === n && n! > 0)) argError(fn, 'options.calibrationData', 'tensors with the same non-zero number of samples', describe(cd));
    calibrationData = list;
  }
  if (mode === 'static' && !calibrationData) argError(fn, 'options.calibrationData', "input samples in 'static' mode (activation ranges come from them)", describe(cd));
  if (mode !== 'static' && (options.calibration !== undefined || cd !== undefined)) {
    argError(fn, cd !== undefined ? 'options.calibrationData' : 'options.calibration', "nothing outside 'static' mode (only static mode calibrates)", describe(cd ?? options.calibration));
  }
  return { mode, calibrationData, perChannel: bool('perChannel', true), symmetric: bool('symmetric', false), calibration, percentile, batchSize };
}
