// The table of unary ops that everything outside src/ops reads: the layers' activations, the ONNX
// importer (plain operators and the recurrent ops' activations) and the ONNX exporter. Each entry
// is written once, next to its kernel, in src/ops/unary.ts; this file only holds the shapes of the
// entries and the look-ups, so that it imports nothing and everyone may import it.
import type { Tensor } from '../tensor/tensor';

/** One float parameter of a unary op (the native kernel's p0 or p1). */
export interface UnaryParam {
  /** The argument's name, which is also its ONNX attribute name. */
  readonly name: string;
  /** The library's default (the value activations use; for `clip`, the registry check's value). */
  readonly value: number;
  /** ONNX's default for the attribute when it differs from `value`. */
  readonly onnxDefault?: number;
  /** ±Infinity is a valid value (clip's bounds). */
  readonly infinite?: boolean;
}

/** A float attribute (number), a string attribute, or an int attribute. */
export type OnnxAttrValue = number | string | { readonly int: number };

/**
 * The little an ONNX form needs from the exporter, so op definitions can state their ONNX nodes
 * without depending on it.
 */
export interface OnnxEmitter {
  /** The `ai.onnx` opset being written. */
  readonly opset: number;
  /** Appends a one-output node; numbers become float attributes. Returns the output's name. */
  node(opType: string, inputs: string[], attributes?: Readonly<Record<string, OnnxAttrValue>>): string;
  /** A float32 scalar constant. */
  constant(value: number): string;
}

/** How a unary op reads and writes as ONNX. */
export interface UnaryOnnx {
  /** The ONNX operator that computes exactly this op: the importer maps it, the exporter writes it. */
  readonly op?: string;
  /** First opset defining `op` (default 1); below it the exporter writes `composite`. */
  readonly since?: number;
  /** How the parameters travel: as attributes named like them (default) or as scalar inputs 1, 2 (Clip from opset 11). */
  readonly paramsAs?: 'attributes' | 'inputs';
  /** Attributes with the one value the op implements: written on export, required on import. */
  readonly fixed?: Readonly<Record<string, string>>;
  /** The op written with older operators, for opsets without `op` (or always, without `op`). */
  readonly composite?: (e: OnnxEmitter, x: string, p0: number, p1: number) => string;
}

/** The op as a layer activation. */
export interface UnaryActivation {
  /** The activation's (tfjs) name, when it differs from the op's. */
  readonly name?: string;
  /** Other names that resolve to it (Keras snake_case and the like). */
  readonly aliases?: readonly string[];
  /** Its name in the `activations` attribute of ONNX LSTM/GRU/RNN, whose alpha/beta are its parameters. */
  readonly rnn?: string;
}

/** One unary op as the consumers of the table see it. */
export interface UnaryEntry {
  /** The op's (exported function's) name. */
  readonly name: string;
  readonly params: readonly UnaryParam[];
  /** The op with explicit parameters (missing ones take their defaults). */
  apply(x: Tensor, p0?: number, p1?: number): Tensor;
  readonly onnx: UnaryOnnx | null;
  readonly activation: UnaryActivation | null;
}

const entries = new Map<string, UnaryEntry>();

/** @internal called once per op by src/ops/unary.ts */
export function addUnaryEntry(entry: UnaryEntry): void {
  if (entries.has(entry.name)) throw new Error(`unary op '${entry.name}' is defined twice`);
  entries.set(entry.name, entry);
}

/** Every unary op, in definition order. Callers import src/ops/unary (which fills the table) first. */
export function unaryEntries(): UnaryEntry[] {
  return [...entries.values()];
}

/** The parameters' values in ONNX terms: the given ones, else ONNX's defaults. */
export function onnxParamDefaults(entry: UnaryEntry): number[] {
  return entry.params.map((p) => p.onnxDefault ?? p.value);
}

/**
 * Writes the op as ONNX: its operator when the opset has it (parameters as attributes or inputs),
 * else its composite.
 */
export function emitUnaryOnnx(entry: UnaryEntry, e: OnnxEmitter, x: string, p0 = entry.params[0]?.value ?? 0, p1 = entry.params[1]?.value ?? 0): string {
  const o = entry.onnx;
  if (o?.op && e.opset >= (o.since ?? 1)) {
    const values = [p0, p1].slice(0, entry.params.length);
    if (o.paramsAs === 'inputs') return e.node(o.op, [x, ...values.map((v) => e.constant(v))], o.fixed);
    const attributes: Record<string, OnnxAttrValue> = { ...o.fixed };
    entry.params.forEach((p, i) => (attributes[p.name] = values[i]!));
    return e.node(o.op, [x], attributes);
  }
  if (o?.composite) return o.composite(e, x, p0, p1);
  if (o?.op) throw new Error(`exportOnnx: op '${entry.name}' needs opset ${o.since} (${o.op}); export with { opset: ${o.since} }`);
  throw new Error(`exportOnnx: op '${entry.name}' has no ONNX form`);
}
