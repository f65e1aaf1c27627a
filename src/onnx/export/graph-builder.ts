// The graph under construction: the OnnxExportContext converters write into, plus the clean-up
// passes run once every layer is converted (cancelling the layout transposes that NHWC layers put
// around each op, dropping what no output needs) and the final naming of graph outputs.
import { AttributeType } from '../proto';
import type { OnnxAttributeProto, OnnxGraphProto, OnnxNodeProto, OnnxTensorProto, OnnxValueInfoProto } from '../proto';
import type { OnnxTensor } from '../read-model';
import type { Tensor } from '../../tensor/tensor';
import type { OnnxAttr, OnnxExportContext, OnnxNodeSpec } from './converter';
import { toTensorProto } from './tensor-proto';

/** A node as kept until the graph is finished. */
interface BuiltNode {
  opType: string;
  domain: string;
  name: string;
  inputs: string[];
  outputs: string[];
  attributes: Record<string, OnnxAttr>;
}

/** Characters kept in generated names; anything else becomes '_' so names stay readable in tools. */
function sanitize(base: string): string {
  const s = String(base).replace(/[^A-Za-z0-9_./:-]/g, '_');
  return s === '' ? 'value' : s;
}

function attributeProto(name: string, a: OnnxAttr): OnnxAttributeProto {
  switch (a.type) {
    case 'int':
      if (!Number.isInteger(a.value)) throw new Error(`exportOnnx: attribute '${name}' must be an integer, got ${a.value}`);
      return { name, type: AttributeType.INT, i: a.value };
    case 'float':
      return { name, type: AttributeType.FLOAT, f: a.value };
    case 'ints':
      if (!a.value.every((v) => Number.isInteger(v))) throw new Error(`exportOnnx: attribute '${name}' must hold integers, got [${a.value.join(',')}]`);
      return { name, type: AttributeType.INTS, ints: a.value.slice() };
    case 'floats':
      return { name, type: AttributeType.FLOATS, floats: a.value.slice() };
    case 'string':
      return { name, type: AttributeType.STRING, s: Buffer.from(a.value, 'utf8') };
    case 'strings':
      return { name, type: AttributeType.STRINGS, strings: a.value.map((v) => Buffer.from(v, 'utf8')) };
    case 'tensor':
      return { name, type: AttributeType.TENSOR, t: toTensorProto(a.value.name || name, a.value) };
    default:
      throw new Error(`exportOnnx: attribute '${name}' has unknown type ${(a as { type: unknown }).type as string}`);
  }
}

function isIdentityPerm(p: readonly number[]): boolean {
  return p.every((v, i) => v === i);
}

/** The graph being built; implements the converter context. */
export class GraphBuilder implements OnnxExportContext {
  /** Prefix of default node and value names: the layer being converted. */
  scope = '';
  private readonly used = new Set<string>();
  private readonly counts = new Map<string, number>();
  private readonly nodes: BuiltNode[] = [];
  private readonly initializers = new Map<string, OnnxTensorProto>();
  private readonly nodeNames = new Set<string>();

  constructor(readonly opset: number) {}

  /** Keeps `name` from being handed out (graph input and output names). */
  reserve(name: string): void {
    this.used.add(name);
  }

  uniqueName(base: string): string {
    const clean = sanitize(base);
    if (!this.used.has(clean)) {
      this.used.add(clean);
      return clean;
    }
    let n = this.counts.get(clean) ?? 1;
    while (this.used.has(`${clean}_${n}`)) n++;
    this.counts.set(clean, n + 1);
    const name = `${clean}_${n}`;
    this.used.add(name);
    return name;
  }

  private scoped(base: string): string {
    return this.scope ? `${this.scope}/${base}` : base;
  }

  addInitializer(base: string, value: Tensor | OnnxTensor): string {
    const name = this.uniqueName(this.scoped(base));
    this.initializers.set(name, toTensorProto(name, value));
    return name;
  }

  addNode(spec: OnnxNodeSpec): string[] {
    if (typeof spec.opType !== 'string' || spec.opType === '') throw new Error(`exportOnnx: a converter added a node without an opType (${this.scope})`);
    for (const i of spec.inputs) {
      if (typeof i !== 'string') throw new Error(`exportOnnx: ${spec.opType} node in ${this.scope || 'the graph'} has a non-string input ${String(i)}`);
    }
    let outputs: string[];
    if (Array.isArray(spec.outputs)) {
      outputs = spec.outputs.map((o) => {
        if (o === '') return '';
        if (this.used.has(o)) throw new Error(`exportOnnx: value name '${o}' is already defined (a ${spec.opType} node in ${this.scope || 'the graph'} writes it again)`);
        this.used.add(o);
        return o;
      });
    } else {
      const n = spec.outputs ?? 1;
      outputs = Array.from({ length: n }, (_, k) => this.uniqueName(this.scoped(n === 1 ? spec.opType : `${spec.opType}_${k}`)));
    }
    let name = sanitize(spec.name ?? this.scoped(spec.opType));
    if (this.nodeNames.has(name)) {
      let k = 1;
      while (this.nodeNames.has(`${name}_${k}`)) k++;
      name = `${name}_${k}`;
    }
    this.nodeNames.add(name);
    this.nodes.push({ opType: spec.opType, domain: spec.domain ?? '', name, inputs: spec.inputs.slice(), outputs, attributes: { ...(spec.attributes ?? {}) } });
    return outputs;
  }

  /**
   * Finishes the graph: cancels Transpose pairs that undo each other, drops nodes and initializers
   * no output depends on, and gives each graph output its public name (renaming the producing
   * node's output, or adding an Identity when the value is a graph input or already an output).
   */
  finish(name: string, inputs: OnnxValueInfoProto[], outputs: { value: string; info: OnnxValueInfoProto }[]): OnnxGraphProto {
    const alias = this.cancelTransposes();
    const resolve = (v: string): string => alias.get(v) ?? v;
    const outValues = outputs.map((o) => resolve(o.value));
    const live = this.liveNodes(outValues);
    const nodes = this.nodes.filter((n) => live.has(n));
    for (const n of nodes) n.inputs = n.inputs.map(resolve);

    const inputNames = new Set(inputs.map((i) => i.name ?? ''));
    const producer = new Map<string, BuiltNode>();
    for (const n of nodes) for (const o of n.outputs) if (o) producer.set(o, n);
    const renamed = new Map<string, string>();
    outValues.forEach((v, k) => {
      const want = outputs[k]!.info.name!;
      if (v === want) return;
      const p = producer.get(v);
      if (p && !inputNames.has(v) && !renamed.has(v)) {
        renamed.set(v, want);
        p.outputs = p.outputs.map((o) => (o === v ? want : o));
        for (const n of nodes) n.inputs = n.inputs.map((i) => (i === v ? want : i));
        return;
      }
      // A graph input, or a value already published under another output name.
      nodes.push({ opType: 'Identity', domain: '', name: this.uniqueName(`${want}/Identity`), inputs: [renamed.get(v) ?? v], outputs: [want], attributes: {} });
    });

    const needed = new Set(nodes.flatMap((n) => n.inputs));
    const initializer = [...this.initializers.values()].filter((t) => needed.has(t.name!));
    const node: OnnxNodeProto[] = nodes.map((n) => ({
      input: n.inputs,
      output: n.outputs,
      name: n.name,
      opType: n.opType,
      ...(n.domain ? { domain: n.domain } : {}),
      attribute: Object.entries(n.attributes).map(([k, a]) => attributeProto(k, a)),
    }));
    return { name: sanitize(name), node, initializer, input: inputs, output: outputs.map((o) => o.info) };
  }

  /**
   * Finds Transpose nodes whose input comes from a Transpose with the inverse permutation and maps
   * their output to the first one's input (channels-last layers wrap every op in NHWC->NCHW and
   * back, so consecutive conv/pool/normalization layers leave such pairs between them).
   */
  private cancelTransposes(): Map<string, string> {
    const alias = new Map<string, string>();
    const producer = new Map<string, BuiltNode>();
    for (const n of this.nodes) {
      n.inputs = n.inputs.map((i) => alias.get(i) ?? i);
      if (n.opType === 'Transpose' && n.domain === '') {
        const src = producer.get(n.inputs[0]!);
        const p2 = permOf(n);
        const p1 = src && src.opType === 'Transpose' && src.domain === '' ? permOf(src) : null;
        if (p1 && p2 && p1.length === p2.length && isIdentityPerm(p2.map((q) => p1[q]!))) {
          alias.set(n.outputs[0]!, src!.inputs[0]!);
          continue;
        }
      }
      for (const o of n.outputs) if (o) producer.set(o, n);
    }
    return alias;
  }

  /** Nodes that some graph output depends on (the node list is already in topological order). */
  private liveNodes(outputs: readonly string[]): Set<BuiltNode> {
    const need = new Set(outputs);
    const live = new Set<BuiltNode>();
    for (let k = this.nodes.length - 1; k >= 0; k--) {
      const n = this.nodes[k]!;
      if (n.outputs.some((o) => o && need.has(o))) {
        live.add(n);
        for (const i of n.inputs) if (i) need.add(i);
      }
    }
    return live;
  }
}

function permOf(n: BuiltNode): number[] | null {
  const a = n.attributes['perm'];
  return a && a.type === 'ints' ? a.value : null;
}
