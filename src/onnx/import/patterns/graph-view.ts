// What the subgraph rewrites ask about an ONNX node list: who produces and who reads a value, the
// value of a small constant (an initializer or a Constant node), and which values must survive
// because the caller reads them (graph outputs, requested outputs).
import type { OnnxGraph, OnnxNode, OnnxTensor } from '../../read-model';

export class GraphView {
  private readonly producers = new Map<string, OnnxNode>();
  private readonly readers = new Map<string, number>();

  constructor(readonly graph: OnnxGraph, readonly nodes: readonly OnnxNode[], private readonly kept: ReadonlySet<string>) {
    for (const n of nodes) {
      for (const o of n.outputs) if (o) this.producers.set(o, n);
      for (const i of n.inputs) if (i) this.readers.set(i, (this.readers.get(i) ?? 0) + 1);
    }
  }

  producer(value: string): OnnxNode | undefined {
    return this.producers.get(value);
  }

  /** The node producing `value`, if it has that op type. */
  producedBy(value: string, opType: string): OnnxNode | undefined {
    const n = this.producers.get(value);
    return n && n.opType === opType && (n.domain === '' || n.domain === 'ai.onnx') ? n : undefined;
  }

  /** Whether `value` is read only by `count` node inputs and by nobody outside the graph. */
  readOnly(value: string, count = 1): boolean {
    return !this.kept.has(value) && this.readers.get(value) === count;
  }

  /**
   * Whether `value` is fixed at import: an initializer, a Constant node, or an Identity of one
   * (exporters deduplicate equal initializers, e.g. every LayerNorm's ones, through Identity nodes).
   */
  isStatic(value: string): boolean {
    if (this.graph.initializers.has(value)) return true;
    const n = this.producer(value);
    if (!n || (n.domain !== '' && n.domain !== 'ai.onnx')) return false;
    return n.opType === 'Constant' || (n.opType === 'Identity' && this.isStatic(n.inputs[0]!));
  }

  /** The elements of a constant value (initializer or Constant node), or null when it is not one. */
  constant(value: string): number[] | null {
    const init = this.graph.initializers.get(value);
    if (init) return elements(init);
    const n = this.producedBy(value, 'Constant');
    if (!n) return null;
    const t = n.attributes['value'];
    if (t && typeof t === 'object' && !Array.isArray(t) && 'data' in t) return elements(t as OnnxTensor);
    const f = n.attributes['value_float'];
    if (typeof f === 'number') return [f];
    const i = n.attributes['value_int'];
    if (typeof i === 'number') return [i];
    return null;
  }

  /** A constant holding one number. */
  scalar(value: string): number | null {
    const c = this.constant(value);
    return c && c.length === 1 ? c[0]! : null;
  }
}

function elements(t: OnnxTensor): number[] {
  return Array.from(t.data as ArrayLike<number | bigint>, (v) => Number(v));
}
