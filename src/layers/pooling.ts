import { argError, describe } from '../errors';
import type { Tensor } from '../tensor/tensor';
import { avgPool2d, globalAveragePooling2d, globalMaxPooling2d, maxPool2d, upSampling2d } from '../ops/pool';
import { pad } from '../ops/movement';
import { Layer, type LayerArgs, type LayerConfig } from './layer';
import { type LayerDataFormat, convOutputLength } from './convolutional';
import type { ShapeWithBatch } from './symbolic-tensor';
import { type ArgsOf, registerLayer } from './registry';

function pair(fn: string, arg: string, v: unknown): [number, number] {
  const list = typeof v === 'number' ? [v, v] : Array.isArray(v) ? v : null;
  if (!list || list.length !== 2 || !list.every((d) => Number.isInteger(d) && d >= 1)) argError(fn, arg, 'a positive integer or two', describe(v));
  return list as [number, number];
}

function spatial(s: ShapeWithBatch, last: boolean): [number | null, number | null] {
  return last ? [s[1] ?? null, s[2] ?? null] : [s[2] ?? null, s[3] ?? null];
}

function withSpatial(s: ShapeWithBatch, last: boolean, h: number | null, w: number | null): ShapeWithBatch {
  return last ? [s[0] ?? null, h, w, s[3] ?? null] : [s[0] ?? null, s[1] ?? null, h, w];
}

function checkFormat(fn: string, f: unknown): LayerDataFormat {
  const format = f ?? 'channelsLast';
  if (format !== 'channelsLast' && format !== 'channelsFirst') argError(fn, 'dataFormat', "'channelsLast' or 'channelsFirst'", describe(f));
  return format as LayerDataFormat;
}

interface PoolArgs extends LayerArgs {
  poolSize?: number | [number, number];
  strides?: number | [number, number] | null;
  padding?: 'valid' | 'same';
  dataFormat?: LayerDataFormat;
}

abstract class Pooling2D extends Layer {
  readonly poolSize: [number, number];
  readonly strides: [number, number];
  readonly padding: 'valid' | 'same';
  readonly dataFormat: LayerDataFormat;

  constructor(args: PoolArgs, fn: string) {
    super(args, fn);
    this.poolSize = pair(fn, 'poolSize', args.poolSize ?? 2);
    this.strides = args.strides === undefined || args.strides === null ? this.poolSize : pair(fn, 'strides', args.strides);
    const padding = args.padding ?? 'valid';
    if (padding !== 'valid' && padding !== 'same') argError(fn, 'padding', "'valid' or 'same'", describe(padding));
    this.padding = padding;
    this.dataFormat = checkFormat(fn, args.dataFormat);
  }

  override computeOutputShape(s: ShapeWithBatch): ShapeWithBatch {
    const last = this.dataFormat === 'channelsLast';
    const [h, w] = spatial(s, last);
    return withSpatial(s, last, convOutputLength(h, this.poolSize[0], this.strides[0], this.padding),
      convOutputLength(w, this.poolSize[1], this.strides[1], this.padding));
  }

  protected options() {
    return { poolSize: this.poolSize, strides: this.strides, padding: this.padding, dataFormat: this.dataFormat };
  }

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), ...this.options() };
  }
}

/** Max over each window (Keras MaxPooling2D; poolSize 2 and strides = poolSize by default). */
export class MaxPooling2D extends Pooling2D {
  readonly className = 'MaxPooling2D';
  constructor(args: PoolArgs = {}) {
    super(args, 'max_pooling2d');
  }
  call(x: Tensor): Tensor {
    return maxPool2d(x, this.options());
  }
}

/** Mean over each window (Keras AveragePooling2D); with 'same' padding, padded cells are not counted. */
export class AveragePooling2D extends Pooling2D {
  readonly className = 'AveragePooling2D';
  constructor(args: PoolArgs = {}) {
    super(args, 'average_pooling2d');
  }
  call(x: Tensor): Tensor {
    return avgPool2d(x, this.options());
  }
}

abstract class GlobalPooling2D extends Layer {
  readonly dataFormat: LayerDataFormat;
  readonly keepDims: boolean;
  constructor(args: LayerArgs & { dataFormat?: LayerDataFormat; keepDims?: boolean }, fn: string) {
    super(args, fn);
    this.dataFormat = checkFormat(fn, args.dataFormat);
    this.keepDims = args.keepDims ?? false;
  }
  override computeOutputShape(s: ShapeWithBatch): ShapeWithBatch {
    const last = this.dataFormat === 'channelsLast';
    const c = last ? s[3] ?? null : s[1] ?? null;
    if (!this.keepDims) return [s[0] ?? null, c];
    return withSpatial(s, last, 1, 1);
  }
  override getConfig(): LayerConfig {
    return { ...super.getConfig(), dataFormat: this.dataFormat, keepDims: this.keepDims };
  }
}

/** Mean over height and width (Keras GlobalAveragePooling2D): [N, H, W, C] -> [N, C]. */
export class GlobalAveragePooling2D extends GlobalPooling2D {
  readonly className = 'GlobalAveragePooling2D';
  constructor(args: LayerArgs & { dataFormat?: LayerDataFormat; keepDims?: boolean } = {}) {
    super(args, 'global_average_pooling2d');
  }
  call(x: Tensor): Tensor {
    return globalAveragePooling2d(x, { dataFormat: this.dataFormat, keepDims: this.keepDims });
  }
}

/** Max over height and width (Keras GlobalMaxPooling2D). */
export class GlobalMaxPooling2D extends GlobalPooling2D {
  readonly className = 'GlobalMaxPooling2D';
  constructor(args: LayerArgs & { dataFormat?: LayerDataFormat; keepDims?: boolean } = {}) {
    super(args, 'global_max_pooling2d');
  }
  call(x: Tensor): Tensor {
    return globalMaxPooling2d(x, { dataFormat: this.dataFormat, keepDims: this.keepDims });
  }
}

/** Repeats rows and columns (Keras UpSampling2D; 'nearest' or 'bilinear'). */
export class UpSampling2D extends Layer {
  readonly className = 'UpSampling2D';
  readonly size: [number, number];
  readonly interpolation: 'nearest' | 'bilinear';
  readonly dataFormat: LayerDataFormat;
  constructor(args: LayerArgs & { size?: number | [number, number]; interpolation?: 'nearest' | 'bilinear'; dataFormat?: LayerDataFormat } = {}) {
    super(args, 'up_sampling2d');
    this.size = pair('upSampling2d', 'size', args.size ?? 2);
    this.interpolation = args.interpolation ?? 'nearest';
    this.dataFormat = checkFormat('upSampling2d', args.dataFormat);
  }
  override computeOutputShape(s: ShapeWithBatch): ShapeWithBatch {
    const last = this.dataFormat === 'channelsLast';
    const [h, w] = spatial(s, last);
    return withSpatial(s, last, h === null ? null : h * this.size[0], w === null ? null : w * this.size[1]);
  }
  call(x: Tensor): Tensor {
    return upSampling2d(x, { size: this.size, interpolation: this.interpolation, dataFormat: this.dataFormat });
  }
  override getConfig(): LayerConfig {
    return { ...super.getConfig(), size: this.size, interpolation: this.interpolation, dataFormat: this.dataFormat };
  }
}

/** Zero rows/columns around each image (Keras ZeroPadding2D): padding n, [h, w] or [[top, bottom], [left, right]]. */
export class ZeroPadding2D extends Layer {
  readonly className = 'ZeroPadding2D';
  readonly padding: [[number, number], [number, number]];
  readonly dataFormat: LayerDataFormat;
  constructor(args: LayerArgs & { padding?: number | [number, number] | [[number, number], [number, number]]; dataFormat?: LayerDataFormat } = {}) {
    super(args, 'zero_padding2d');
    const p = args.padding ?? 1;
    const ok = (v: unknown) => Number.isInteger(v) && (v as number) >= 0;
    if (typeof p === 'number' && ok(p)) this.padding = [[p, p], [p, p]];
    else if (Array.isArray(p) && p.length === 2 && p.every((v) => ok(v))) this.padding = [[p[0] as number, p[0] as number], [p[1] as number, p[1] as number]];
    else if (Array.isArray(p) && p.length === 2 && p.every((v) => Array.isArray(v) && v.length === 2 && v.every(ok))) this.padding = p as [[number, number], [number, number]];
    else argError('zeroPadding2d', 'padding', 'a non-negative integer, [h, w] or [[top, bottom], [left, right]]', describe(p));
    this.dataFormat = checkFormat('zeroPadding2d', args.dataFormat);
  }
  override computeOutputShape(s: ShapeWithBatch): ShapeWithBatch {
    const last = this.dataFormat === 'channelsLast';
    const [h, w] = spatial(s, last);
    const [[t, b], [l, r]] = this.padding;
    return withSpatial(s, last, h === null ? null : h + t + b, w === null ? null : w + l + r);
  }
  call(x: Tensor): Tensor {
    const [ph, pw] = this.padding;
    return pad(x, this.dataFormat === 'channelsLast' ? [[0, 0], ph, pw, [0, 0]] : [[0, 0], [0, 0], ph, pw]);
  }
  override getConfig(): LayerConfig {
    return { ...super.getConfig(), padding: this.padding, dataFormat: this.dataFormat };
  }
}

/** Factories under their tfjs-layers names. */
export const poolingFactories = {
  maxPooling2d: (args: ArgsOf<typeof MaxPooling2D> = {}) => new MaxPooling2D(args),
  averagePooling2d: (args: ArgsOf<typeof AveragePooling2D> = {}) => new AveragePooling2D(args),
  globalAveragePooling2d: (args: ArgsOf<typeof GlobalAveragePooling2D> = {}) => new GlobalAveragePooling2D(args),
  globalMaxPooling2d: (args: ArgsOf<typeof GlobalMaxPooling2D> = {}) => new GlobalMaxPooling2D(args),
  upSampling2d: (args: ArgsOf<typeof UpSampling2D> = {}) => new UpSampling2D(args),
  zeroPadding2d: (args: ArgsOf<typeof ZeroPadding2D> = {}) => new ZeroPadding2D(args),
};

registerLayer('MaxPooling2D', MaxPooling2D, { wrappable: true, keras: { names: ['MaxPool2D'] } });
registerLayer('AveragePooling2D', AveragePooling2D, { wrappable: true, keras: { names: ['AvgPool2D'] } });
registerLayer('GlobalAveragePooling2D', GlobalAveragePooling2D, { wrappable: true, keras: { names: ['GlobalAvgPool2D'], keys: { keepdims: 'keepDims' } } });
registerLayer('GlobalMaxPooling2D', GlobalMaxPooling2D, { wrappable: true, keras: { names: ['GlobalMaxPool2D'], keys: { keepdims: 'keepDims' } } });
registerLayer('UpSampling2D', UpSampling2D, { wrappable: true });
registerLayer('ZeroPadding2D', ZeroPadding2D, { wrappable: true });
