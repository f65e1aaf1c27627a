// ONNX files as an attacker writes them. onnx-import: the committed fixtures with bytes flipped,
// cut or spliced, and structurally mutated (declared dims, initializer dims, attribute values) ->
// importOnnx. onnx-session: small generated graphs, including node shapes known to crash
// onnxruntime (empty optional inputs, Resize scales of the wrong length) -> InferenceSession on
// worker threads, so a crash inside onnxruntime takes this worker down and is counted.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '../../src';
import { InferenceSession } from '../../src/onnx/inference-session';
import { AttributeType, DataType, decodeModel, encodeModel } from '../../src/onnx/proto';
import type { OnnxAttributeProto, OnnxModelProto, OnnxNodeProto } from '../../src/onnx/proto';
import { Rng } from '../rng';
import type { CaseResult, FuzzTarget } from '../outcome';

const FIXTURES = ['mlp', 'cnn', 'lstm', 'gru', 'bn-net', 'resblock', 'misc', 'mobile-block', 'conv1d-gru'];
const fixtures = new Map<string, Uint8Array>();

function mutateStructure(r: Rng, m: OnnxModelProto): void {
  const g = m.graph!;
  for (const vi of g.input ?? []) {
    for (const d of vi.type?.tensorType?.shape?.dim ?? []) {
      if (r.chance(0.1)) {
        d.dimValue = r.pick([0, 1, 2 ** 28, 2 ** 31, 7, 1e9]);
        delete d.dimParam;
      }
    }
  }
  for (const t of g.initializer ?? []) if (r.chance(0.05) && t.dims?.length) t.dims[r.int(0, t.dims.length)] = r.nasty() >>> 0;
  for (const n of g.node ?? []) {
    for (const a of n.attribute ?? []) {
      if (!r.chance(0.08)) continue;
      if (a.type === AttributeType.INT) a.i = r.nasty() | 0;
      else if (a.type === AttributeType.INTS && a.ints?.length) a.ints[r.int(0, a.ints.length)] = r.nasty() | 0;
      else if (a.type === AttributeType.FLOAT) a.f = r.float();
    }
    if (r.chance(0.01) && n.input?.length) n.input[r.int(0, n.input.length)] = r.chance(0.5) ? '' : 'nope';
  }
}

export const onnxImportTarget: FuzzTarget = {
  name: 'onnx-import',
  async setup() {
    for (const f of FIXTURES) fixtures.set(f, new Uint8Array(fs.readFileSync(path.join(__dirname, '..', '..', 'test', 'fixtures', `${f}.onnx`))));
  },
  async run(seed): Promise<CaseResult> {
    const r = new Rng(seed);
    const good = fixtures.get(r.pick(FIXTURES))!;
    let bytes: Uint8Array;
    if (r.chance(0.5)) {
      const m = decodeModel(good);
      mutateStructure(r, m);
      bytes = encodeModel(m);
    } else {
      bytes = Uint8Array.from(good);
      const mode = r.int(0, 3);
      if (mode === 0) for (let j = 0; j < 4; j++) bytes[r.int(0, Math.min(bytes.length, 4096))] = r.int(0, 256);
      else if (mode === 1) bytes = bytes.subarray(0, r.int(0, bytes.length));
      else {
        const at = r.int(0, Math.min(bytes.length, 2048));
        for (let j = 0; j < 16 && at + j < bytes.length; j++) bytes[at + j] = r.int(0, 256);
      }
    }
    tf.importOnnx(bytes);
  },
};

// ---- sessions -----------------------------------------------------------------------------------

function attr(name: string, v: number | number[] | string): OnnxAttributeProto {
  if (typeof v === 'string') return { name, type: AttributeType.STRING, s: Buffer.from(v) };
  if (Array.isArray(v)) return { name, type: AttributeType.INTS, ints: v };
  return Number.isInteger(v) ? { name, type: AttributeType.INT, i: v } : { name, type: AttributeType.FLOAT, f: v };
}

interface Graph {
  nodes: OnnxNodeProto[];
  inits: { name: string; dims: number[]; floatData?: number[]; int64Data?: bigint[] }[];
  rank: number;
}

/** One node over input 'x' of rank 4 ([1, 2, 4, 4]) producing 'y'. */
function sessionGraph(r: Rng): Graph {
  const f = (n: number): number[] => Array.from({ length: n }, () => r.float());
  const op = r.pick(['Relu', 'Add', 'LayerNormalization', 'Resize', 'AveragePool', 'MaxPool', 'Softmax', 'Transpose', 'Conv', 'ReduceSum', 'Gemm', 'Reshape', 'Pad', 'Slice']);
  const empty = (): string => (r.chance(0.3) ? '' : 'b');
  switch (op) {
    case 'LayerNormalization':
      return { rank: 4, nodes: [{ opType: op, input: ['x', r.chance(0.1) ? '' : 'g', ...(r.chance(0.7) ? [empty()] : [])], output: ['y'], attribute: [attr('axis', r.pick([-1, 1, 3, 5, -9]))] }], inits: [{ name: 'g', dims: [4], floatData: f(4) }, { name: 'b', dims: [4], floatData: f(4) }] };
    case 'Resize': {
      const len = r.pick([0, 1, 2, 3, 4, 4, 4, 5, 8]);
      return { rank: 4, nodes: [{ opType: op, input: ['x', r.chance(0.5) ? '' : 'roi', 'scales'], output: ['y'], attribute: [attr('mode', r.pick(['nearest', 'linear', 'cubic', 'bogus']))] }], inits: [{ name: 'scales', dims: [len], floatData: Array.from({ length: len }, () => r.pick([1, 2, 0.5, 0, -1, 1e6])) }, { name: 'roi', dims: [r.pick([0, 4, 8])], floatData: [] }] };
    }
    case 'AveragePool':
    case 'MaxPool':
      return { rank: 4, nodes: [{ opType: op, input: ['x'], output: ['y'], attribute: [attr('kernel_shape', [r.int(1, 4), r.int(1, 4)]), attr('pads', [0, 0, 0, 0].map(() => r.int(0, 3))), attr(r.pick(['ceil_mode', 'count_include_pad']), r.nasty() | 0)] }], inits: [] };
    case 'Conv':
      return { rank: 4, nodes: [{ opType: op, input: ['x', 'w'], output: ['y'], attribute: [attr('group', r.pick([1, 2, 0, -1])), attr('strides', [r.int(0, 3), r.int(1, 3)])] }], inits: [{ name: 'w', dims: [2, r.pick([1, 2]), 3, 3], floatData: f(2 * 2 * 9).slice(0, 2 * 9 * 2) }] };
    case 'Add':
      return { rank: 4, nodes: [{ opType: op, input: ['x', 'b'], output: ['y'] }], inits: [{ name: 'b', dims: [r.pick([1, 4, 3])], floatData: f(4) }] };
    case 'Transpose':
      return { rank: 4, nodes: [{ opType: op, input: ['x'], output: ['y'], attribute: [attr('perm', r.pick([[0, 1, 3, 2], [0, 0, 1, 2], [3, 2, 1], [0, 1, 2, 7]]))] }], inits: [] };
    case 'Softmax':
    case 'ReduceSum':
      return { rank: 4, nodes: [{ opType: op, input: ['x'], output: ['y'], attribute: [attr('axis', r.pick([-1, 1, 4, -5]))] }], inits: [] };
    case 'Reshape':
      return { rank: 4, nodes: [{ opType: op, input: ['x', 's'], output: ['y'] }], inits: [{ name: 's', dims: [2], int64Data: [BigInt(r.pick([-1, 0, 8, 2 ** 20])), BigInt(r.pick([-1, 4, 3]))] }] };
    case 'Pad':
      return { rank: 4, nodes: [{ opType: op, input: ['x', 'p'], output: ['y'] }], inits: [{ name: 'p', dims: [r.pick([8, 4, 6])], int64Data: Array.from({ length: 8 }, () => BigInt(r.pick([0, 1, -1, 2]))) }] };
    case 'Slice':
      return { rank: 4, nodes: [{ opType: op, input: ['x', 's', 'e'], output: ['y'] }], inits: [{ name: 's', dims: [1], int64Data: [BigInt(r.pick([0, 1, -1, 2 ** 40]))] }, { name: 'e', dims: [1], int64Data: [BigInt(r.pick([1, 3, -1, 2 ** 40]))] }] };
    case 'Gemm':
      return { rank: 2, nodes: [{ opType: op, input: ['x', 'w'], output: ['y'], attribute: [attr('transB', r.pick([0, 1]))] }], inits: [{ name: 'w', dims: [4, 4], floatData: f(16) }] };
    default:
      return { rank: 4, nodes: [{ opType: op, input: ['x'], output: ['y'] }], inits: [] };
  }
}

export const onnxSessionTarget: FuzzTarget = {
  name: 'onnx-session',
  async run(seed): Promise<CaseResult> {
    const r = new Rng(seed);
    const g = sessionGraph(r);
    const dims = g.rank === 4 ? [1, 2, 4, 4] : [2, 4];
    const bytes = encodeModel({
      irVersion: 8,
      opsetImport: [{ domain: '', version: r.pick([13, 17, 18]) }],
      graph: {
        name: 'fuzz',
        node: g.nodes.map((n, i) => ({ ...n, name: `n${i}` })),
        input: [{ name: 'x', type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } }],
        output: [{ name: 'y', type: { tensorType: { elemType: DataType.FLOAT } } }],
        initializer: g.inits.map((t) => ({ name: t.name, dims: t.dims, dataType: t.int64Data ? DataType.INT64 : DataType.FLOAT, ...(t.int64Data ? { int64Data: t.int64Data } : { floatData: t.floatData }) })),
      },
    });
    const session = await InferenceSession.create(bytes, { workers: 1, intraOpThreads: 1 });
    try {
      const n = dims.reduce((a, b) => a * b, 1);
      await session.run({ x: { data: Float32Array.from({ length: n }, () => r.float()), dims } });
    } finally {
      await session.dispose();
    }
  },
};
