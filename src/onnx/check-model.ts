// Structural checks of an ONNX model, after the rules of the ONNX IR specification (what
// onnx.checker enforces about graph structure): versions and opsets declared, every value defined
// exactly once before use, typed and shaped graph inputs/outputs, well-formed initializers and
// attributes. Operator semantics (attribute meanings, shape inference) are the runtime's job.
import { AttributeType, DataType, decodeModel } from './proto';
import type { OnnxAttributeProto, OnnxGraphProto, OnnxModelProto, OnnxTensorProto, OnnxValueInfoProto } from './proto';

const BYTES_PER_ELEMENT = new Map<number, number>([
  [DataType.FLOAT, 4], [DataType.UINT8, 1], [DataType.INT8, 1], [DataType.UINT16, 2], [DataType.INT16, 2],
  [DataType.INT32, 4], [DataType.INT64, 8], [DataType.BOOL, 1], [DataType.FLOAT16, 2], [DataType.DOUBLE, 8],
  [DataType.UINT32, 4], [DataType.UINT64, 8], [DataType.COMPLEX64, 8], [DataType.COMPLEX128, 16], [DataType.BFLOAT16, 2],
]);

const KNOWN_TYPES = new Set<number>(Object.values(DataType).filter((v) => v !== DataType.UNDEFINED));
const KNOWN_ATTR_TYPES = new Set<number>(Object.values(AttributeType).filter((v) => v !== AttributeType.UNDEFINED));

/** The typed *_data field a tensor of this type stores its values in (when not raw_data). */
function typedCount(t: OnnxTensorProto): number {
  switch (t.dataType) {
    case DataType.FLOAT:
    case DataType.COMPLEX64:
      return (t.floatData?.length ?? 0) / (t.dataType === DataType.COMPLEX64 ? 2 : 1);
    case DataType.DOUBLE:
    case DataType.COMPLEX128:
      return (t.doubleData?.length ?? 0) / (t.dataType === DataType.COMPLEX128 ? 2 : 1);
    case DataType.INT64:
      return t.int64Data?.length ?? 0;
    case DataType.UINT32:
    case DataType.UINT64:
      return t.uint64Data?.length ?? 0;
    case DataType.STRING:
      return t.stringData?.length ?? 0;
    default:
      return t.int32Data?.length ?? 0;
  }
}

function checkTensor(t: OnnxTensorProto, where: string, problems: string[]): void {
  const at = `${where} '${t.name ?? ''}'`;
  if (t.dataType === undefined || !KNOWN_TYPES.has(t.dataType)) problems.push(`${at} has no valid data_type (${t.dataType ?? 'missing'})`);
  const dims = t.dims ?? [];
  if (!dims.every((d) => Number.isInteger(d) && d >= 0)) {
    problems.push(`${at} has invalid dims [${dims.join(',')}]`);
    return;
  }
  if (t.dataLocation === 1) return; // external data: the bytes live in another file
  const count = dims.reduce((a, b) => a * b, 1);
  if (t.rawData !== undefined) {
    if (t.dataType === DataType.STRING) {
      problems.push(`${at} is a string tensor with raw_data`);
      return;
    }
    const size = BYTES_PER_ELEMENT.get(t.dataType ?? 0);
    if (size !== undefined && t.rawData.length !== count * size) {
      problems.push(`${at} has ${t.rawData.length} bytes of raw_data, expected ${count * size} for dims [${dims.join(',')}]`);
    }
    return;
  }
  const got = typedCount(t);
  if (got !== count) problems.push(`${at} holds ${got} values, expected ${count} for dims [${dims.join(',')}]`);
}

function checkValueInfo(v: OnnxValueInfoProto, where: string, problems: string[]): void {
  const at = `${where} '${v.name ?? ''}'`;
  if (!v.name) problems.push(`${where} has an empty name`);
  const tt = v.type?.tensorType;
  if (!tt) {
    problems.push(`${at} has no tensor type`);
    return;
  }
  if (tt.elemType === undefined || !KNOWN_TYPES.has(tt.elemType)) problems.push(`${at} has no valid element type (${tt.elemType ?? 'missing'})`);
  if (!tt.shape) {
    problems.push(`${at} has no shape`);
    return;
  }
  (tt.shape.dim ?? []).forEach((d, k) => {
    const hasValue = d.dimValue !== undefined;
    const hasParam = d.dimParam !== undefined && d.dimParam !== '';
    if (hasValue && (!Number.isInteger(d.dimValue) || d.dimValue! < 0)) problems.push(`${at} dim ${k} has invalid size ${d.dimValue}`);
    if (!hasValue && !hasParam) problems.push(`${at} dim ${k} is neither a size nor a named symbol`);
  });
}

function checkAttributes(attrs: OnnxAttributeProto[], where: string, problems: string[]): void {
  const seen = new Set<string>();
  for (const a of attrs) {
    if (!a.name) problems.push(`${where} has an attribute without a name`);
    else if (seen.has(a.name)) problems.push(`${where} has attribute '${a.name}' twice`);
    seen.add(a.name ?? '');
    if (a.refAttrName === undefined && (a.type === undefined || !KNOWN_ATTR_TYPES.has(a.type))) {
      problems.push(`${where} attribute '${a.name ?? ''}' has no valid type (${a.type ?? 'missing'})`);
    }
    if (a.type === AttributeType.TENSOR && a.t) checkTensor(a.t, `${where} attribute '${a.name ?? ''}' tensor`, problems);
    if (a.type === AttributeType.GRAPH && a.g) problems.push(...graphProblems(a.g, `${where} attribute '${a.name ?? ''}' subgraph`, true));
  }
}

/**
 * Graph rules: defined-before-use (so nodes are topologically sorted), single assignment of every
 * value name, outputs produced, initializers well-formed. Subgraphs may use outer values, which are
 * not tracked here, so only their own structure is checked.
 */
function graphProblems(g: OnnxGraphProto, where: string, subgraph = false): string[] {
  const problems: string[] = [];
  const defined = new Set<string>();
  const define = (name: string | undefined, what: string): void => {
    if (!name) {
      problems.push(`${where}: ${what} has an empty name`);
      return;
    }
    if (defined.has(name)) problems.push(`${where}: value '${name}' is defined more than once (${what})`);
    defined.add(name);
  };
  const inputs = g.input ?? [];
  const inits = g.initializer ?? [];
  inputs.forEach((v) => {
    checkValueInfo(v, `${where} input`, problems);
    define(v.name, `graph input '${v.name ?? ''}'`);
  });
  const inputNames = new Set(inputs.map((v) => v.name));
  inits.forEach((t) => {
    checkTensor(t, `${where} initializer`, problems);
    // An initializer may share its name with a graph input (it is then the input's default value).
    if (inputNames.has(t.name)) return;
    define(t.name, `initializer '${t.name ?? ''}'`);
  });
  (g.node ?? []).forEach((n, k) => {
    const at = `${where} node ${k} (${n.opType || '?'}${n.name ? ` '${n.name}'` : ''})`;
    if (!n.opType) problems.push(`${at} has no op_type`);
    for (const i of n.input ?? []) {
      if (i === '') continue; // an omitted optional input
      if (!defined.has(i) && !subgraph) problems.push(`${at} reads '${i}', which is not a graph input, an initializer or an output of an earlier node`);
    }
    checkAttributes(n.attribute ?? [], at, problems);
    const outs = n.output ?? [];
    if (outs.length === 0) problems.push(`${at} has no outputs`);
    for (const o of outs) {
      if (o === '') continue; // an omitted optional output
      define(o, `output of ${at}`);
    }
  });
  const outputs = g.output ?? [];
  if (!subgraph && outputs.length === 0) problems.push(`${where} has no outputs`);
  outputs.forEach((v) => {
    checkValueInfo(v, `${where} output`, problems);
    if (v.name && !defined.has(v.name) && !subgraph) problems.push(`${where} output '${v.name}' is never produced`);
  });
  return problems;
}

/**
 * Lists every structural problem of an ONNX model (empty when it is valid): IR version and opset
 * imports declared; every node input a graph input, initializer or earlier node output (so the nodes
 * are topologically sorted); each value name assigned once; graph inputs/outputs typed and shaped;
 * initializers typed with valid dims and the right amount of data; names non-empty.
 */
export function onnxModelProblems(model: Uint8Array | OnnxModelProto): string[] {
  let m: OnnxModelProto;
  if (model instanceof Uint8Array) {
    try {
      m = decodeModel(model);
    } catch (e) {
      return [`the bytes are not an ONNX ModelProto: ${(e as Error).message}`];
    }
  } else if (typeof model === 'object' && model !== null) {
    m = model;
  } else {
    return [`expected ONNX bytes or a ModelProto object, got ${typeof model}`];
  }
  const problems: string[] = [];
  if (!m.irVersion || m.irVersion < 3) problems.push(`ir_version is ${m.irVersion ?? 'missing'} (3 or more required, as opset_import needs)`);
  const opsets = m.opsetImport ?? [];
  if (opsets.length === 0) problems.push('opset_import is empty');
  const domains = new Set<string>();
  for (const o of opsets) {
    const d = o.domain ?? '';
    if (domains.has(d)) problems.push(`opset_import lists domain '${d}' twice`);
    domains.add(d);
    if (!Number.isInteger(o.version) || (o.version ?? 0) < 1) problems.push(`opset_import for domain '${d}' has invalid version ${o.version ?? 'missing'}`);
  }
  if (!m.graph) {
    problems.push('the model has no graph');
    return problems;
  }
  for (const n of m.graph.node ?? []) {
    const d = n.domain ?? '';
    if (!domains.has(d) && !(d === 'ai.onnx' && domains.has(''))) problems.push(`node '${n.name ?? n.opType ?? ''}' uses domain '${d}', which opset_import does not declare`);
  }
  problems.push(...graphProblems(m.graph, 'graph'));
  return problems;
}

/**
 * Throws an Error listing every structural problem of an ONNX model (bytes or a decoded
 * ModelProto); see {@link onnxModelProblems} for the rules.
 */
export function checkOnnxModel(model: Uint8Array | OnnxModelProto): void {
  const problems = onnxModelProblems(model);
  if (problems.length > 0) {
    throw new Error(`checkOnnxModel: the model is not valid ONNX (${problems.length} problem${problems.length > 1 ? 's' : ''}):\n  ${problems.join('\n  ')}`);
  }
}
