// importOnnx: an ONNX graph becomes a functional LayersModel with one OnnxNode layer per node.
// Sub-graphs that depend only on constants are folded at import; output shapes are found by running
// the graph on two probe batches (dims that differ between the probes are dynamic), which also
// surfaces unsupported shapes or attribute values at import instead of at the first predict.
import { noGrad } from '../../autograd/tape';
import { argError, describe } from '../../errors';
import { tensor } from '../../ops/creation';
import { input } from '../../layers/input-layer';
import type { ShapeWithBatch, SymbolicTensor } from '../../layers/symbolic-tensor';
import { LayersModel } from '../../models/layers-model';
import type { DType } from '../../tensor/dtype';
import type { Tensor } from '../../tensor/tensor';
import { untracked } from '../../tensor/scope';
import { type OnnxDType, type OnnxGraph, type OnnxModel, type OnnxNode as OnnxNodeProto, readOnnxModel } from '../read-model';
import { NodeAttributes, type StoredAttribute, storeAttributes } from './attributes';
import { type InputSlot, type NodeWeightSpec, OnnxNode } from './onnx-node-layer';
import { onnxOp, supportedOnnxOps } from './ops';
import type { OnnxOpSpec, OpContext } from './op-spec';
import type { OnnxValueSignature } from '../signature';
import { parameterOperands } from './parameters';
import { ImportedModelPlanner } from '../compile/planner';
import { fuseQuantizationPairs, fuseTransformerPatterns } from './patterns';
import { fromOnnxTensor, isFloatType, toStoredTensor } from './values';
import { checkBytes, checkedElements } from '../../tensor/budget';

/** Options of {@link importOnnx}. */
export interface ImportOnnxOptions {
  /** Model name (default: the ONNX graph's name, else 'onnx_model'). */
  name?: string;
  /**
   * Values to use as the model's outputs instead of the graph's outputs: any intermediate value
   * name (e.g. the features before the classifier), to put a new head on an imported body.
   */
  outputs?: string[];
  /** Source name for error messages when passing bytes. */
  source?: string;
  /**
   * Decides which weights train, replacing the default rule. Called with the ONNX name of each
   * float weight that comes from the file's initializers (an initializer's name, or the name of a
   * value folded from initializers at import, e.g. a transposed weight). By default only
   * PyTorch-style parameters train: weight operands of Conv/ConvTranspose, Gemm/MatMul (and the
   * bias added to a MatMul), the normalizations' scale and bias, embedding tables (Gather data),
   * RNN W/R/B and PRelu slopes. Buffers (causal masks, position ids, running statistics) stay fixed.
   */
  trainable?: (initializerName: string) => boolean;
  /**
   * Compile the graph for inference (default true): on the first inference-mode prediction for an
   * input shape, build a plan with static shapes folded, BatchNormalization folded into the
   * convolutions, activations fused into the kernels' epilogues, weights packed once and
   * activations kept channels-last between convolutions. Training and export use the imported
   * graph; the plan is rebuilt after the weights change. `false` runs every prediction node by node.
   */
  compile?: boolean;
  /**
   * Rewrite attention cores (MatMul, scale, mask, Softmax, MatMul) and decomposed layer norms into
   * fused nodes backed by native kernels (default true). Re-export writes the original ops back.
   */
  fuseAttention?: boolean;
}

interface PreparedNode {
  node: OnnxNodeProto;
  spec: OnnxOpSpec;
  name: string;
  attributes: Record<string, StoredAttribute>;
  reader: NodeAttributes;
  ctx: OpContext;
}

// Symbolic batch dims probe small; other symbolic dims (sequence length, image size) probe large
// enough for stacks of valid convolutions and pooling.
const PROBE_SIZES = [2, 3] as const;
const PROBE_OTHER = [16, 17] as const;

const BOOL_OPS: ReadonlySet<string> = new Set(['Equal', 'Greater', 'Less', 'GreaterOrEqual', 'LessOrEqual', 'Not', 'And', 'Or']);
const CAST_TYPES: Readonly<Record<number, OnnxDType>> = { 1: 'float32', 6: 'int32', 7: 'int64', 9: 'bool', 11: 'float64' };

/**
 * Gives the node the ONNX types of its inputs known so far and records its outputs' types: kept so
 * re-export writes folded constants back with their type, and read by the quantization ops.
 */
function typeNode(p: PreparedNode, types: Map<string, OnnxDType>): void {
  p.ctx = { ...p.ctx, inputTypes: p.node.inputs.map((n) => (n === '' ? undefined : types.get(n))) };
  const declared = p.spec.outputTypes?.(p.reader, p.ctx);
  p.node.outputs.forEach((o, k) => {
    if (!o) return;
    const t = declared ? declared[k] : outputType(p, types);
    if (t) types.set(o, t);
  });
}

/** The ONNX element type of an output of an op without declared output types. */
function outputType(p: PreparedNode, types: ReadonlyMap<string, OnnxDType>): OnnxDType {
  const op = p.node.opType;
  if (BOOL_OPS.has(op)) return 'bool';
  if (op === 'Shape' || op === 'Size') return 'int64';
  if (op === 'Cast') return CAST_TYPES[p.reader.int('to', 1)] ?? 'int64';
  if (op === 'Constant' || op === 'ConstantOfShape') {
    const v = p.reader.tensor('value');
    if (v) return v.dtype;
    return p.reader.has('value_float') || p.reader.has('value_floats') ? 'float32' : op === 'ConstantOfShape' ? 'float32' : 'int64';
  }
  return types.get(p.node.inputs.find((n) => n !== '' && types.has(n)) ?? '') ?? 'int64';
}

function defaultOpset(model: OnnxModel, label: string): number {
  const entry = model.opsets.find((o) => o.domain === '' || o.domain === 'ai.onnx');
  if (!entry) throw new Error(`${label}: the model does not import the default ONNX operator set (ai.onnx)`);
  if (entry.version < 7 || entry.version > 21) throw new Error(`${label}: opset ${entry.version} is not supported (7 to 21 are)`);
  return entry.version;
}

function uniqueNamer(): (base: string) => string {
  const used = new Set<string>();
  return (base) => {
    let name = base;
    for (let k = 1; used.has(name); k++) name = `${base}_${k}`;
    used.add(name);
    return name;
  };
}

/** Checks every node against the supported ops and attributes before anything runs. */
function prepareNodes(graph: OnnxGraph, opset: number, label: string, unique: (b: string) => string): PreparedNode[] {
  return graph.nodes.map((node, k) => {
    const name = unique(node.name || `${node.opType}_${k}`);
    const where = `${label}: ${node.opType} node '${name}' (opset ${opset})`;
    if (node.domain !== '' && node.domain !== 'ai.onnx') {
      throw new Error(`${where}: operators of domain '${node.domain}' are not supported`);
    }
    const spec = onnxOp(node.opType);
    if (!spec) throw new Error(`${where}: op ${node.opType} is not supported (supported: ${supportedOnnxOps().join(', ')})`);
    for (const attr of Object.keys(node.attributes)) {
      if (!spec.attributes.includes(attr)) throw new Error(`${where}: attribute '${attr}' is not supported`);
    }
    const attributes = storeAttributes(node, where);
    const reader = new NodeAttributes(attributes, where);
    // Import-time runs (folding, probes) are inference runs: they never update weights.
    // inputTypes are filled in as the build learns them (typeNode), before the node first runs.
    const ctx: OpContext = { training: false, trainable: true, updateWeight: () => false, opset, where, outputCount: node.outputs.length, inputTypes: [] };
    spec.validate?.(reader, ctx);
    return { node, spec, name, attributes, reader, ctx };
  });
}

function runNode(p: PreparedNode, values: ReadonlyMap<string, Tensor>): Tensor[] {
  const ins = p.node.inputs.map((n) => {
    if (n === '') return null;
    const v = values.get(n);
    if (!v) throw new Error(`${p.ctx.where}: input '${n}' is not produced by any earlier node, initializer or graph input`);
    return v;
  });
  const outs = p.spec.run(ins, p.reader, p.ctx);
  if (outs.length < p.node.outputs.filter((o) => o !== '').length) {
    throw new Error(`${p.ctx.where}: the node asks for ${p.node.outputs.length} outputs, the implementation gives ${outs.length}`);
  }
  return outs;
}

function wrapErrors<T>(label: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    const msg = (e as Error).message;
    throw new Error(msg.startsWith(label) ? msg : `${label}: ${msg}`, { cause: e });
  }
}

/**
 * Imports an ONNX model as a trainable model of this library: it predicts, trains (fit, custom
 * loops), saves and exports again. Each ONNX node becomes an `OnnxNode` layer named after the node;
 * float initializers become its weights, of which only PyTorch-style parameters are trainable
 * (see {@link ImportOnnxOptions.trainable}); BatchNormalization in training mode normalizes with
 * batch statistics and updates its running statistics by the node's momentum, unless its layer
 * is frozen. An initializer several nodes read becomes one copy per
 * node: exporters merge equal-valued initializers (PyTorch shares one zero tensor among biases),
 * so sharing in the file does not mean the weights are tied. Freeze nodes for fine-tuning with
 * `model.getLayer(name).trainable = false`, or cut the graph with `options.outputs` and put a new
 * head on it with the functional API.
 *
 * Quantized models import and run with onnxruntime's numerics: QDQ models (QuantizeLinear /
 * DequantizeLinear, per-tensor or per-axis, uint8/int8/int16) and the integer ops QLinearConv,
 * QLinearMatMul, ConvInteger, MatMulInteger and DynamicQuantizeLinear (native int8 kernels where
 * weights are symmetric int8). Quantized values are int32 tensors (their ONNX type is tracked for
 * saturation). A DequantizeLinear of an initializer (a QDQ model's int8 weight or int32 bias) is
 * folded at import into a float weight of the node reading it, trainable as any Conv/Gemm/MatMul
 * weight, and re-exported as a float initializer. Each QuantizeLinear -> DequantizeLinear pair
 * becomes one node with the pair's values and a straight-through gradient (1 inside the quantized
 * range, 0 where it saturates), so a QDQ model fine-tunes as in quantization-aware training;
 * other integer ops (QLinearConv, MatMulInteger, ...) pass no gradient. Float16 initializers, inputs and outputs
 * compute in float32 with float16 values; a Cast to float16 (and a DequantizeLinear with a float16
 * scale) rounds to float16, other ops do not round their results as a float16 runtime would.
 *
 * Throws a clear Error for unreadable or malformed files, and for any unsupported op or attribute
 * (naming the op, the node and the opset).
 */
export function importOnnx(pathOrBytes: string | Uint8Array, options: ImportOnnxOptions = {}): LayersModel {
  if (typeof pathOrBytes !== 'string' && !(pathOrBytes instanceof Uint8Array)) {
    argError('importOnnx', 'pathOrBytes', 'a file path or the model bytes (Uint8Array)', describe(pathOrBytes));
  }
  if (options.compile !== undefined && typeof options.compile !== 'boolean') {
    argError('importOnnx', 'options.compile', 'a boolean', describe(options.compile));
  }
  if (options.trainable !== undefined && typeof options.trainable !== 'function') {
    argError('importOnnx', 'options.trainable', 'a function (initializerName: string) => boolean', describe(options.trainable));
  }
  const label = options.source ?? (typeof pathOrBytes === 'string' ? pathOrBytes : 'ONNX bytes');
  const model = readOnnxModel(pathOrBytes, label);
  const opset = defaultOpset(model, label);
  const kept = new Set([...model.graph.outputs.map((o) => o.name), ...(options.outputs ?? [])]);
  const paired = fuseQuantizationPairs(model.graph, kept);
  const graph = options.fuseAttention === false ? paired : fuseTransformerPatterns(paired, opset, kept);
  const unique = uniqueNamer();
  for (const i of graph.inputs) unique(i.name);
  const prepared = prepareNodes(graph, opset, label, unique);
  return untracked(() => noGrad(() => wrapErrors(label, () => build(model, graph, prepared, opset, label, options))));
}

function build(model: OnnxModel, graph: OnnxGraph, prepared: PreparedNode[], opset: number, label: string, options: ImportOnnxOptions): LayersModel {
  // 1. Fold everything computable from initializers and Constant nodes alone.
  const constants = new Map<string, Tensor>();
  const types = new Map<string, OnnxDType>();
  // Values that come from initializers, directly or folded (e.g. Transpose(W)): parameters or buffers,
  // told apart by the ops that read them (parameters.ts); Constant-node values are never trained.
  const learnable = new Set<string>();
  for (const [name, t] of graph.initializers) {
    constants.set(name, fromOnnxTensor(t, `${label}: initializer '${name}'`));
    types.set(name, t.dtype);
    learnable.add(name);
  }
  const dynamic = new Set(graph.inputs.map((i) => i.name));
  for (const i of graph.inputs) types.set(i.name, i.elemType);
  const live: PreparedNode[] = [];
  for (const p of prepared) {
    if (p.node.inputs.some((n) => dynamic.has(n))) {
      typeNode(p, types);
      live.push(p);
      for (const o of p.node.outputs) if (o) dynamic.add(o);
    } else {
      typeNode(p, types);
      const outs = runNode(p, constants);
      const derived = p.node.inputs.some((n) => learnable.has(n));
      p.node.outputs.forEach((o, k) => {
        if (!o) return;
        constants.set(o, outs[k]!);
        if (derived) learnable.add(o);
      });
    }
  }

  // 2. Probe runs: concrete shapes of every value at two batch sizes.
  const inputShapes = graph.inputs.map((i) => {
    if (!i.shape) throw new Error(`graph input '${i.name}' has no shape; its rank must be known`);
    return i.shape;
  });
  // How many live nodes read each value: a probe frees an intermediate once its last reader ran,
  // keeping only shapes and dtypes. Holding every intermediate of both probes took a Swin-T import
  // to 5 GB of memory (and the collector's time with it).
  const readers = new Map<string, number>();
  for (const p of live) for (const n of p.node.inputs) if (n) readers.set(n, (readers.get(n) ?? 0) + 1);
  const fixed = new Set(constants.values());
  const probes = PROBE_SIZES.map((size, p) => {
    const values = new Map(constants);
    const seen = new Map<string, { shape: readonly number[]; dtype: DType }>();
    graph.inputs.forEach((i, k) => {
      const shape = inputShapes[k]!.map((d, axis) => (typeof d === 'number' ? d : axis === 0 ? size : PROBE_OTHER[p]!));
      // A probe only infers shapes, so it may use a sixteenth of the budget: a 500-byte file
      // declaring a 2^28 dim is refused here instead of costing gigabytes per probe.
      const n = checkedElements('importOnnx', `graph input '${i.name}'`, shape);
      checkBytes('importOnnx', `the probe batch for graph input '${i.name}' of shape [${shape.join(',')}] (probes may use 1/16 of the budget)`, n * 4 * 16);
      // Each dim on its own too: with a 0 elsewhere the count is 0, but ops still size JS arrays
      // by single dims (a [0, 2^31] probe made V8 abort on a 169M-element array).
      for (const d of shape) checkBytes('importOnnx', `graph input '${i.name}' of shape [${shape.join(',')}] (each dim, as a probe)`, d * 4 * 16);
      values.set(i.name, isFloatType(i.elemType) ? tensor(new Float32Array(n).fill(0.5), shape, 'float32') : tensor(new Int32Array(n), shape, 'int32'));
    });
    for (const [name, v] of values) seen.set(name, { shape: v.shape, dtype: v.dtype });
    // Remaining reads per tensor object: an op may hand back one of its inputs (Identity, a
    // no-op Reshape), so one tensor can sit under several names.
    const pending = new Map<Tensor, number>();
    const left = new Map(readers);
    const hold = (name: string, v: Tensor): void => {
      pending.set(v, (pending.get(v) ?? 0) + (left.get(name) ?? 0));
    };
    const drop = (v: Tensor): void => {
      if (!fixed.has(v) && !(pending.get(v)! > 0)) {
        pending.delete(v);
        v.dispose();
      }
    };
    graph.inputs.forEach((i) => hold(i.name, values.get(i.name)!));
    for (const p of live) {
      const outs = runNode(p, values);
      p.node.outputs.forEach((o, k) => {
        if (!o) return;
        const v = outs[k]!;
        values.set(o, v);
        seen.set(o, { shape: v.shape, dtype: v.dtype });
        hold(o, v);
      });
      for (const n of p.node.inputs) {
        const v = n ? values.get(n) : undefined;
        if (!v) continue;
        const rest = left.get(n)! - 1;
        left.set(n, rest);
        if (rest === 0) values.delete(n);
        if (fixed.has(v)) continue;
        pending.set(v, pending.get(v)! - 1);
        drop(v);
      }
      // Outputs nothing reads (the graph's outputs, dead ends) are not needed past their shapes.
      for (const o of p.node.outputs) {
        const v = o ? values.get(o) : undefined;
        if (v && !left.get(o)) {
          values.delete(o);
          drop(v);
        }
      }
    }
    return seen;
  });
  const shapeOf = (name: string): ShapeWithBatch => {
    const [a, b] = probes.map((v) => v.get(name)!.shape);
    return a!.map((d, k) => (d === b![k] ? d : null));
  };
  const dtypeOf = (name: string): DType => probes[0]!.get(name)!.dtype;

  // 3. Layers, applied in graph order.
  const isParameter = parameterOperands(graph.nodes, (v) => constants.has(v));
  const trainableWeight = (p: PreparedNode, k: number, name: string): boolean => {
    if (!learnable.has(name)) return false;
    if (!options.trainable) return isParameter(p.node, k);
    const decision: unknown = options.trainable(name);
    if (typeof decision !== 'boolean') argError('importOnnx', 'options.trainable', `a function returning a boolean (for '${name}')`, describe(decision));
    return decision;
  };
  const symbols = new Map<string, SymbolicTensor>();
  // The file's interface, carried by the nodes at the graph's edges so a re-export keeps it: each
  // graph input as declared, and each model output as declared (a cut float value under its name).
  const declaredInputs = new Map<SymbolicTensor, OnnxValueSignature>();
  const modelInputs = graph.inputs.map((i, k) => {
    const batchShape = inputShapes[k]!.map((d) => (typeof d === 'number' ? d : null));
    const t = input({ batchShape, name: i.name, dtype: isFloatType(i.elemType) ? 'float32' : 'int32' });
    symbols.set(i.name, t);
    declaredInputs.set(t, { name: i.name, elemType: i.elemType, dims: i.shape });
    return t;
  });
  const outputNames = options.outputs ?? graph.outputs.map((o) => o.name);
  const declaredOutput = (name: string): OnnxValueSignature | null => {
    if (!outputNames.includes(name)) return null;
    const declared = graph.outputs.find((o) => o.name === name);
    if (declared) return { name, elemType: declared.elemType, dims: declared.shape };
    return dtypeOf(name) === 'float32' ? { name, elemType: 'float32', dims: null } : null;
  };
  // Reads of each constant tensor by the layers below: one read lets its layer adopt the tensor
  // (no copy of the weight); counted per tensor object, since a folded Identity can put one
  // tensor under two names.
  const constantReads = new Map<Tensor, number>();
  for (const p of live) {
    for (const n of p.node.inputs) {
      const c = n && !symbols.has(n) ? constants.get(n) : undefined;
      if (c) constantReads.set(c, (constantReads.get(c) ?? 0) + 1);
    }
  }
  for (const p of live) {
    const callInputs: SymbolicTensor[] = [];
    const weightSpecs: NodeWeightSpec[] = [];
    const weightValues: Tensor[] = [];
    const weightOwned: boolean[] = [];
    const constantsOut: Tensor[] = [];
    const constantNames: string[] = [];
    const slots = p.node.inputs.map((n, k): InputSlot => {
      if (n === '') return { kind: 'none' };
      const sym = symbols.get(n);
      if (sym) {
        let index = callInputs.indexOf(sym);
        if (index < 0) index = callInputs.push(sym) - 1;
        return { kind: 'input', index };
      }
      const c = constants.get(n)!;
      if (c.dtype === 'float32') {
        // Parameters (read from initializers by parametric ops) learn; buffers and Constant-node floats stay fixed.
        weightSpecs.push({ name: n, shape: c.shape.slice(), trainable: trainableWeight(p, k, n) });
        weightOwned.push(constantReads.get(c) === 1);
        return { kind: 'weight', index: weightValues.push(c) - 1, name: n };
      }
      constantNames.push(n);
      return { kind: 'constant', index: constantsOut.push(c) - 1, name: n };
    });
    const nodeOutputs = p.node.outputs.slice();
    // Trailing omitted outputs are not computed; inner omitted ones keep their position.
    while (nodeOutputs.length && nodeOutputs[nodeOutputs.length - 1] === '') nodeOutputs.pop();
    const layer = new OnnxNode({
      name: p.name,
      opType: p.node.opType,
      opset,
      attributes: p.attributes,
      inputSlots: slots,
      weightSpecs,
      weightValues,
      weightOwned,
      constants: constantsOut.map((c, k) => ({ ...toStoredTensor(c), dtype: types.get(constantNames[k]!) ?? 'int64' })),
      outputNames: nodeOutputs,
      outputShapes: nodeOutputs.map((o) => (o ? shapeOf(o) : [])),
      outputDtypes: nodeOutputs.map((o) => (o ? dtypeOf(o) : 'float32')),
      // Type-aware ops (those declaring output types: quantization) keep their inputs' ONNX types.
      ...(p.spec.outputTypes ? { inputTypes: p.ctx.inputTypes.map((t) => t ?? null) } : {}),
      inputSignatures: callInputs.map((sym) => declaredInputs.get(sym) ?? null),
      outputSignatures: nodeOutputs.map((o) => (o ? declaredOutput(o) : null)),
    });
    const apply = layer.apply as (i: SymbolicTensor[]) => SymbolicTensor | SymbolicTensor[];
    const out = apply.call(layer, callInputs);
    const list = Array.isArray(out) ? out : [out];
    nodeOutputs.forEach((o, k) => o && symbols.set(o, list[k]!));
  }

  const outputs = outputNames.map((name) => {
    const s = symbols.get(name);
    if (s && !modelInputs.includes(s)) return s;
    if (constants.has(name)) throw new Error(`output '${name}' is a constant (it does not depend on any input)`);
    if (s) throw new Error(`output '${name}' is a graph input passed straight through, which a model cannot return`);
    throw new Error(`output '${name}' is not a value of the graph`);
  });
  const result = new LayersModel({ inputs: modelInputs, outputs, name: options.name ?? (model.graph.name || 'onnx_model') });
  if (options.compile !== false) result.inferencePlanner = new ImportedModelPlanner(result);
  return result;
}
