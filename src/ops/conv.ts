// Convolutions: conv2d, conv1d and conv2dTranspose.
//
// Layouts. dataFormat 'NHWC' (default, as tfjs/Keras): x [N, H, W, C], filter [kh, kw, C/groups, Cout].
// dataFormat 'NCHW' (as PyTorch/ONNX): x [N, C, H, W], filter [Cout, C/groups, kh, kw].
// Group g reads input channels [g*C/groups, (g+1)*C/groups) and produces output channels
// [g*Cout/groups, (g+1)*Cout/groups); groups == C is a depthwise convolution (channel multiplier
// Cout / C). Internally everything runs in NHWC with HWIO filters: NCHW arguments are transposed
// (views, differentiable) on the way in and out.
//
// Kernels. Native: depthwise kernels when groups == C (vectorized over channels), im2col tiles
// into the sgemm, or direct kernels when kh*kw*C <= 32 and
// groups == 1 (native/kernels/conv/). The epilogue (bias, residual, activation: see
// fused-activation.ts) runs on each output tile or row right after the kernel writes it.
// Reference (js backend): direct loops with float64 accumulation. The padded input counts as zeros (0 * NaN = NaN on both).
import { activeAddon } from '../backend/backend';
import { type LayoutArgs, pack } from '../backend/binding';
import { isGradEnabled, needsGrad, record } from '../autograd/tape';
import { argError, describe } from '../errors';
import { Tensor } from '../tensor/tensor';
import { add, mul } from './binary';
import { cast } from './cast';
import { copyView } from './copy';
import { sum } from './reduce';
import { type OpCheck, registerOp } from './registry';
import { reshape, transpose } from './views';
import { reluGradFromOutput } from './relu-grad';
import { toTensor } from './util';
import { type PackedPanels, packedOnce, packedWeight } from './packed-weights';
import {
  type FusedActivation, type ResolvedActivation, NO_ACTIVATION, activationGradFromOutput, applyActivation, gradFromOutput,
  resolveFusedActivation,
} from './fused-activation';

export type ConvPadding = 'valid' | 'same' | readonly (readonly [number, number])[];
export type Conv2DDataFormat = 'NHWC' | 'NCHW';

export interface Conv2DOptions {
  /** [sh, sw] or one number for both (default 1). */
  strides?: number | readonly [number, number];
  /**
   * 'valid' (no padding, default), 'same' (as TF: output = ceil(input / stride), the odd extra pad
   * at the end), or explicit [[top, bottom], [left, right]] (tfjs's 4-pair form with zero batch and
   * channel pairs is accepted too).
   */
  padding?: ConvPadding;
  /** [dh, dw] or one number for both (default 1). */
  dilations?: number | readonly [number, number];
  /** Channel groups (default 1); must divide the input and output channels. */
  groups?: number;
  dataFormat?: Conv2DDataFormat;
  /** [Cout], added to every output position. */
  bias?: Tensor | null;
  /**
   * Applied to each output tile while it is in cache (default 'linear'): relu, sigmoid, silu,
   * hardSwish, gelu, or { name: 'clip', min, max } (relu6: min 0, max 6), { name: 'leakyRelu', alpha },
   * { name: 'hardSigmoid', alpha, beta }, each the unary op of that name. The output is
   * activation(conv + bias + residual).
   */
  activation?: FusedActivation;
  /** A tensor of the output's shape (and data format) added before the activation (a residual connection). */
  residual?: Tensor | null;
}

export interface Conv2DTransposeOptions extends Conv2DOptions {
  /**
   * Shape of the result (the input of the conv2d this is the adjoint of): [N, H, W, C] / [N, C, H, W]
   * in the data format, or just [H, W]. Default: the smallest size whose conv2d output is x's size.
   */
  outputShape?: readonly number[];
}

export interface Conv1DOptions {
  stride?: number;
  /** 'valid', 'same' or explicit [left, right]. */
  padding?: 'valid' | 'same' | readonly [number, number];
  dilation?: number;
  groups?: number;
  /** 'NWC' (default): x [N, W, C], filter [kw, C/groups, Cout]; 'NCW': x [N, C, W], filter [Cout, C/groups, kw]. */
  dataFormat?: 'NWC' | 'NCW';
  bias?: Tensor | null;
}

/** Geometry of one NHWC/HWIO convolution. */
interface Geom {
  n: number;
  h: number;
  w: number;
  c: number;
  kh: number;
  kw: number;
  cout: number;
  oh: number;
  ow: number;
  sh: number;
  sw: number;
  dh: number;
  dw: number;
  pt: number;
  pl: number;
  groups: number;
}

/** The conv layouts' fields: the geometry and the offsets of x (or dx), w (or dw) and y (or dy). */
function convArgs(g: Geom, o: { xOffset: number; wOffset: number; yOffset: number; xPixelStride?: number; yPixelStride?: number }): LayoutArgs<'conv2d'> {
  return {
    n: g.n, h: g.h, w: g.w, c: g.c, kh: g.kh, kw: g.kw, cout: g.cout, oh: g.oh, ow: g.ow, sh: g.sh, sw: g.sw, dh: g.dh, dw: g.dw,
    padTop: g.pt, padLeft: g.pl, groups: g.groups, xOffset: o.xOffset, wOffset: o.wOffset, yOffset: o.yOffset, xPixelStride: o.xPixelStride ?? 0,
    yPixelStride: o.yPixelStride ?? 0,
  };
}

function f32(t: Tensor): Float32Array {
  return t.buffer as Float32Array;
}

// ---------------------------------------------------------------------------------------------
// Kernels (contiguous NHWC / HWIO tensors)

/**
 * @internal Packs a fixed HWIO filter now into the panels the native GEMM reads (see packedWeight),
 * so that conv2d calls with this very tensor (ungrouped, inference) skip packing it per output
 * tile from the first call on: for the inference plan's weights.
 */
export function prepackFilter(w: Tensor): void {
  if (w.rank !== 4 || w.dtype !== 'float32' || !w.isContiguous) return;
  filterPanels(w, 'now');
}

/** The packed panels of an ungrouped HWIO filter: a [kh * kw * cin, cout] GEMM operand. */
function filterPanels(w: Tensor, when: 'now' | 'second use' = 'second use'): PackedPanels | null {
  const [kh, kw, ci, co] = w.shape as [number, number, number, number];
  return packedWeight(w, kh * kw * ci, co, co, when);
}

/** act(conv(x, w) + bias + residual); residual (contiguous) has the output's NHWC shape. */
function forwardKernel(g: Geom, x: Tensor, w: Tensor, bias: Tensor | null, act: ResolvedActivation = NO_ACTIVATION,
  residual: Tensor | null = null, inference = false): Tensor {
  const y = Tensor.empty([g.n, g.oh, g.ow, g.cout], 'float32');
  const addon = activeAddon();
  if (addon) {
    const b = bias ? f32(bias).subarray(bias.offset, bias.offset + g.cout) : null;
    const r = residual ? f32(residual).subarray(residual.offset, residual.offset + y.size) : null;
    const code = act.name === null ? -1 : addon.unaryOps.indexOf(act.name);
    if (act.name !== null && code < 0) throw new Error(`conv2d: the addon has no '${act.name}' kernel`);
    // Inference reads a filter packed once; training's filters change every step.
    const packed = g.groups === 1 && inference ? filterPanels(w) : null;
    addon.conv2d(f32(x), f32(w), f32(y), pack.conv2d(convArgs(g, { xOffset: x.offset, wOffset: w.offset, yOffset: 0 })), b,
      code, act.p0, act.p1, r, packed?.data ?? null, packed?.width ?? 0);
    return y;
  }
  const xd = x.buffer;
  const wd = w.buffer;
  const yd = y.buffer;
  const cg = g.c / g.groups;
  const og = g.cout / g.groups;
  const acc = new Float64Array(g.cout);
  for (let n = 0; n < g.n; n++) {
    for (let oy = 0; oy < g.oh; oy++) {
      for (let ox = 0; ox < g.ow; ox++) {
        for (let o = 0; o < g.cout; o++) acc[o] = bias ? bias.buffer[bias.offset + o]! : 0;
        for (let i = 0; i < g.kh; i++) {
          const iy = oy * g.sh - g.pt + i * g.dh;
          for (let j = 0; j < g.kw; j++) {
            const ix = ox * g.sw - g.pl + j * g.dw;
            const inside = iy >= 0 && iy < g.h && ix >= 0 && ix < g.w;
            const xBase = x.offset + ((n * g.h + iy) * g.w + ix) * g.c;
            const wTap = w.offset + (i * g.kw + j) * cg * g.cout;
            for (let gi = 0; gi < g.groups; gi++) {
              for (let ci = 0; ci < cg; ci++) {
                const xv = inside ? xd[xBase + gi * cg + ci]! : 0;
                const wRow = wTap + ci * g.cout + gi * og;
                for (let o = 0; o < og; o++) acc[gi * og + o]! += xv * wd[wRow + o]!;
              }
            }
          }
        }
        const yBase = ((n * g.oh + oy) * g.ow + ox) * g.cout;
        for (let o = 0; o < g.cout; o++) yd[yBase + o] = acc[o]!;
      }
    }
  }
  // The reference epilogue: the residual added in float32, then the unary op's own reference.
  if (residual) for (let i = 0; i < y.size; i++) yd[i] = Math.fround(yd[i]! + residual.buffer[residual.offset + i]!);
  if (act.name === null) return y;
  const out = applyActivation(act, y);
  y.dispose();
  return out;
}

function backpropInputKernel(g: Geom, dy: Tensor, w: Tensor): Tensor {
  const dx = Tensor.empty([g.n, g.h, g.w, g.c], 'float32');
  const addon = activeAddon();
  if (addon) {
    addon.conv2dBackpropInput(f32(dy), f32(w), f32(dx),
      pack.conv2dBackpropInput(convArgs(g, { xOffset: 0, wOffset: w.offset, yOffset: dy.offset })));
    return dx;
  }
  const acc = new Float64Array(dx.size);
  const dyd = dy.buffer;
  const wd = w.buffer;
  const cg = g.c / g.groups;
  const og = g.cout / g.groups;
  for (let n = 0; n < g.n; n++) {
    for (let oy = 0; oy < g.oh; oy++) {
      for (let ox = 0; ox < g.ow; ox++) {
        const dyBase = dy.offset + ((n * g.oh + oy) * g.ow + ox) * g.cout;
        for (let i = 0; i < g.kh; i++) {
          const iy = oy * g.sh - g.pt + i * g.dh;
          if (iy < 0 || iy >= g.h) continue;
          for (let j = 0; j < g.kw; j++) {
            const ix = ox * g.sw - g.pl + j * g.dw;
            if (ix < 0 || ix >= g.w) continue;
            const xBase = ((n * g.h + iy) * g.w + ix) * g.c;
            const wTap = w.offset + (i * g.kw + j) * cg * g.cout;
            for (let gi = 0; gi < g.groups; gi++) {
              for (let ci = 0; ci < cg; ci++) {
                const wRow = wTap + ci * g.cout + gi * og;
                let s = 0;
                for (let o = 0; o < og; o++) s += dyd[dyBase + gi * og + o]! * wd[wRow + o]!;
                acc[xBase + gi * cg + ci]! += s;
              }
            }
          }
        }
      }
    }
  }
  dx.buffer.set(acc);
  return dx;
}

function backpropFilterKernel(g: Geom, x: Tensor, dy: Tensor): Tensor {
  const cg = g.c / g.groups;
  const og = g.cout / g.groups;
  const dw = Tensor.empty([g.kh, g.kw, cg, g.cout], 'float32');
  const addon = activeAddon();
  if (addon) {
    addon.conv2dBackpropFilter(f32(x), f32(dy), f32(dw),
      pack.conv2dBackpropFilter(convArgs(g, { xOffset: x.offset, wOffset: 0, yOffset: dy.offset })));
    return dw;
  }
  const acc = new Float64Array(dw.size);
  const xd = x.buffer;
  const dyd = dy.buffer;
  for (let n = 0; n < g.n; n++) {
    for (let oy = 0; oy < g.oh; oy++) {
      for (let ox = 0; ox < g.ow; ox++) {
        const dyBase = dy.offset + ((n * g.oh + oy) * g.ow + ox) * g.cout;
        for (let i = 0; i < g.kh; i++) {
          const iy = oy * g.sh - g.pt + i * g.dh;
          for (let j = 0; j < g.kw; j++) {
            const ix = ox * g.sw - g.pl + j * g.dw;
            const inside = iy >= 0 && iy < g.h && ix >= 0 && ix < g.w;
            const xBase = x.offset + ((n * g.h + iy) * g.w + ix) * g.c;
            const wTap = (i * g.kw + j) * cg * g.cout;
            for (let gi = 0; gi < g.groups; gi++) {
              for (let ci = 0; ci < cg; ci++) {
                const xv = inside ? xd[xBase + gi * cg + ci]! : 0;
                const wRow = wTap + ci * g.cout + gi * og;
                for (let o = 0; o < og; o++) acc[wRow + o]! += xv * dyd[dyBase + gi * og + o]!;
              }
            }
          }
        }
      }
    }
  }
  dw.buffer.set(acc);
  return dw;
}

// ---------------------------------------------------------------------------------------------
// Recorded cores (NHWC / HWIO, any layout; each backward is written with the other two cores)

function conv2dCore(g: Geom, x: Tensor, w: Tensor, bias: Tensor | null, act: ResolvedActivation = NO_ACTIVATION,
  residual: Tensor | null = null): Tensor {
  // Under noGrad (predict, an imported model's inference plan) a trainable bias or filter records
  // nothing, so the activation stays fused: testing requiresGrad alone split every conv+silu of an
  // imported efficientnet into a conv and a separate activation pass.
  const training = needsGrad(residual ? [x, w, ...(bias ? [bias] : []), residual] : bias ? [x, w, bias] : [x, w]);
  if (training && !gradFromOutput(act)) {
    // The activation's gradient needs its input: keep z = conv + bias + residual and apply the op.
    return applyActivation(act, conv2dCore(g, x, w, bias, NO_ACTIVATION, residual));
  }
  const y = forwardKernel(g, x.contiguousCopy(), w.contiguousCopy(), bias ? bias.contiguousCopy() : null, act,
    residual ? residual.contiguousCopy() : null, !training);
  const inputs = [x, w, ...(bias ? [bias] : []), ...(residual ? [residual] : [])];
  return record(y, 'conv2d', inputs, (gyIn) => {
    const gy = act.name === 'relu' ? reluGradFromOutput(gyIn, y) : activationGradFromOutput(act, gyIn, y);
    const gx = x.requiresGrad ? backpropInputCore(g, gy, w) : null;
    const gw = w.requiresGrad ? backpropFilterCore(g, x, gy) : null;
    const grads: (Tensor | null)[] = [gx, gw];
    if (bias) grads.push(bias.requiresGrad ? sum(gy, [0, 1, 2]) : null);
    if (residual) grads.push(residual.requiresGrad ? gy : null);
    return grads;
  });
}

// <G, B(dy, w)> = <conv(G, w), dy>, so d/d dy = conv(G, w) and d/dw = F(G, dy).
function backpropInputCore(g: Geom, dy: Tensor, w: Tensor): Tensor {
  const dx = backpropInputKernel(g, dy.contiguousCopy(), w.contiguousCopy());
  return record(dx, 'conv2dBackpropInput', [dy, w], (gg) => [
    dy.requiresGrad ? conv2dCore(g, gg, w, null) : null,
    w.requiresGrad ? backpropFilterCore(g, gg, dy) : null,
  ]);
}

/**
 * A transposed convolution whose stride equals its kernel, unpadded, undilated and ungrouped (a
 * U-Net's 2x2 stride-2 upsampler): its kernel footprints do not overlap, so the native kernel
 * writes each output pixel once from one GEMM per filter row, bias included, instead of a zero
 * fill, a GEMM into im2col columns and a col2im accumulation (then a separate bias pass).
 */
function isDisjointTranspose(g: Geom): boolean {
  return g.groups === 1 && g.sh === g.kh && g.sw === g.kw && g.dh === 1 && g.dw === 1 && g.pt === 0 && g.pl === 0 &&
    g.h === g.oh * g.kh && g.w === g.ow * g.kw;
}

/**
 * Panels of a [kh, kw, Cout, Cin] filter for the disjoint transposed convolution (see packedOnce):
 * 'now' packs them, 'cached' only finds the ones packed before at the filter's current version.
 */
function transposeFilterPanels(w: Tensor, when: 'now' | 'cached'): PackedPanels | null {
  if (w.rank !== 4 || !w.isContiguous) return null;
  return packedOnce(w, 'conv-transpose-disjoint', when, (width) => {
    const [kh, kw, co, ci] = w.shape as [number, number, number, number];
    const data = new Float32Array(kh * Math.ceil((kw * co) / width) * width * ci);
    const g: Geom = {
      n: 1, h: kh, w: kw, c: co, kh, kw, cout: ci, oh: 1, ow: 1, sh: kh, sw: kw, dh: 1, dw: 1, pt: 0, pl: 0, groups: 1,
    };
    activeAddon()!.conv2dTransposeDisjointPack(f32(w), data, pack.conv2dTransposeDisjointPack(convArgs(g, { xOffset: 0, wOffset: w.offset, yOffset: 0 })));
    return data;
  });
}

/**
 * @internal Packs a fixed transposed-convolution filter ([kh, kw, Cout, Cin], the plan's 'hwoi'
 * weight) now for the disjoint kernel, as prepackFilter does for conv2d.
 */
export function prepackTransposeFilter(w: Tensor): void {
  transposeFilterPanels(w, 'now');
}

// dx = B(dy, w) + bias, B the adjoint of conv(., w) as in backpropInputCore.
function transposeDisjointCore(g: Geom, dy: Tensor, w: Tensor, bias: Tensor | null): Tensor {
  const addon = activeAddon()!;
  const dyc = dy.contiguousCopy();
  const wc = w.contiguousCopy();
  const dx = Tensor.empty([g.n, g.h, g.w, g.c], 'float32');
  const bc = bias?.contiguousCopy();
  const b = bc ? f32(bc).subarray(bc.offset, bc.offset + g.c) : null;
  const packed = transposeFilterPanels(wc, 'cached');
  addon.conv2dTransposeDisjoint(f32(dyc), f32(wc), f32(dx),
    pack.conv2dTransposeDisjoint(convArgs(g, { xOffset: 0, wOffset: wc.offset, yOffset: dyc.offset })), b,
    packed?.data ?? null, packed?.width ?? 0);
  const inputs = bias ? [dy, w, bias] : [dy, w];
  return record(dx, 'conv2dTransposeDisjoint', inputs, (gg) => [
    dy.requiresGrad ? conv2dCore(g, gg, w, null) : null,
    w.requiresGrad ? backpropFilterCore(g, gg, dy) : null,
    ...(bias ? [bias.requiresGrad ? sum(gg, [0, 1, 2]) : null] : []),
  ]);
}

// <H, F(x, dy)> = <dy, conv(x, H)>, so d/dx = B(dy, H) and d/d dy = conv(x, H).
function backpropFilterCore(g: Geom, x: Tensor, dy: Tensor): Tensor {
  const dw = backpropFilterKernel(g, x.contiguousCopy(), dy.contiguousCopy());
  return record(dw, 'conv2dBackpropFilter', [x, dy], (gg) => [
    x.requiresGrad ? backpropInputCore(g, dy, gg) : null,
    dy.requiresGrad ? conv2dCore(g, x, gg, null) : null,
  ]);
}

// ---------------------------------------------------------------------------------------------
// Argument handling

// Sizes, strides and dilations past int32 are refused here: the native kernels take them as int32
// (and no tensor has such an extent anyway).
function isInt(v: unknown, min: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= 2 ** 31 - 1;
}

function pair(fn: string, arg: string, v: unknown, dflt: number): [number, number] {
  if (v === undefined) return [dflt, dflt];
  if (isInt(v, 1)) return [v, v];
  if (Array.isArray(v) && v.length === 2 && isInt(v[0], 1) && isInt(v[1], 1)) return [v[0], v[1]];
  return argError(fn, arg, 'a positive integer or a pair of positive integers (each below 2^31)', describe(v));
}

function floatInput(fn: string, arg: string, v: unknown): Tensor {
  const t = toTensor(fn, arg, v);
  return t.dtype === 'float32' ? t : cast(t, 'float32');
}

type Pads = 'valid' | 'same' | [number, number, number, number]; // top, bottom, left, right

function parsePadding(fn: string, p: unknown, format: Conv2DDataFormat): Pads {
  if (p === undefined || p === 'valid' || p === 'VALID') return 'valid';
  if (p === 'same' || p === 'SAME') return 'same';
  const isPair = (q: unknown): q is [number, number] => Array.isArray(q) && q.length === 2 && isInt(q[0], 0) && isInt(q[1], 0);
  if (Array.isArray(p) && p.every(isPair)) {
    if (p.length === 2) return [p[0]![0], p[0]![1], p[1]![0], p[1]![1]];
    if (p.length === 4) {
      // tfjs form: one pair per axis of x, batch and channel pairs zero.
      const [hAx, wAx, zero] = format === 'NHWC' ? [1, 2, [0, 3]] : [2, 3, [0, 1]];
      if (zero.every((a) => p[a]![0] === 0 && p[a]![1] === 0)) return [p[hAx]![0], p[hAx]![1], p[wAx]![0], p[wAx]![1]];
    }
  }
  return argError(fn, 'padding', "'valid', 'same' or [[top, bottom], [left, right]] of non-negative integers", describe(p));
}

/** Output size and leading pad of one spatial axis. */
function axisGeom(fn: string, axis: string, size: number, k: number, s: number, d: number, pads: Pads, lo: number, hi: number,
  xShape: readonly number[], wShape: readonly number[]): { out: number; pad: number } {
  const eff = (k - 1) * d + 1;
  if (pads === 'same') {
    const out = Math.ceil(size / s);
    const total = Math.max((out - 1) * s + eff - size, 0);
    return { out, pad: Math.floor(total / 2) };
  }
  const padded = size + lo + hi;
  if (eff > padded) {
    const how = pads === 'valid' ? 'with valid padding' : `with padding [${lo},${hi}]`;
    argError(fn, 'filter', `a kernel no larger than the input ${how} (${axis}: input ${size}${pads === 'valid' ? '' : ` padded to ${padded}`}, x has shape [${xShape.join(',')}])`,
      `shape [${wShape.join(',')}] with ${axis === 'height' ? 'kh' : 'kw'} = ${k}${d > 1 ? ` dilated to ${eff}` : ''}`);
  }
  return { out: Math.floor((padded - eff) / s) + 1, pad: lo };
}

interface Parsed {
  g: Geom;
  nchw: boolean;
  bias: Tensor | null;
}

/**
 * Validates conv2d arguments against x [N, H, W, C] (NHWC-ordered dims) and an HWIO filter shape.
 * xShape / wShape are the user's shapes (for messages).
 */
function geometry(fn: string, xDims: readonly number[], wDims: readonly number[], o: Conv2DOptions,
  xShape: readonly number[], wShape: readonly number[], xArg = 'x', chanLabel?: string): Geom {
  const format = o.dataFormat ?? 'NHWC';
  const [sh, sw] = pair(fn, 'strides', o.strides, 1);
  const [dh, dw] = pair(fn, 'dilations', o.dilations, 1);
  const groups = o.groups ?? 1;
  if (!isInt(groups, 1)) argError(fn, 'groups', 'a positive integer', describe(groups));
  const pads = parsePadding(fn, o.padding, format);
  const [n, h, w, c] = xDims as [number, number, number, number];
  const [kh, kw, cg, cout] = wDims as [number, number, number, number];
  if (c % groups !== 0 || cout % groups !== 0) {
    argError(fn, 'groups', `a divisor of the input channels ${c} and the output channels ${cout} (x has shape [${xShape.join(',')}], filter [${wShape.join(',')}])`,
      String(groups));
  }
  if (cg * groups !== c) {
    const where = chanLabel ?? (format === 'NHWC' ? 'filter[2]' : 'filter[1]');
    argError(fn, 'filter', `${where} = input channels / groups = ${c}/${groups} = ${c / groups} (${xArg} has shape [${xShape.join(',')}], ${chanLabel ? (format === 'NHWC' ? 'NWC' : 'NCW') : format})`,
      `shape [${wShape.join(',')}]`);
  }
  const [pt, pb, pl, pr] = typeof pads === 'string' ? [0, 0, 0, 0] : pads;
  const ay = axisGeom(fn, 'height', h, kh, sh, dh, pads, pt, pb, xShape, wShape);
  const ax = axisGeom(fn, 'width', w, kw, sw, dw, pads, pl, pr, xShape, wShape);
  return { n, h, w, c, kh, kw, cout, oh: ay.out, ow: ax.out, sh, sw, dh, dw, pt: ay.pad, pl: ax.pad, groups };
}

function checkOptions(fn: string, o: unknown): Conv2DOptions {
  if (o === undefined) return {};
  if (typeof o !== 'object' || o === null || Array.isArray(o)) argError(fn, 'options', 'an options object', describe(o));
  const opts = o as Conv2DOptions;
  const f = opts.dataFormat ?? 'NHWC';
  if (f !== 'NHWC' && f !== 'NCHW') argError(fn, 'dataFormat', "'NHWC' or 'NCHW'", describe(f));
  return opts;
}

/** The residual as an NHWC tensor of the output's shape (a transposed view for NCHW). */
function residualOf(fn: string, r: unknown, g: Geom, nchw: boolean, batched: boolean): Tensor | null {
  if (r === undefined || r === null) return null;
  const t = floatInput(fn, 'residual', r);
  const want = nchw ? [g.n, g.cout, g.oh, g.ow] : [g.n, g.oh, g.ow, g.cout];
  const shape = batched ? want : want.slice(1);
  if (t.rank !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    argError(fn, 'residual', `the output's shape [${shape.join(',')}]`, `shape [${t.shape.join(',')}]`);
  }
  const t4 = batched ? t : reshape(t, want);
  return nchw ? transpose(t4, [0, 2, 3, 1]) : t4;
}

function biasOf(fn: string, b: unknown, channels: number): Tensor | null {
  if (b === undefined || b === null) return null;
  const t = floatInput(fn, 'bias', b);
  if (t.rank !== 1 || t.shape[0] !== channels) argError(fn, 'bias', `shape [${channels}] (one value per output channel)`, `shape [${t.shape.join(',')}]`);
  return t;
}

/** x and filter as NHWC / HWIO views (transposed views for NCHW). */
function toNhwc(fn: string, x: Tensor, w: Tensor, nchw: boolean, xArg = 'x'): { x4: Tensor; w4: Tensor; batched: boolean } {
  if (x.rank !== 3 && x.rank !== 4) argError(fn, xArg, `a rank-4 tensor [${nchw ? 'N,C,H,W' : 'N,H,W,C'}] (or rank 3 without the batch)`, `shape [${x.shape.join(',')}]`);
  if (w.rank !== 4) argError(fn, 'filter', `a rank-4 filter [${nchw ? 'Cout,Cin/groups,kh,kw' : 'kh,kw,Cin/groups,Cout'}]`, `shape [${w.shape.join(',')}]`);
  const batched = x.rank === 4;
  const xb = batched ? x : reshape(x, [1, ...x.shape]);
  return {
    x4: nchw ? transpose(xb, [0, 2, 3, 1]) : xb,
    w4: nchw ? filterToTapsFirst(w) : w,
    batched,
  };
}

/** The filter layout kernel: [o, i, t] <-> [t, i, o] of a contiguous copy of `src`, into a fresh tensor of `shape`. */
function moveFilter(addon: NonNullable<ReturnType<typeof activeAddon>>, src: Tensor, shape: number[], o: number, i: number, t: number,
  toTapsFirst: boolean): Tensor {
  const sc = src.contiguousCopy();
  const out = Tensor.empty(shape, 'float32');
  addon.conv2dFilterLayout(f32(sc), f32(out), pack.conv2dFilterLayout({ o, i, t, toTapsFirst: toTapsFirst ? 1 : 0, srcOffset: sc.offset, dstOffset: 0 }));
  return out;
}

/**
 * A channels-first filter [O, I, kh, kw] as the contiguous [kh, kw, I, O] the kernels read: the
 * transpose [2, 3, 1, 0], done natively by a blocked copy, and differentiable so that the filter's
 * gradient comes back contiguous in its own layout (an optimizer then updates it without first
 * gathering a transposed view). The js backend keeps the transposed view.
 */
function filterToTapsFirst(w: Tensor): Tensor {
  const addon = activeAddon();
  if (!addon) return transpose(w, [2, 3, 1, 0]);
  const [o, i, kh, kw] = w.shape as [number, number, number, number];
  const out = moveFilter(addon, w, [kh, kw, i, o], o, i, kh * kw, true);
  return record(out, 'filterToTapsFirst', [w], (g) => [filterToChannelsFirst(addon, g, o, i, kh, kw)]);
}

/** The gradient of {@link filterToTapsFirst}: [kh, kw, I, O] back to a contiguous [O, I, kh, kw]. */
function filterToChannelsFirst(addon: NonNullable<ReturnType<typeof activeAddon>>, g: Tensor, o: number, i: number, kh: number,
  kw: number): Tensor {
  const out = moveFilter(addon, g, [o, i, kh, kw], o, i, kh * kw, false);
  return record(out, 'filterToChannelsFirst', [g], (gg) => [moveFilter(addon, gg, [kh, kw, i, o], o, i, kh * kw, true)]);
}

function fromNhwc(y: Tensor, nchw: boolean, batched: boolean): Tensor {
  const t = nchw ? transpose(y, [0, 3, 1, 2]) : y;
  const out = batched ? t : reshape(t, t.shape.slice(1));
  // The channels-last result lives on only through the returned view; dropped now (when no backward
  // pass needs it), disposing that view hands the buffer straight back to the pool.
  if (out !== y && !y.requiresGrad) y.dispose();
  return out;
}

/** The same numbers, element by element (shapes of one rank). */
/**
 * The distance between the pixels of an NHWC x whose channels are dense but whose pixels are
 * evenly spaced wider apart (a channel slice of a wider tensor: ShuffleNet's split halves), else 0.
 */
function pixelStride(x: Tensor): number {
  if (x.rank !== 4 || x.strides[3] !== 1) return 0;
  const [n, h, w, c] = x.shape as [number, number, number, number];
  const ld = x.strides[2]!;
  if (ld < c || (h > 1 && x.strides[1] !== ld * w) || (n > 1 && x.strides[0] !== ld * w * h)) return 0;
  return ld;
}

/** @internal Where bindConv2d's step writes its output: a channel slice of a wider NHWC tensor. */
export interface ConvTarget {
  tensor: Tensor;
  channelOffset: number;
}

/** Whether `t` is a contiguous float32 NHWC tensor holding `shape`'s pixels and channels [off, off + cout). */
function fitsTarget(t: Tensor, shape: readonly number[], off: number): boolean {
  return t.dtype === 'float32' && t.rank === 4 && t.isContiguous && t.shape[0] === shape[0] && t.shape[1] === shape[1] &&
    t.shape[2] === shape[2] && off >= 0 && off + shape[3]! <= t.shape[3]!;
}

/** Copies the NHWC `y` into its channel slice of `into.tensor` (the fallback of a bound conv with a target). */
function copyIntoChannels(y: Tensor, into: ConvTarget): void {
  const t = into.tensor;
  if (!fitsTarget(t, y.shape, into.channelOffset)) {
    throw new Error(`conv2d: cannot write [${y.shape.join(',')}] into channels from ${into.channelOffset} of [${t.shape.join(',')}]`);
  }
  copyView(y.shape, y.buffer, y, t.buffer, { offset: t.offset + into.channelOffset, strides: t.strides });
}

function sameDims(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * @internal conv2d (NHWC) bound to one filter, bias, activation and set of options, for the steps of
 * an imported model's inference plan. The options are checked and the geometry derived once per
 * input shape, so a call only makes the output and runs the kernel: conv2d itself re-validates the
 * options, re-parses the padding and re-derives the geometry on every call, about 1 us of a batch-1
 * mobilenet layer that computes for 5-60 us, over ~50 convolutions per pass. Whatever the bound
 * path does not cover (the js backend, a recording tape, a strided or non-float32
 * input, a residual of another layout) goes to conv2d, which also gives its errors.
 *
 * With `into`, the output is written into channels [channelOffset, channelOffset + Cout) of
 * `into.tensor` (contiguous NHWC with the output's N, H and W and at least that many channels),
 * which is returned: a channel Concat's part written in place (see concat-in-place.ts). Paths the
 * kernel cannot stride (and the generic fallback) compute densely and copy into the slice.
 */
export function bindConv2d(w: Tensor, o: Conv2DOptions): (x: Tensor, residual: Tensor | null, into?: ConvTarget) => Tensor {
  const plain = (x: Tensor, r: Tensor | null): Tensor => conv2d(x, w, r ? { ...o, residual: r } : o);
  const generic = (x: Tensor, r: Tensor | null, into?: ConvTarget): Tensor => {
    const y = plain(x, r);
    if (!into) return y;
    copyIntoChannels(y, into);
    y.dispose();
    return into.tensor;
  };
  if ((o.dataFormat ?? 'NHWC') !== 'NHWC' || w.rank !== 4 || w.dtype !== 'float32' || !w.isContiguous) return generic;
  if (o.bias && (o.bias.dtype !== 'float32' || !o.bias.isContiguous)) return generic;
  let bound: {
    addon: NonNullable<ReturnType<typeof activeAddon>>; xShape: number[]; g: Geom; code: number; bias: Float32Array | null;
    packed: PackedPanels | null;
  } | null = null;
  const bind = (x: Tensor): typeof bound => {
    const addon = activeAddon();
    if (!addon || x.rank !== 4) return null;
    // Checked as conv2d checks them: a bad shape throws here as it would there.
    const g = geometry('conv2d', x.shape, w.shape, o, x.shape, w.shape);
    const bias = biasOf('conv2d', o.bias, g.cout);
    const act = resolveFusedActivation('conv2d', o.activation);
    const code = act.name === null ? -1 : addon.unaryOps.indexOf(act.name);
    if (act.name !== null && code < 0) return null;
    // The packed panels of w, looked up once (the plan prepacked them; a changed weight gets a new plan).
    const packed = g.groups === 1 ? filterPanels(w) : null;
    return { addon, xShape: x.shape.slice(), g, code, bias: bias ? f32(bias).subarray(bias.offset, bias.offset + g.cout) : null, packed };
  };
  const act = resolveFusedActivation('conv2d', o.activation);
  return (x, r, into) => {
    if (x.dtype !== 'float32' || needsGrad(r ? [x, w, r] : [x, w]) || (o.bias && o.bias.requiresGrad && isGradEnabled())) return generic(x, r, into);
    // A pointwise convolution reads a channel slice's spaced pixels in place (a GEMM operand with a
    // row stride); anything else strided goes through conv2d's contiguous copy.
    const ldx = x.isContiguous ? 0 : pixelStride(x);
    if (!x.isContiguous && ldx === 0) return generic(x, r, into);
    if (!bound || !sameDims(x.shape, bound.xShape) || bound.addon !== activeAddon()) bound = bind(x);
    if (!bound) return generic(x, r, into);
    const { g, addon } = bound;
    if (ldx !== 0 && !(g.groups === 1 && g.kh === 1 && g.kw === 1 && g.sh === 1 && g.sw === 1 && g.pt === 0 && g.pl === 0 && g.oh === g.h && g.ow === g.w)) {
      return generic(x, r, into);
    }
    const outShape = [g.n, g.oh, g.ow, g.cout];
    if (r && (r.dtype !== 'float32' || !r.isContiguous || !sameDims(r.shape, outShape))) return generic(x, r, into);
    let y: Tensor;
    let yOffset = 0;
    let ldy = 0;
    if (into) {
      const t = into.tensor;
      if (!fitsTarget(t, outShape, into.channelOffset)) return generic(x, r, into);
      y = t;
      yOffset = t.offset + into.channelOffset;
      ldy = t.shape[3]!;
    } else {
      y = Tensor.empty(outShape, 'float32');
    }
    const packed = bound.packed ?? (g.groups === 1 ? filterPanels(w) : null);
    addon.conv2d(f32(x), f32(w), f32(y), pack.conv2d(convArgs(g, { xOffset: x.offset, wOffset: w.offset, yOffset, xPixelStride: ldx, yPixelStride: ldy })),
      bound.bias, bound.code, act.p0, act.p1, r ? f32(r).subarray(r.offset, r.offset + r.size) : null, packed?.data ?? null, packed?.width ?? 0);
    return y;
  };
}

// ---------------------------------------------------------------------------------------------
// Public ops

/**
 * 2-d convolution (cross-correlation, as in every framework).
 * NHWC (default): x [N, H, W, C] (or [H, W, C]), filter [kh, kw, C/groups, Cout] -> [N, OH, OW, Cout].
 * NCHW: x [N, C, H, W], filter [Cout, C/groups, kh, kw] (PyTorch/ONNX) -> [N, Cout, OH, OW].
 */
export function conv2d(xIn: Tensor, filterIn: Tensor, options?: Conv2DOptions): Tensor {
  const fn = 'conv2d';
  const o = checkOptions(fn, options);
  const x = floatInput(fn, 'x', xIn);
  const w = floatInput(fn, 'filter', filterIn);
  const nchw = o.dataFormat === 'NCHW';
  const { x4, w4, batched } = toNhwc(fn, x, w, nchw);
  const g = geometry(fn, x4.shape, w4.shape, o, x.shape, w.shape);
  const bias = biasOf(fn, o.bias, g.cout);
  const act = resolveFusedActivation(fn, o.activation);
  const residual = residualOf(fn, o.residual, g, nchw, batched);
  return fromNhwc(conv2dCore(g, x4, w4, bias, act, residual), nchw, batched);
}

/** conv2d of 4-d tensors with argument errors phrased for `fn` and the caller's own shapes. */
function conv2dFor(fn: string, x4: Tensor, w4: Tensor, o: Conv2DOptions, xShape: readonly number[], wShape: readonly number[],
  chanLabel: string): Tensor {
  const nchw = o.dataFormat === 'NCHW';
  const { x4: xn, w4: wn } = toNhwc(fn, x4, w4, nchw);
  const g = geometry(fn, xn.shape, wn.shape, o, xShape, wShape, 'x', chanLabel);
  const bias = biasOf(fn, o.bias, g.cout);
  return fromNhwc(conv2dCore(g, xn, wn, bias, resolveFusedActivation(fn, o.activation)), nchw, true);
}

/**
 * The transposed convolution ("deconvolution"): the adjoint of {@link conv2d} with respect to its
 * input, so <conv2d(x, w), y> == <x, conv2dTranspose(y, w)> for the same options. The filter is the
 * one of that conv2d: NHWC [kh, kw, outChannels/groups, inChannels] (tfjs conv2dTranspose); NCHW
 * [inChannels, outChannels/groups, kh, kw] (PyTorch ConvTranspose2d / ONNX ConvTranspose). Strides,
 * padding and dilations are those of the conv2d; outputShape picks its input size.
 */
export function conv2dTranspose(xIn: Tensor, filterIn: Tensor, options?: Conv2DTransposeOptions): Tensor {
  const fn = 'conv2dTranspose';
  const o = checkOptions(fn, options) as Conv2DTransposeOptions;
  const x = floatInput(fn, 'x', xIn);
  const w = floatInput(fn, 'filter', filterIn);
  const nchw = o.dataFormat === 'NCHW';
  const { x4, w4, batched } = toNhwc(fn, x, w, nchw);
  const [n, oh, ow, cy] = x4.shape as [number, number, number, number];
  const [kh, kw, cg, cout] = w4.shape as [number, number, number, number];
  const groups = o.groups ?? 1;
  if (!isInt(groups, 1)) argError(fn, 'groups', 'a positive integer', describe(groups));
  if (cy !== cout) {
    argError(fn, 'filter', `${nchw ? 'filter[0]' : 'filter[3]'} = the channels of x = ${cy} (x has shape [${x.shape.join(',')}], ${nchw ? 'NCHW' : 'NHWC'})`,
      `shape [${w.shape.join(',')}]`);
  }
  const c = cg * groups;
  const [sh, sw] = pair(fn, 'strides', o.strides, 1);
  const [dh, dw] = pair(fn, 'dilations', o.dilations, 1);
  const pads = parsePadding(fn, o.padding, nchw ? 'NCHW' : 'NHWC');
  let h: number;
  let wd: number;
  if (o.outputShape !== undefined) {
    const s = o.outputShape;
    const ok = Array.isArray(s) && (s.length === 2 || s.length === 3 || s.length === 4) && s.every((v) => isInt(v, 1));
    if (!ok) argError(fn, 'outputShape', '[H, W] or the full output shape', describe(s));
    const sp = s.length === 2 ? s : nchw ? s.slice(-2) : s.slice(-3, -1);
    [h, wd] = [sp[0]!, sp[1]!];
    if (s.length >= 3) {
      const ch = nchw ? s[s.length - 3] : s[s.length - 1];
      if (ch !== c) argError(fn, 'outputShape', `${c} channels (filter [${w.shape.join(',')}], groups ${groups})`, describe(s));
      if (s.length === 4 && s[0] !== n) argError(fn, 'outputShape', `batch ${n} (x has shape [${x.shape.join(',')}])`, describe(s));
    }
  } else if (pads === 'same') {
    [h, wd] = [oh * sh, ow * sw];
  } else {
    const [pt, pb, pl, pr] = pads === 'valid' ? [0, 0, 0, 0] : pads;
    [h, wd] = [(oh - 1) * sh + (kh - 1) * dh + 1 - pt - pb, (ow - 1) * sw + (kw - 1) * dw + 1 - pl - pr];
    if (h < 1 || wd < 1) argError(fn, 'padding', `padding smaller than the transposed output (x has shape [${x.shape.join(',')}])`, describe(o.padding));
  }
  const convX = nchw ? [n, c, h, wd] : [n, h, wd, c];
  const g = geometry(fn, [n, h, wd, c], w4.shape, o, convX, w.shape, 'output');
  if (g.oh !== oh || g.ow !== ow) {
    argError(fn, 'outputShape', `a size whose conv2d output is ${oh}x${ow} (x has shape [${x.shape.join(',')}])`, `${h}x${wd}, whose conv2d output is ${g.oh}x${g.ow}`);
  }
  const bias = biasOf(fn, o.bias, c);
  if (isDisjointTranspose(g) && activeAddon()) return fromNhwc(transposeDisjointCore(g, x4, w4, bias), nchw, batched);
  let y = backpropInputCore(g, x4, w4);
  if (bias) y = add(y, bias);
  return fromNhwc(y, nchw, batched);
}

/**
 * 1-d convolution on the conv2d kernel with H = 1.
 * NWC (default): x [N, W, C] (or [W, C]), filter [kw, C/groups, Cout]; NCW: x [N, C, W], filter [Cout, C/groups, kw].
 */
export function conv1d(xIn: Tensor, filterIn: Tensor, options?: Conv1DOptions): Tensor {
  const fn = 'conv1d';
  if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options))) {
    argError(fn, 'options', 'an options object', describe(options));
  }
  const o = options ?? {};
  const fmt = o.dataFormat ?? 'NWC';
  if (fmt !== 'NWC' && fmt !== 'NCW') argError(fn, 'dataFormat', "'NWC' or 'NCW'", describe(fmt));
  const x = floatInput(fn, 'x', xIn);
  const w = floatInput(fn, 'filter', filterIn);
  const ncw = fmt === 'NCW';
  if (x.rank !== 2 && x.rank !== 3) argError(fn, 'x', `a rank-3 tensor [${ncw ? 'N,C,W' : 'N,W,C'}] (or rank 2 without the batch)`, `shape [${x.shape.join(',')}]`);
  if (w.rank !== 3) argError(fn, 'filter', `a rank-3 filter [${ncw ? 'Cout,Cin/groups,kw' : 'kw,Cin/groups,Cout'}]`, `shape [${w.shape.join(',')}]`);
  const stride = o.stride ?? 1;
  const dilation = o.dilation ?? 1;
  if (!isInt(stride, 1)) argError(fn, 'stride', 'a positive integer', describe(stride));
  if (!isInt(dilation, 1)) argError(fn, 'dilation', 'a positive integer', describe(dilation));
  const p = o.padding ?? 'valid';
  let padding: ConvPadding;
  if (p === 'valid' || p === 'same') padding = p;
  else if (Array.isArray(p) && p.length === 2 && isInt(p[0], 0) && isInt(p[1], 0)) padding = [[0, 0], [p[0], p[1]]];
  else return argError(fn, 'padding', "'valid', 'same' or [left, right] of non-negative integers", describe(p));
  const batched = x.rank === 3;
  const xb = batched ? x : reshape(x, [1, ...x.shape]);
  const [a, b, cc] = xb.shape as [number, number, number];
  const x4 = ncw ? reshape(xb, [a, b, 1, cc]) : reshape(xb, [a, 1, b, cc]);
  const [w0, w1, w2] = w.shape as [number, number, number];
  const w4 = ncw ? reshape(w, [w0, w1, 1, w2]) : reshape(w, [1, w0, w1, w2]);
  const y4 = conv2dFor(fn, x4, w4, {
    strides: [1, stride], dilations: [1, dilation], padding, groups: o.groups ?? 1,
    dataFormat: ncw ? 'NCHW' : 'NHWC', bias: o.bias ?? null,
  }, x.shape, w.shape, 'filter[1]');
  const [n, d1, d2, d3] = y4.shape as [number, number, number, number];
  const y = ncw ? reshape(y4, [n, d1, d3]) : reshape(y4, [n, d2, d3]);
  return batched ? y : reshape(y, y.shape.slice(1));
}

// ---------------------------------------------------------------------------------------------
// Registry

// Fused epilogues on each kernel path: depthwise, im2col + GEMM, pointwise GEMM, direct small-k.
// Filters are scaled down so the outputs stay inside the smooth ranges of hardSwish (+-3) and
// hardSigmoid (+-3.7 here); leakyRelu's kink at 0 is avoided as the relu checks do (bias-dominated
// outputs); clip's bounds are wide for finite differences, and saturated ranges are checked
// without gradients.
const EPILOGUES: readonly (readonly [string, FusedActivation])[] = [
  ['sigmoid', 'sigmoid'], ['silu', 'silu'], ['gelu', 'gelu'], ['hardSwish', 'hardSwish'],
  ['hardSigmoid', { name: 'hardSigmoid', alpha: 0.15, beta: 0.55 }], ['clip wide', { name: 'clip', min: -10, max: 10 }],
];
const EPILOGUE_PATHS: readonly { label: string; shapes: number[][]; opts: Conv2DOptions }[] = [
  { label: 'depthwise 3x3 same', shapes: [[2, 5, 6, 5], [3, 3, 1, 5], [5], [2, 5, 6, 5]], opts: { groups: 5, padding: 'same' } },
  { label: '3x3 im2col', shapes: [[2, 5, 6, 12], [3, 3, 12, 6], [6], [2, 3, 4, 6]], opts: {} },
  { label: '1x1', shapes: [[2, 4, 5, 3], [1, 1, 3, 5], [5], [2, 4, 5, 5]], opts: {} },
  { label: '1x1 to 3 channels (transposed GEMM)', shapes: [[2, 4, 5, 6], [1, 1, 6, 3], [3], [2, 4, 5, 3]], opts: {} },
  { label: 'direct small-k, stride 2', shapes: [[1, 7, 6, 2], [3, 3, 2, 4], [4], [1, 4, 3, 4]], opts: { strides: 2, padding: 'same' } },
];
const epilogueChecks: OpCheck[] = EPILOGUES.flatMap(([name, activation]) => EPILOGUE_PATHS.map((path) => ({
  label: `${name}, ${path.label}, bias + residual`, shapes: path.shapes,
  run: (x: Tensor, w: Tensor, b: Tensor, r: Tensor) => conv2d(x, mul(w, 0.2), { ...path.opts, bias: b, residual: r, activation }),
})));
epilogueChecks.push(
  ...EPILOGUE_PATHS.map((path) => ({
    label: `leakyRelu, ${path.label}, bias`, shapes: path.shapes.slice(0, 3), domain: 'awayFromZero' as const,
    run: (x: Tensor, w: Tensor, b: Tensor) => conv2d(x, mul(w, 0.01), { ...path.opts, bias: mul(b, 5), activation: { name: 'leakyRelu', alpha: 0.1 } }),
  })),
  {
    label: 'leakyRelu alpha -0.3 (gradient from the input), depthwise', shapes: [[2, 5, 6, 5], [3, 3, 1, 5], [5]], domain: 'awayFromZero',
    run: (x, w, b) => conv2d(x, mul(w, 0.01), { groups: 5, padding: 'same', bias: mul(b, 5), activation: { name: 'leakyRelu', alpha: -0.3 } }),
  },
  {
    label: 'relu, 1x1 to 4 channels (transposed GEMM), bias', shapes: [[2, 4, 5, 7], [1, 1, 7, 4], [4]], domain: 'awayFromZero',
    run: (x, w, b) => conv2d(x, mul(w, 0.01), { bias: mul(b, 5), activation: 'relu' }),
  },
  {
    // 2220 pixels: two full blocks of 1024 and a partial one.
    label: '1x1 to 2 channels, large (transposed GEMM blocks)', shapes: [[2, 30, 37, 5], [1, 1, 5, 2]], grad: false,
    run: (x, w) => conv2d(x, w),
  },
  {
    label: 'relu + residual, 1x1', shapes: [[2, 4, 5, 3], [1, 1, 3, 5], [5], [2, 4, 5, 5]], domain: 'awayFromZero',
    run: (x, w, b, r) => conv2d(x, mul(w, 0.01), { bias: mul(b, 5), residual: mul(r, 0.01), activation: 'relu' }),
  },
  {
    label: 'residual, NCHW depthwise multiplier 2', shapes: [[2, 3, 7, 6], [6, 1, 3, 3], [6], [2, 6, 4, 3]],
    run: (x, w, b, r) => conv2d(x, w, { dataFormat: 'NCHW', groups: 3, strides: 2, padding: [[1, 1], [1, 1]], bias: b, residual: r }),
  },
  ...([['relu6', { name: 'clip', min: 0, max: 6 }], ['clip', { name: 'clip', min: -0.5, max: 0.7 }], ['hardSigmoid', { name: 'hardSigmoid', alpha: 0.2, beta: 0.5 }],
    ['hardSwish', 'hardSwish'], ['leakyRelu', { name: 'leakyRelu', alpha: 0.2 }]] as const).flatMap(([name, activation]) => [
    {
      label: `${name} saturated, large depthwise`, shapes: [[2, 9, 20, 21], [3, 3, 1, 21], [21], [2, 9, 20, 21]], grad: false,
      run: (x: Tensor, w: Tensor, b: Tensor, r: Tensor) => conv2d(x, mul(w, 3), { groups: 21, padding: 'same', bias: b, residual: r, activation }),
    },
    {
      label: `${name} saturated, large im2col`, shapes: [[2, 17, 19, 4], [3, 3, 4, 16], [16], [2, 17, 19, 16]], grad: false,
      // Scaled down so float32 accumulation error stays within the absolute tolerance where z cancels to ~0.
      run: (x: Tensor, w: Tensor, b: Tensor, r: Tensor) => conv2d(x, mul(w, 0.25), { padding: 'same', bias: b, residual: mul(r, 0.25), activation }),
    },
  ]),
);

registerOp({
  name: 'conv2d',
  onnx: 'Conv',
  kind: 'kernel',
  native: true,
  differentiable: true,
  checks: [
    { label: 'valid, bias', shapes: [[2, 5, 6, 3], [3, 3, 3, 4], [4]], run: (x, w, b) => conv2d(x, w, { bias: b }) },
    { label: 'same, stride 2', shapes: [[2, 5, 6, 2], [3, 2, 2, 3]], run: (x, w) => conv2d(x, w, { strides: 2, padding: 'same' }) },
    {
      label: 'explicit padding, strides [3,2]', shapes: [[1, 7, 6, 2], [2, 3, 2, 3]],
      run: (x, w) => conv2d(x, w, { strides: [3, 2], padding: [[1, 2], [0, 1]] }),
    },
    { label: 'dilation 2, same', shapes: [[1, 6, 7, 2], [3, 3, 2, 2]], run: (x, w) => conv2d(x, w, { dilations: 2, padding: 'same' }) },
    { label: 'groups 2, bias', shapes: [[2, 5, 6, 4], [3, 3, 2, 6], [6]], run: (x, w, b) => conv2d(x, w, { groups: 2, bias: b }) },
    { label: 'depthwise', shapes: [[1, 5, 6, 3], [3, 3, 1, 6]], run: (x, w) => conv2d(x, w, { groups: 3, padding: 'same' }) },
    { label: '1x1', shapes: [[2, 4, 5, 3], [1, 1, 3, 5], [5]], run: (x, w, b) => conv2d(x, w, { bias: b }) },
    // Depthwise kernels (groups == C): channel counts off the vector widths (tails of 8, 4, 1),
    // interior runs of several register blocks, borders, strides, dilations, multipliers.
    {
      label: 'depthwise 3x3 s1 same, C=21, bias', shapes: [[2, 7, 19, 21], [3, 3, 1, 21], [21]],
      run: (x, w, b) => conv2d(x, w, { groups: 21, padding: 'same', bias: b }),
    },
    {
      label: 'depthwise 3x3 s2 pad 1, C=13', shapes: [[1, 9, 20, 13], [3, 3, 1, 13]],
      run: (x, w) => conv2d(x, w, { groups: 13, strides: 2, padding: [[1, 1], [1, 1]] }),
    },
    {
      label: 'depthwise 5x5 s1 same, C=24, bias', shapes: [[1, 6, 17, 24], [5, 5, 1, 24], [24]],
      run: (x, w, b) => conv2d(x, w, { groups: 24, padding: 'same', bias: b }),
    },
    {
      label: 'depthwise 5x5 s2 same, C=5', shapes: [[2, 11, 12, 5], [5, 5, 1, 5]],
      run: (x, w) => conv2d(x, w, { groups: 5, strides: 2, padding: 'same' }),
    },
    // Feature maps so small that most pixels are borders (7x7 with 3x3, 5x6 with 5x5): the border
    // columns run the blocked kernel over zero-padded copies of their input columns.
    {
      label: 'depthwise 3x3 s1 pad 1 on 7x7, C=40, bias', shapes: [[2, 7, 7, 40], [3, 3, 1, 40], [40]],
      run: (x, w, b) => conv2d(x, w, { groups: 40, padding: [[1, 1], [1, 1]], bias: b }),
    },
    {
      label: 'depthwise 5x5 s1 pad 2 on 5x6, C=20', shapes: [[1, 5, 6, 20], [5, 5, 1, 20]],
      run: (x, w) => conv2d(x, w, { groups: 20, padding: [[2, 2], [2, 2]] }),
    },
    {
      label: 'depthwise 5x5 s2 pad [1,3] on 9x9, C=17', shapes: [[1, 9, 9, 17], [5, 5, 1, 17]],
      run: (x, w) => conv2d(x, w, { groups: 17, strides: 2, padding: [[2, 2], [1, 3]] }),
    },
    {
      label: 'depthwise 3x3 dilation 2, strides [2,1]', shapes: [[1, 9, 11, 6], [3, 3, 1, 6]],
      run: (x, w) => conv2d(x, w, { groups: 6, dilations: 2, strides: [2, 1], padding: 'same' }),
    },
    {
      label: 'depthwise 2x4 dilations [1,2], valid', shapes: [[2, 5, 12, 4], [2, 4, 1, 4]],
      run: (x, w) => conv2d(x, w, { groups: 4, dilations: [1, 2] }),
    },
    {
      label: 'depthwise multiplier 3, stride 2, bias', shapes: [[2, 6, 7, 5], [3, 3, 1, 15], [15]],
      run: (x, w, b) => conv2d(x, w, { groups: 5, strides: 2, padding: 'same', bias: b }),
    },
    {
      label: 'depthwise tiny 1x2, padding past the kernel, relu', shapes: [[1, 1, 2, 3], [3, 3, 1, 3]], domain: 'awayFromZero',
      run: (x, w) => conv2d(x, mul(w, 0.01), { groups: 3, padding: [[3, 2], [4, 3]], activation: 'relu' }),
    },
    {
      label: 'depthwise NCHW 3x3 s2 multiplier 2', shapes: [[2, 3, 7, 9], [6, 1, 3, 3]],
      run: (x, w) => conv2d(x, w, { dataFormat: 'NCHW', groups: 3, strides: 2, padding: [[1, 1], [1, 1]] }),
    },
    {
      label: 'depthwise large 3x3 s1, C=40', shapes: [[2, 20, 23, 40], [3, 3, 1, 40], [40]],
      run: (x, w, b) => conv2d(x, w, { groups: 40, padding: 'same', bias: b }), grad: false,
    },
    {
      label: 'NCHW, same, stride 2, bias', shapes: [[2, 3, 5, 6], [4, 3, 3, 3], [4]],
      run: (x, w, b) => conv2d(x, w, { dataFormat: 'NCHW', strides: 2, padding: 'same', bias: b }),
    },
    {
      label: 'NCHW, groups 2, dilations [2,1]', shapes: [[1, 4, 6, 7], [4, 2, 2, 2]],
      run: (x, w) => conv2d(x, w, { dataFormat: 'NCHW', groups: 2, dilations: [2, 1] }),
    },
    // The direct small-k kernels (k = kh*kw*Cin <= 32): output channels in 32-wide and 16-wide
    // blocks plus a scalar tail, taps in blocks of 12 (AVX-512) or 6, the filter gradient included.
    {
      label: 'direct 3x3 Cin=1, 56 output channels', shapes: [[2, 9, 8, 1], [3, 3, 1, 56], [56]],
      run: (x, w, b) => conv2d(x, w, { bias: b }),
    },
    {
      label: 'direct 3x3 Cin=3 (k = 27), 40 output channels', shapes: [[1, 5, 4, 3], [3, 3, 3, 40]],
      run: (x, w) => conv2d(x, w),
    },
    {
      label: 'large (several tiles)', shapes: [[2, 33, 35, 8], [3, 3, 8, 16], [16]],
      run: (x, w, b) => conv2d(x, w, { padding: 'same', bias: b }), grad: false,
    },
    // Fused relu: inputs keep every output at least ~0.04 (pointwise) or ~0.28 (3x3, bias-dominated)
    // away from the kink, so finite differences never cross it; both signs occur.
    {
      label: 'relu, 1x1 Cin=1', shapes: [[2, 3, 4, 1], [1, 1, 1, 5]], domain: 'awayFromZero',
      run: (x, w) => conv2d(x, w, { activation: 'relu' }),
    },
    {
      label: 'relu, 3x3 Cin=1, bias', shapes: [[2, 5, 6, 1], [3, 3, 1, 6], [6]], domain: 'awayFromZero',
      run: (x, w, b) => conv2d(x, mul(w, 0.02), { bias: mul(b, 5), activation: 'relu' }),
    },
    {
      label: 'relu, same, Cin=3, bias', shapes: [[2, 5, 6, 3], [3, 3, 3, 4], [4]], domain: 'awayFromZero',
      run: (x, w, b) => conv2d(x, mul(w, 0.005), { padding: 'same', bias: mul(b, 5), activation: 'relu' }),
    },
    {
      label: 'relu, large', shapes: [[2, 33, 35, 8], [3, 3, 8, 16], [16]],
      run: (x, w, b) => conv2d(x, w, { padding: 'same', bias: b, activation: 'relu' }), grad: false,
    },
    ...epilogueChecks,
  ],
});

registerOp({
  name: 'conv2dTranspose',
  onnx: 'ConvTranspose',
  kind: 'kernel',
  native: true,
  differentiable: true,
  checks: [
    {
      label: 'same, stride 2', shapes: [[2, 3, 3, 4], [3, 3, 2, 4]],
      run: (x, w) => conv2dTranspose(x, w, { strides: 2, padding: 'same', outputShape: [2, 5, 6, 2] }),
    },
    { label: 'valid', shapes: [[1, 3, 4, 3], [2, 3, 2, 3]], run: (x, w) => conv2dTranspose(x, w) },
    {
      label: 'NCHW, groups 2, padding, bias', shapes: [[1, 4, 3, 3], [4, 1, 3, 3], [2]],
      run: (x, w, b) => conv2dTranspose(x, w, { dataFormat: 'NCHW', groups: 2, strides: 2, padding: [[1, 1], [1, 1]], bias: b }),
    },
    { label: 'dilation 2', shapes: [[1, 3, 4, 2], [2, 2, 3, 2]], run: (x, w) => conv2dTranspose(x, w, { dilations: 2 }) },
    {
      label: 'large', shapes: [[2, 17, 18, 16], [3, 3, 8, 16]],
      run: (x, w) => conv2dTranspose(x, w, { strides: 2, padding: 'same', outputShape: [33, 35] }), grad: false,
    },
    // Stride == kernel, unpadded (the disjoint path: one GEMM per filter row, bias in the store).
    { label: '2x2 stride 2, bias', shapes: [[2, 3, 5, 4], [2, 2, 3, 4], [3]], run: (x, w, b) => conv2dTranspose(x, w, { strides: 2, bias: b }) },
    { label: '2x2 stride 2, no bias, 1 input channel', shapes: [[1, 3, 3, 1], [2, 2, 5, 1]], run: (x, w) => conv2dTranspose(x, w, { strides: 2 }) },
    { label: '3x2 stride [3,2], bias, odd sizes', shapes: [[2, 5, 3, 7], [3, 2, 5, 7], [5]], run: (x, w, b) => conv2dTranspose(x, w, { strides: [3, 2], bias: b }) },
    { label: '1x1 stride 1, bias', shapes: [[2, 3, 4, 6], [1, 1, 5, 6], [5]], run: (x, w, b) => conv2dTranspose(x, w, { bias: b }) },
    {
      label: 'NCHW 2x2 stride 2, bias', shapes: [[2, 6, 3, 5], [6, 4, 2, 2], [4]],
      run: (x, w, b) => conv2dTranspose(x, w, { dataFormat: 'NCHW', strides: 2, padding: 'valid', bias: b }),
    },
    {
      label: 'explicit zero padding, 2x2 stride 2', shapes: [[1, 4, 3, 5], [2, 2, 6, 5]],
      run: (x, w) => conv2dTranspose(x, w, { strides: 2, padding: [[0, 0], [0, 0]] }),
    },
    ...([[17, 20], [16, 48], [40, 24], [33, 7]] as const).map(([ci, co]) => ({
      label: `2x2 stride 2, ${ci} -> ${co} channels, bias, large`, shapes: [[2, 9, 13, ci], [2, 2, co, ci], [co]], grad: false,
      run: (x: Tensor, w: Tensor, b: Tensor) => conv2dTranspose(x, w, { strides: 2, bias: b }),
    })),
  ],
});

registerOp({
  name: 'conv1d',
  onnx: 'Conv',
  kind: 'kernel',
  native: true,
  differentiable: true,
  checks: [
    { label: 'NWC, same, stride 2, bias', shapes: [[2, 7, 3], [3, 3, 4], [4]], run: (x, w, b) => conv1d(x, w, { stride: 2, padding: 'same', bias: b }) },
    { label: 'NCW, dilation 2, padding', shapes: [[2, 3, 8], [4, 3, 2]], run: (x, w) => conv1d(x, w, { dataFormat: 'NCW', dilation: 2, padding: [1, 2] }) },
    { label: 'groups 2', shapes: [[1, 6, 4], [2, 2, 4]], run: (x, w) => conv1d(x, w, { groups: 2 }) },
  ],
});
