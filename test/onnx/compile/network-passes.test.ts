// Plan passes real networks' shapes ask for: DenseNet's prefix-sharing channel Concats written into
// one buffer (each Concat a channel slice of it), all-zero Pads and Identities elided, an
// AveragePool moved before the 1x1 convolution feeding it; MobileNetV3's squeeze-and-excitation
// gate (HardSigmoid) in its convolution's epilogue. Each graph is checked against the uncompiled import
// (within 1e-5 relative, call after call: the shared buffer is made afresh per call).
import { describe, expect, it } from 'vitest';
import { tensor } from '../../../src/ops/creation';
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
