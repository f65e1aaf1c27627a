// Plan passes real networks' shapes ask for: DenseNet's prefix-sharing channel Concats written into
// one buffer (each Concat a channel slice of it), all-zero Pads and Identities elided, an
// AveragePool moved before the 1x1 convolution feeding it; MobileNetV3's squeeze-and-excitation
// gate (HardSigmoid) in its convolution's epilogue. Each graph is checked against the uncompiled import
// (within 1e-5 relative, call after call: the shared buffer is made afresh per call).
import { describe, expect, it } from 'vitest';
import { tensor } from '../../../src/ops/creation';
import { setBackend } from '../../../src/backend/backend';
import { compareCompiled, type Graph, values } from '../../helpers/compiled-plan';



const conv = (name: string, cin: number, cout: number, k = 3) => ({ name, shape: [cout, cin, k, k], data: values(cout * cin * k * k, cout + k + cin) });

function bnInits(p: string, c: number, k: number) {
  return [
    ...['g', 'b', 'm'].map((n, j) => ({ name: `${p}${n}`, shape: [c], data: values(c, k + j) })),
    { name: `${p}v`, shape: [c], data: Array.from({ length: c }, (_, j) => 0.5 + 0.25 * j) },
  ];
}
const bn = (p: string, x: string, y: string) => ({ op: 'BatchNormalization', inputs: [x, `${p}g`, `${p}b`, `${p}m`, `${p}v`], outputs: [y] });

const compare = compareCompiled;

const X = tensor(Float32Array.from(values(2 * 3 * 8 * 8, 1)), [2, 3, 8, 8]);

/** A dense block of `layers` layers (growth 3) on `x0` with `c0` channels, its Concats named cat1.. and `out`. */
function denseBlock(p: string, x0: string, c0: number, layers: number, out: string): { inits: Graph['initializers']; nodes: Graph['nodes'] } {
  const inits: NonNullable<Graph['initializers']> = [];
  const nodes: Graph['nodes'] = [];
  const feats = [x0];
  for (let l = 0; l < layers; l++) {
    const cin = c0 + 3 * l;
    const cat = `${p}cat${l}`;
    nodes.push({ op: 'Concat', inputs: feats.slice(), outputs: [cat], attrs: { axis: 1 } });
    inits.push(...bnInits(`${p}n${l}`, cin, l), conv(`${p}w${l}a`, cin, 4, 1), conv(`${p}w${l}b`, 4, 3));
    nodes.push(bn(`${p}n${l}`, cat, `${p}bn${l}`));
    nodes.push({ op: 'Relu', inputs: [`${p}bn${l}`], outputs: [`${p}r${l}`] });
    nodes.push({ op: 'Conv', inputs: [`${p}r${l}`, `${p}w${l}a`], outputs: [`${p}c${l}`] });
    nodes.push({ op: 'Relu', inputs: [`${p}c${l}`], outputs: [`${p}q${l}`] });
    nodes.push({ op: 'Conv', inputs: [`${p}q${l}`, `${p}w${l}b`], outputs: [`${p}y${l}`], attrs: { pads: [1, 1, 1, 1] } });
    feats.push(`${p}y${l}`);
  }
  nodes.push({ op: 'Concat', inputs: feats, outputs: [out], attrs: { axis: 1 } });
  return { inits, nodes };
}

describe('DenseNet plan passes', () => {
  it('two dense blocks and a transition: Concats as slices of one buffer, the zero Pad gone, the pool before the 1x1 convolution', () => {
    const b1 = denseBlock('a', 's', 4, 4, 'blk1');
    const b2 = denseBlock('b', 'tp', 8, 3, 'blk2');
    const p = compare({
      inputs: [{ name: 'x', shape: ['N', 3, 8, 8] }], outputs: ['y'],
      initializers: [conv('w0', 3, 4), ...b1.inits!, ...bnInits('t', 16, 9), conv('wt', 16, 8, 1), ...b2.inits!, ...bnInits('f', 17, 3),
        { name: 'zp', shape: [8], data: [0, 0, 0, 0, 0, 0, 0, 0], dtype: 'int64' }],
      nodes: [
        { op: 'Conv', inputs: ['x', 'w0'], outputs: ['s0'], attrs: { pads: [1, 1, 1, 1] } },
        { op: 'Relu', inputs: ['s0'], outputs: ['s'] },
        ...b1.nodes,
        bn('t', 'blk1', 'tb'),
        { op: 'Relu', inputs: ['tb'], outputs: ['tr'] },
        { op: 'Conv', inputs: ['tr', 'wt'], outputs: ['tc'] },
        { op: 'Pad', inputs: ['tc', 'zp'], outputs: ['tpad'] },
        { op: 'AveragePool', inputs: ['tpad'], outputs: ['tp'], attrs: { kernel_shape: [2, 2], strides: [2, 2] } },
        ...b2.nodes,
        bn('f', 'blk2', 'fb'),
        { op: 'Relu', inputs: ['fb'], outputs: ['y'] },
      ],
    }, X);
    const s = p.stats([X])!;
    // Block 1: 4 layer Concats + its output; block 2: 3 + 1.
    expect(s.inPlaceConcats).toBe(9);
    expect(s.elidedNoOps).toBe(1);
    expect(s.poolsBeforePointwise).toBe(1);
  });

  it('Concat slices read by a convolution directly, by an Add and by a non-prefix Concat; parts also read elsewhere', () => {
    const p = compare({
      inputs: [{ name: 'x', shape: ['N', 3, 8, 8] }], outputs: ['y'],
      initializers: [conv('w1', 3, 5), conv('w2', 5, 3), conv('w3', 8, 3, 1), conv('w4', 11, 5), conv('w5', 8, 5, 1)],
      nodes: [
        { op: 'Conv', inputs: ['x', 'w1'], outputs: ['a'], attrs: { pads: [1, 1, 1, 1] } },
        { op: 'Conv', inputs: ['a', 'w2'], outputs: ['b'], attrs: { pads: [1, 1, 1, 1] } },
        { op: 'Concat', inputs: ['a', 'b'], outputs: ['ab'], attrs: { axis: 1 } },
        // The slice [.., :8] of the 11-channel buffer, read by a 1x1 convolution as it is.
        { op: 'Conv', inputs: ['ab', 'w3'], outputs: ['c'] },
        { op: 'Concat', inputs: ['a', 'b', 'c'], outputs: ['abc'], attrs: { axis: 1 } },
        { op: 'Conv', inputs: ['abc', 'w4'], outputs: ['d'], attrs: { pads: [1, 1, 1, 1] } },
        // Not a prefix of [a, b, c]: its own Concat.
        { op: 'Concat', inputs: ['b', 'a'], outputs: ['ba'], attrs: { axis: 1 } },
        { op: 'Conv', inputs: ['ba', 'w5'], outputs: ['e'] },
        { op: 'Add', inputs: ['d', 'e'], outputs: ['de'] },
        { op: 'Relu', inputs: ['b'], outputs: ['br'] },
        { op: 'Concat', inputs: ['de', 'br'], outputs: ['y0'], attrs: { axis: 1 } },
        { op: 'Add', inputs: ['y0', 'ab'], outputs: ['y'] },
      ],
    }, X);
    expect(p.stats([X])!.inPlaceConcats).toBe(2);
  });

  it('leaves pools that are not a plain average after a lone 1x1 convolution where they are', () => {
    const p = compare({
      inputs: [{ name: 'x', shape: ['N', 3, 8, 8] }], outputs: ['y'],
      initializers: [conv('w1', 3, 4, 1), conv('w2', 4, 4, 1), conv('w3', 4, 4), conv('w4', 4, 4, 1), { name: 'b4', shape: [4], data: [0.5, -1, 2, 0.25] }],
      nodes: [
        // Padding (count_include_pad): the bias would be averaged with zeros.
        { op: 'Conv', inputs: ['x', 'w1'], outputs: ['c1'] },
        { op: 'AveragePool', inputs: ['c1'], outputs: ['p1'], attrs: { kernel_shape: [2, 2], pads: [1, 1, 1, 1], count_include_pad: 1 } },
        // An activation between.
        { op: 'Conv', inputs: ['p1', 'w2'], outputs: ['c2'] },
        { op: 'Relu', inputs: ['c2'], outputs: ['r2'] },
        { op: 'AveragePool', inputs: ['r2'], outputs: ['p2'], attrs: { kernel_shape: [2, 2] } },
        // A 3x3 convolution.
        { op: 'Conv', inputs: ['p2', 'w3'], outputs: ['c3'], attrs: { pads: [1, 1, 1, 1] } },
        { op: 'AveragePool', inputs: ['c3'], outputs: ['p3'], attrs: { kernel_shape: [2, 2], strides: [1, 1] } },
        // A 1x1 convolution with a bias, overlapping windows: moved.
        { op: 'Conv', inputs: ['p3', 'w4', 'b4'], outputs: ['c4'] },
        { op: 'Identity', inputs: ['c4'], outputs: ['i4'] },
        { op: 'AveragePool', inputs: ['i4'], outputs: ['y'], attrs: { kernel_shape: [2, 2], strides: [1, 1] } },
      ],
    }, X);
    const s = p.stats([X])!;
    expect(s.poolsBeforePointwise).toBe(1);
    expect(s.elidedNoOps).toBe(1);
  });

  it("MobileNetV3's squeeze-and-excitation: the HardSigmoid gate joins the second 1x1 convolution", () => {
    const p = compare({
      inputs: [{ name: 'x', shape: ['N', 3, 8, 8] }], outputs: ['y'],
      initializers: [conv('w1', 3, 6), conv('s1', 6, 4, 1), conv('s2', 4, 6, 1), { name: 'b2', shape: [6], data: values(6, 2) }],
      nodes: [
        { op: 'Conv', inputs: ['x', 'w1'], outputs: ['c'], attrs: { pads: [1, 1, 1, 1] } },
        { op: 'GlobalAveragePool', inputs: ['c'], outputs: ['g'] },
        { op: 'Conv', inputs: ['g', 's1'], outputs: ['g1'] },
        { op: 'Relu', inputs: ['g1'], outputs: ['g2'] },
        { op: 'Conv', inputs: ['g2', 's2', 'b2'], outputs: ['g3'] },
        { op: 'HardSigmoid', inputs: ['g3'], outputs: ['gate'], attrs: { alpha: { float: 1 / 6 }, beta: { float: 0.5 } } },
        { op: 'Mul', inputs: ['c', 'gate'], outputs: ['y'] },
      ],
    }, X);
    const s = p.stats([X])!;
    expect(s.fusedEpilogues).toBe(2);
    // Conv, pool, two convolutions (activations inside), Mul and the layout conversions.
    expect(s.steps).toBe(5 + s.layoutConversions);
  });
});

describe('SqueezeNet plan passes', () => {
  const fire = (p: string, x: string, cin: number, sq: number, e1: number, e3: number, out: string): { inits: Graph['initializers']; nodes: Graph['nodes'] } => ({
    inits: [conv(`${p}s`, cin, sq, 1), conv(`${p}e1`, sq, e1, 1), conv(`${p}e3`, sq, e3), { name: `${p}b`, shape: [e3], data: values(e3, 7) }],
    nodes: [
      { op: 'Conv', inputs: [x, `${p}s`], outputs: [`${p}sq`] },
      { op: 'Relu', inputs: [`${p}sq`], outputs: [`${p}sr`] },
      { op: 'Conv', inputs: [`${p}sr`, `${p}e1`], outputs: [`${p}a`] },
      { op: 'Relu', inputs: [`${p}a`], outputs: [`${p}ar`] },
      { op: 'Conv', inputs: [`${p}sr`, `${p}e3`, `${p}b`], outputs: [`${p}c`], attrs: { pads: [1, 1, 1, 1] } },
      { op: 'Relu', inputs: [`${p}c`], outputs: [`${p}cr`] },
      { op: 'Concat', inputs: [`${p}ar`, `${p}cr`], outputs: [out], attrs: { axis: 1 } },
    ],
  });

  it('Fire modules: both expansions write their channel slices of the Concat in place (small-k direct, pointwise GEMM and implicit-GEMM kernels)', () => {
    // Squeeze widths 16 (1x1 expansion on the small-k direct kernel) and 40 (on the GEMM).
    const f1 = fire('f1', 'x0', 8, 16, 24, 20, 'cat1');
    const f2 = fire('f2', 'p1', 44, 40, 32, 48, 'cat2');
    const graph: Graph = {
      inputs: [{ name: 'x', shape: ['N', 3, 8, 8] }], outputs: ['y'],
      initializers: [conv('w0', 3, 8), ...f1.inits!, ...f2.inits!, conv('wf', 80, 10, 1)],
      nodes: [
        { op: 'Conv', inputs: ['x', 'w0'], outputs: ['c0'], attrs: { pads: [1, 1, 1, 1] } },
        { op: 'Relu', inputs: ['c0'], outputs: ['x0'] },
        ...f1.nodes,
        { op: 'MaxPool', inputs: ['cat1'], outputs: ['p1'], attrs: { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 } },
        ...f2.nodes,
        { op: 'Conv', inputs: ['cat2', 'wf'], outputs: ['cf'] },
        { op: 'GlobalAveragePool', inputs: ['cf'], outputs: ['y'] },
      ],
    };
    for (const backend of ['native', 'js'] as const) {
      setBackend(backend);
      try {
        for (const x of [X, tensor(Float32Array.from(values(3 * 8 * 8, 5)), [1, 3, 8, 8])]) {
          expect(compare(graph, x).stats([x])!.convConcats).toBe(2);
        }
      } finally {
        setBackend('native');
      }
    }
  });

  it('Concats of convolutions with other epilogues, grouped and depthwise parts, three parts in another order, feeding an output; not when a part is read elsewhere or is not a convolution', () => {
    const p = compare({
      inputs: [{ name: 'x', shape: ['N', 3, 8, 8] }], outputs: ['y'],
      initializers: [conv('w1', 3, 32), conv('g', 16, 32), conv('d', 1, 32), conv('h', 32, 17, 1), conv('k', 32, 6, 1), conv('m', 32, 5, 1)],
      nodes: [
        { op: 'Conv', inputs: ['x', 'w1'], outputs: ['a'], attrs: { pads: [1, 1, 1, 1] } },
        // Parts: grouped 3x3 (16-wide groups), depthwise s1, a 1x1 with SiLU (its epilogue finishes the slice).
        { op: 'Conv', inputs: ['a', 'g'], outputs: ['ga'], attrs: { pads: [1, 1, 1, 1], group: 2 } },
        { op: 'Conv', inputs: ['a', 'd'], outputs: ['da'], attrs: { pads: [1, 1, 1, 1], group: 32 } },
        { op: 'Conv', inputs: ['a', 'h'], outputs: ['ha'] },
        { op: 'Sigmoid', inputs: ['ha'], outputs: ['hs'] },
        { op: 'Mul', inputs: ['ha', 'hs'], outputs: ['hm'] },
        // Listed in another order than computed.
        { op: 'Concat', inputs: ['hm', 'da', 'ga'], outputs: ['c1'], attrs: { axis: 1 } },
        // A part also read by an Add: stays a copying Concat.
        { op: 'Conv', inputs: ['a', 'k'], outputs: ['ka'] },
        { op: 'Conv', inputs: ['a', 'm'], outputs: ['ma'] },
        { op: 'Concat', inputs: ['ka', 'ma'], outputs: ['c2'], attrs: { axis: 1 } },
        { op: 'Add', inputs: ['ka', 'ka'], outputs: ['kk'] },
        // A part that is not a convolution.
        { op: 'Concat', inputs: ['kk', 'a'], outputs: ['c3'], attrs: { axis: 1 } },
        { op: 'GlobalAveragePool', inputs: ['c1'], outputs: ['g1'] },
        { op: 'GlobalAveragePool', inputs: ['c2'], outputs: ['g2'] },
        { op: 'GlobalAveragePool', inputs: ['c3'], outputs: ['g3'] },
        { op: 'Concat', inputs: ['g1', 'g2', 'g3'], outputs: ['y'], attrs: { axis: 1 } },
      ],
    }, X);
    expect(p.stats([X])!.convConcats).toBe(1);
    // A Concat whose value becomes the graph's output (through the conversion back to channels-first).
    const q = compare({
      inputs: [{ name: 'x', shape: ['N', 3, 8, 8] }], outputs: ['y'],
      initializers: [conv('k', 3, 6, 1), conv('m', 3, 5)],
      nodes: [
        { op: 'Conv', inputs: ['x', 'k'], outputs: ['k2'] },
        { op: 'Conv', inputs: ['x', 'm'], outputs: ['m2'], attrs: { pads: [1, 1, 1, 1] } },
        { op: 'Concat', inputs: ['k2', 'm2'], outputs: ['y'], attrs: { axis: 1 } },
      ],
    }, X);
    expect(q.stats([X])!.convConcats).toBe(1);
  });
});
