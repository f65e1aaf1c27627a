// Node attributes in the JSON-safe form imported layers keep in their config, and a typed reader
// over them. Types travel with values because ONNX tells INT from FLOAT by declaration, and a node
// must be written back (re-export) with the types it was read with.
import { decodeHalfArray } from '../../io/half';
import type { TaggedAttribute } from '../export/converter';
import type { OnnxAttributeKind, OnnxAttributeValue, OnnxDType, OnnxNode, OnnxTensor } from '../read-model';

/** A tensor-valued attribute in JSON form (int64 values as numbers; they are small here). */
export interface StoredTensor {
  dtype: OnnxDType;
  shape: number[];
  data: number[];
}

/** One attribute as an imported layer stores it (tensors in JSON form). */
export type StoredAttribute = TaggedAttribute<StoredTensor>;

/**
 * Converts a decoded tensor's elements to numbers (bigint int64 included; float16 bit patterns
 * decoded to their exact values; strings are refused).
 */
export function tensorNumbers(t: OnnxTensor, where: string): number[] {
  if (t.dtype === 'string') throw new Error(`${where}: string tensors are not supported`);
  if (t.dtype === 'float16') return Array.from(decodeHalfArray(t.data as Uint16Array));
  const out = new Array<number>(t.data.length);
  const data = t.data as ArrayLike<number | bigint>;
  for (let i = 0; i < out.length; i++) out[i] = Number(data[i]);
  return out;
}

/** Reads a node's attributes into stored form; graph-valued attributes (If/Loop bodies) are refused. */
export function storeAttributes(node: OnnxNode, where: string): Record<string, StoredAttribute> {
  const out: Record<string, StoredAttribute> = {};
  for (const [name, value] of Object.entries(node.attributes)) {
    const kind: OnnxAttributeKind = node.attributeKinds[name] ?? guessKind(value);
    switch (kind) {
      case 'int':
      case 'float':
        out[name] = { type: kind, value: value as number };
        break;
      case 'ints':
      case 'floats':
        out[name] = { type: kind, value: (value as number[]).map(Number) };
        break;
      case 'string':
        out[name] = { type: 'string', value: value as string };
        break;
      case 'strings':
        out[name] = { type: 'strings', value: value as string[] };
        break;
      case 'tensor': {
        const t = value as OnnxTensor;
        out[name] = { type: 'tensor', value: { dtype: t.dtype, shape: t.shape.slice(), data: tensorNumbers(t, `${where} attribute '${name}'`) } };
        break;
      }
      default:
        throw new Error(`${where}: attribute '${name}' of type ${kind} is not supported`);
    }
  }
  return out;
}

function guessKind(value: OnnxAttributeValue): OnnxAttributeKind {
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  if (typeof value === 'string') return 'string';
  if (Array.isArray(value)) return value.every((v) => typeof v === 'number') ? 'ints' : 'strings';
  return 'tensor';
}

/**
 * Attributes the ONNX spec defines as 0/1 flags, whichever op carries them. Checked when a node's
 * attributes are opened, so a bad value fails the import even on a path that would not read it.
 */
const FLAG_ATTRIBUTES: readonly string[] = [
  'allowzero', 'antialias', 'ceil_mode', 'count_include_pad', 'exclude_outside', 'input_forget', 'keepdims',
  'linear_before_reset', 'noop_with_empty_axes', 'storage_order', 'training_mode', 'layout', 'spatial',
  'transA', 'transB', 'detect_negative', 'detect_positive', 'select_last_index', 'exclusive', 'reverse', 'upper',
];

/** Typed, defaulted access to one node's attributes; wrong types throw naming the node. */
export class NodeAttributes {
  constructor(
    readonly values: Readonly<Record<string, StoredAttribute>>,
    readonly where: string,
  ) {
    for (const name of FLAG_ATTRIBUTES) if (name in values) this.flag(name, 0);
  }

  has(name: string): boolean {
    return name in this.values;
  }

  private get(name: string, types: readonly StoredAttribute['type'][]): StoredAttribute | undefined {
    const a = this.values[name];
    if (a && !types.includes(a.type)) throw new Error(`${this.where}: attribute '${name}' should be ${types.join(' or ')}, got ${a.type}`);
    return a;
  }

  int(name: string, fallback: number): number {
    const a = this.get(name, ['int']);
    return a ? (a.value as number) : fallback;
  }

  /**
   * An int attribute the spec defines as a boolean flag: 0 or 1 and nothing else. onnxruntime reads
   * such flags as `!= 0` while a `=== 1` reading would disagree on e.g. 2 or -2, so any other value
   * is an error rather than one of two silently different models.
   */
  flag(name: string, fallback: 0 | 1): 0 | 1 {
    const v = this.int(name, fallback);
    if (v !== 0 && v !== 1) throw new Error(`${this.where}: attribute '${name}' must be 0 or 1, got ${v}`);
    return v;
  }

  float(name: string, fallback: number): number {
    const a = this.get(name, ['float', 'int']);
    return a ? (a.value as number) : fallback;
  }

  ints(name: string): number[] | undefined;
  ints(name: string, fallback: number[]): number[];
  ints(name: string, fallback?: number[]): number[] | undefined {
    const a = this.get(name, ['ints']);
    return a ? (a.value as number[]).slice() : fallback;
  }

  floats(name: string): number[] | undefined {
    const a = this.get(name, ['floats']);
    return a ? (a.value as number[]).slice() : undefined;
  }

  string(name: string, fallback: string): string {
    const a = this.get(name, ['string']);
    return a ? (a.value as string) : fallback;
  }

  strings(name: string): string[] | undefined {
    const a = this.get(name, ['strings']);
    return a ? (a.value as string[]).slice() : undefined;
  }

  tensor(name: string): StoredTensor | undefined {
    const a = this.get(name, ['tensor']);
    return a ? (a.value as StoredTensor) : undefined;
  }
}
