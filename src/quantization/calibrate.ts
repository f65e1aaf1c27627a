// Static quantization's calibration: runs the float model on sample inputs and records the range of
// each watched layer's input, then turns the observations into uint8 grids (min/max, percentile, or
// the clip that minimizes the KL divergence of the quantized histogram, as TensorRT's entropy
// calibration does).
import { noGrad } from '../autograd/tape';
import type { Tensor } from '../tensor/tensor';
import type { Layer } from '../layers/layer';
import type { LayersModel } from '../models/layers-model';
import { slice } from '../ops/views';
import { type ActivationQuant, floatValues, gridFromRange } from './activation-grid';
import type { CalibrationMethod } from './options';

const BINS = 2048;

/** What one watched tensor looked like over the calibration data. */
class Observer {
  min = Infinity;
  max = -Infinity;
  sawNaN = false;
  hist: Float64Array | null = null;
  lo = 0;
  hi = 0;

  observeRange(v: Float32Array): void {
    let lo = this.min;
    let hi = this.max;
    for (let i = 0; i < v.length; i++) {
      const x = v[i]!;
      if (x < lo) lo = x;
      if (x > hi) hi = x;
      if (x !== x) this.sawNaN = true;
    }
    this.min = lo;
    this.max = hi;
  }

  /** Second pass: a histogram over [min(0, min), max(0, max)]. */
  observeHistogram(v: Float32Array): void {
    if (!this.hist) {
      this.hist = new Float64Array(BINS);
      this.lo = Math.min(0, this.min);
      this.hi = Math.max(0, this.max);
    }
    const width = (this.hi - this.lo) / BINS || 1;
    for (let i = 0; i < v.length; i++) {
      const b = Math.min(BINS - 1, Math.max(0, Math.floor((v[i]! - this.lo) / width)));
      this.hist[b]! += 1;
    }
  }

  grid(method: CalibrationMethod, percentile: number, symmetric: boolean): ActivationQuant {
    if (this.sawNaN) throw new Error('the calibration data gives NaN at its input');
    if (method === 'minmax' || !this.hist) return gridFromRange(this.min, this.max, symmetric);
    const width = (this.hi - this.lo) / BINS;
    const [b0, b1] = method === 'percentile' ? percentileBins(this.hist, percentile) : entropyBins(this.hist, this.lo, width);
    return gridFromRange(Math.max(this.min, this.lo + b0 * width), Math.min(this.max, this.lo + b1 * width), symmetric);
  }
}

/** Bins [first, end) holding all but (100 - p)% of the mass, split between the two tails. */
function percentileBins(hist: Float64Array, p: number): [number, number] {
  const total = hist.reduce((a, b) => a + b, 0);
  const cut = (total * (100 - p)) / 200;
  let acc = 0;
  let first = 0;
  while (first < BINS - 1 && acc + hist[first]! <= cut) acc += hist[first++]!;
  acc = 0;
  let end = BINS;
  while (end > first + 1 && acc + hist[end - 1]! <= cut) acc += hist[--end]!;
  return [first, end];
}

/**
 * Entropy calibration: the clip [lo, lo + end * width] (end >= 128 bins) whose 255-level quantized
 * histogram diverges least (KL) from the clipped one, outliers folded into the last bin. The lower
 * end stays at the observed minimum (relu outputs start at 0; others are clipped on the top side).
 */
function entropyBins(hist: Float64Array, _lo: number, _width: number): [number, number] {
  const levels = 255;
  let best = BINS;
  let bestKl = Infinity;
  for (let end = levels; end <= BINS; end += 16) {
    const p = Array.from(hist.subarray(0, end));
    let outliers = 0;
    for (let i = end; i < BINS; i++) outliers += hist[i]!;
    p[end - 1]! += outliers;
    // q: p merged into `levels` buckets, spread evenly over each bucket's nonzero bins.
    const q = new Float64Array(end);
    const per = end / levels;
    for (let j = 0; j < levels; j++) {
      const a = Math.floor(j * per);
      const b = j === levels - 1 ? end : Math.floor((j + 1) * per);
      let sum = 0;
      let nz = 0;
      for (let i = a; i < b; i++) {
        sum += hist[i]!;
        if (hist[i]! > 0) nz++;
      }
      for (let i = a; i < b; i++) if (hist[i]! > 0) q[i] = sum / nz;
    }
    const ps = p.reduce((s, x) => s + x, 0);
    const qs = q.reduce((s, x) => s + x, 0);
    if (ps === 0 || qs === 0) continue;
    let kl = 0;
    for (let i = 0; i < end; i++) {
      if (p[i]! === 0) continue;
      const qi = q[i]! > 0 ? q[i]! / qs : 1e-12;
      kl += (p[i]! / ps) * Math.log(p[i]! / ps / qi);
    }
    if (kl < bestKl) {
      bestKl = kl;
      best = end;
    }
  }
  return [0, best];
}

/** The input tensor of a layer call (the first one of a list). */
function firstInput(inputs: Tensor | Tensor[]): Tensor {
  return Array.isArray(inputs) ? inputs[0]! : inputs;
}

function forEachBatch(model: LayersModel, data: Tensor[], batchSize: number, watch: (layer: Layer, x: Tensor) => void): void {
  const n = data[0]!.shape[0]!;
  noGrad(() => {
    for (let start = 0; start < n; start += batchSize) {
      const size = Math.min(batchSize, n - start);
      const xs = data.map((t) => slice(t, [start, ...t.shape.slice(1).map(() => 0)], [size, ...t.shape.slice(1)]).contiguousCopy());
      model.forward(xs, { training: false, losses: [] }, (layer, inputs) => {
        watch(layer, firstInput(inputs));
      });
    }
  });
}

/**
 * Uint8 grids of the inputs of `layers` (float32 inputs only) over the calibration data: one pass
 * for min/max, a second for histograms when the method needs them.
 */
export function calibrateInputs(model: LayersModel, layers: ReadonlySet<Layer>, data: Tensor[],
  options: { method: CalibrationMethod; percentile: number; symmetric: boolean; batchSize: number }): Map<Layer, ActivationQuant> {
  const observers = new Map<Layer, Observer>();
  forEachBatch(model, data, options.batchSize, (layer, x) => {
    if (!layers.has(layer) || x.dtype !== 'float32') return;
    let o = observers.get(layer);
    if (!o) observers.set(layer, (o = new Observer()));
    o.observeRange(floatValues(x));
  });
  if (options.method !== 'minmax') {
    forEachBatch(model, data, options.batchSize, (layer, x) => {
      const o = observers.get(layer);
      if (o) o.observeHistogram(floatValues(x));
    });
  }
  const grids = new Map<Layer, ActivationQuant>();
  for (const [layer, o] of observers) {
    try {
      grids.set(layer, o.grid(options.method, options.percentile, options.symmetric));
    } catch (err) {
      throw new Error(`quantization.quantize: layer '${layer.name}': ${(err as Error).message}`);
    }
  }
  return grids;
}
