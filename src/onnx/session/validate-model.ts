// Checks a model with the library's own ONNX reader before onnxruntime sees it. onnxruntime-node
// runs in this process (worker threads), and some malformed-but-decodable models crash it outright
// (a segfault or an abort takes the whole server down) instead of failing with an error. Each rule
// here is keyed by op type and refuses one such shape of node with a clear Error.
import { getMemoryBudget } from '../../tensor/budget';
import { AttributeType, DataType, decodeModel } from '../proto';
import type { OnnxGraphProto, OnnxNodeProto, OnnxTensorProto } from '../proto';

/** What a rule may ask about the graph around a node. */
export interface GraphFacts {
  /** The rank of a value when the model states it (graph input, value_info, initializer, Constant). */
  rank(name: string): number | null;
  /** The dims of a value when all are stated as sizes. */
  dims(name: string): number[] | null;
  /** The values of a small float or int constant, when stored inline. */
  constValues(name: string): number[] | null;
  /** The length of a rank-1 constant (initializer or Constant output), when known. */
  constLength(name: string): number | null;
}

/** Returns a problem description, or null when the node is acceptable. */
type NodeRule = (node: OnnxNodeProto, facts: GraphFacts) => string | null;

/** An optional input given as the empty name '' (in the middle or at the end of the list). */
function emptyOptional(positions: readonly number[], names: readonly string[]): NodeRule {
  return (node) => {
    const inputs = node.input ?? [];
    for (const k of positions) {
      if (k < inputs.length && inputs[k] === '') {
        return `input ${k} (${names[k] ?? '?'}) is given as the empty name ''; leave trailing optional inputs out of the list instead`;
      }
    }
    return null;
  };
}

function resizeRule(node: OnnxNodeProto, facts: GraphFacts): string | null {
  const inputs = node.input ?? [];
  const x = inputs[0];
  if (!x) return 'input 0 (X) is missing';
  const rank = facts.rank(x);
  const scales = inputs[2] ?? '';
  const sizes = inputs[3] ?? '';
  if (scales !== '' && sizes !== '') return "both 'scales' and 'sizes' are given; the spec allows only one";
  for (const [name, label] of [[scales, 'scales'], [sizes, 'sizes']] as const) {
    if (name === '') continue;
    const len = facts.constLength(name);
    // An empty scales tensor stands for "absent" in opset 11-12 models.
    if (len !== null && len !== 0 && rank !== null && len !== rank) {
      return `'${label}' has ${len} values but input X has rank ${rank}; they must match`;
    }
  }
  // The output a constant scales tensor asks for, against the memory budget: onnxruntime would
  // allocate it (a 500-byte model asking for gigabytes) with no check of its own.
  const xDims = facts.dims(x);
  const scaleValues = scales !== '' ? facts.constValues(scales) : null;
  const sizeValues = sizes !== '' ? facts.constValues(sizes) : null;
  let out: number[] | null = null;
  if (xDims && scaleValues && scaleValues.length === xDims.length) out = xDims.map((d, i) => Math.floor(d * scaleValues[i]!));
  if (sizeValues && xDims && sizeValues.length === xDims.length) out = sizeValues;
  if (out) {
    const bytes = out.reduce((a, b) => a * Math.max(b, 0), 4);
    if (!(bytes <= getMemoryBudget())) return `the output [${out.join(',')}] needs ${bytes} bytes, over the memory budget of ${getMemoryBudget()} bytes`;
  }
  const roi = inputs[1] ?? '';
  if (roi !== '' && rank !== null) {
    const len = facts.constLength(roi);
    if (len !== null && len !== 0 && len !== 2 * rank) return `'roi' has ${len} values but must have 2 x rank = ${2 * rank}`;
  }
  return null;
}

/**
 * The rules, by op type (default domain). Each entry names a node shape onnxruntime-node 1.30 was
 * seen to crash on (segfault or "stack smashing detected"), or that the spec forbids and a crash
 * would follow from.
 */
const RULES: Readonly<Record<string, readonly NodeRule[]>> = {
  LayerNormalization: [emptyOptional([1, 2], ['X', 'Scale', 'B'])],
  SkipLayerNormalization: [emptyOptional([1, 2, 3], ['input', 'skip', 'gamma', 'beta'])],
  Resize: [resizeRule],
  Upsample: [
    (node, facts) => {
      const x = node.input?.[0];
      const scales = node.input?.[1];
      if (!x || !scales) return null;
      const rank = facts.rank(x);
      const len = facts.constLength(scales);
      return rank !== null && len !== null && len !== rank ? `'scales' has ${len} values but input X has rank ${rank}` : null;
    },
  ],
};

/** The op types with rules, for documentation and tests. */
export const validatedOps: readonly string[] = Object.keys(RULES);

function tensorRank(t: OnnxTensorProto): number {
  return (t.dims ?? []).length;
}

function tensorLength(t: OnnxTensorProto): number | null {
  const dims = t.dims ?? [];
  if (dims.length !== 1) return dims.length === 0 ? 1 : null;
  return Number(dims[0]);
}

function constantValue(node: OnnxNodeProto): OnnxTensorProto | null {
  for (const a of node.attribute ?? []) {
    if (a.name === 'value' && a.type === AttributeType.TENSOR && a.t) return a.t;
    if ((a.name === 'value_floats' || a.name === 'value_ints') && (a.floats || a.ints)) {
      return { dims: [(a.floats ?? a.ints ?? []).length] };
    }
  }
  return null;
}

/** Inline values of a small float32/int64/int32 tensor (raw or typed fields), else null. */
function smallValues(t: OnnxTensorProto): number[] | null {
  if (t.floatData?.length) return t.floatData.slice(0, 64);
  if (t.int64Data?.length) return t.int64Data.slice(0, 64).map(Number);
  if (t.int32Data?.length) return t.int32Data.slice(0, 64);
  const raw = t.rawData;
  if (!raw || raw.byteLength > 512) return null;
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  if (t.dataType === DataType.FLOAT) return Array.from({ length: raw.byteLength >> 2 }, (_, i) => view.getFloat32(4 * i, true));
  if (t.dataType === DataType.INT64) return Array.from({ length: raw.byteLength >> 3 }, (_, i) => Number(view.getBigInt64(8 * i, true)));
  return null;
}

function graphFacts(graph: OnnxGraphProto, outer: GraphFacts | null): GraphFacts {
  const ranks = new Map<string, number>();
  const lengths = new Map<string, number>();
  const shapes = new Map<string, number[]>();
  const values = new Map<string, number[]>();
  for (const vi of [...(graph.input ?? []), ...(graph.valueInfo ?? []), ...(graph.output ?? [])]) {
    const dims = vi.type?.tensorType?.shape?.dim;
    if (vi.name && dims) {
      ranks.set(vi.name, dims.length);
      if (dims.every((d) => d.dimValue !== undefined && d.dimParam === undefined)) shapes.set(vi.name, dims.map((d) => Number(d.dimValue)));
    }
  }
  const addTensor = (name: string | undefined, t: OnnxTensorProto): void => {
    if (!name) return;
    ranks.set(name, tensorRank(t));
    const len = tensorLength(t);
    if (len !== null) lengths.set(name, len);
    const v = smallValues(t);
    if (v) values.set(name, v);
  };
  for (const t of graph.initializer ?? []) addTensor(t.name, t);
  for (const n of graph.node ?? []) {
    if (n.opType === 'Constant' && (n.domain ?? '') === '') {
      const v = constantValue(n);
      if (v) addTensor(n.output?.[0], v);
    }
  }
  return {
    dims: (name) => shapes.get(name) ?? outer?.dims(name) ?? null,
    constValues: (name) => values.get(name) ?? outer?.constValues(name) ?? null,
    rank: (name) => ranks.get(name) ?? outer?.rank(name) ?? null,
    constLength: (name) => lengths.get(name) ?? outer?.constLength(name) ?? null,
  };
}

function graphProblems(graph: OnnxGraphProto, where: string, outer: GraphFacts | null, problems: string[]): void {
  const facts = graphFacts(graph, outer);
  for (const node of graph.node ?? []) {
    const domain = node.domain ?? '';
    const rules = domain === '' || domain === 'ai.onnx' || domain === 'com.microsoft' ? RULES[node.opType ?? ''] : undefined;
    for (const rule of rules ?? []) {
      const problem = rule(node, facts);
      if (problem) problems.push(`${where}node '${node.name || node.opType}' (${node.opType}): ${problem}`);
    }
    for (const a of node.attribute ?? []) {
      if (a.g) graphProblems(a.g, `${where}${node.name || node.opType}.${a.name}: `, facts, problems);
      for (const g of a.graphs ?? []) graphProblems(g, `${where}${node.name || node.opType}.${a.name}: `, facts, problems);
    }
  }
}

/** The problems the rules find (empty when none), for the model's bytes. */
export function sessionModelProblems(bytes: Uint8Array): string[] {
  let model;
  try {
    model = decodeModel(bytes);
  } catch {
    // Not decodable: onnxruntime refuses such bytes with its own (clean) error.
    return [];
  }
  if (!model.graph) return [];
  const problems: string[] = [];
  graphProblems(model.graph, '', null, problems);
  return problems;
}

/**
 * Throws an Error naming every node onnxruntime is known to crash on (see RULES), before the model
 * is handed to it.
 */
export function validateSessionModel(fn: string, label: string, bytes: Uint8Array): void {
  const problems = sessionModelProblems(bytes);
  if (problems.length === 0) return;
  throw new Error(
    `${fn}: ${label} is refused before reaching onnxruntime (${problems.length} problem${problems.length > 1 ? 's' : ''}):\n  ${problems.slice(0, 10).join('\n  ')}`,
  );
}
