// Recognises layer normalization written out in primitive ops (PyTorch's export below opset 17):
//   m = ReduceMean(x, trailing axes); d = Sub(x, m); var = ReduceMean(Pow(d, 2)); 
//   y = Div(d, Sqrt(Add(var, eps))) * gamma (+ beta)
// and rewrites it into one LayerNormalization node, which runs the native layer-norm kernels.
// (An opset-17 LayerNormalization node needs no rewrite: it maps onto layerNorm directly.)
import type { OnnxNode } from '../../read-model';
import { rebuild } from './attention';
import type { GraphView } from './graph-view';

/** ReduceMean's axes (attribute before opset 18, input from 18), when they are the trailing ones counted from -1. */
function trailingAxes(n: OnnxNode, g: GraphView): number | null {
  if (n.attributes['keepdims'] === 0) return null;
  const attr = n.attributes['axes'];
  const axes = Array.isArray(attr) ? (attr as number[]) : n.inputs[1] ? g.constant(n.inputs[1]) : null;
  if (!axes || axes.length === 0) return null;
  const sorted = [...axes].sort((a, b) => a - b);
  // [-k, ..., -1]: normalized over the last k axes whatever the rank.
  return sorted.every((a, i) => a === -sorted.length + i) ? -sorted.length : null;
}

function match(div: OnnxNode, g: GraphView): { x: string; axis: number; eps: number; nodes: OnnxNode[] } | null {
  const [dName, sdName] = div.inputs as [string, string];
  const sub = g.producedBy(dName, 'Sub');
  const sqrt = g.producedBy(sdName, 'Sqrt');
  if (!sub || !sqrt || !g.readOnly(dName, 2) || !g.readOnly(sdName)) return null;
  const [x, mName] = sub.inputs as [string, string];
  const mean = g.producedBy(mName, 'ReduceMean');
  if (!mean || mean.inputs[0] !== x || !g.readOnly(mName)) return null;
  const add = g.producedBy(sqrt.inputs[0]!, 'Add');
  if (!add || !g.readOnly(sqrt.inputs[0]!)) return null;
  const [vName, eName] = g.scalar(add.inputs[1]!) !== null ? (add.inputs as [string, string]) : [add.inputs[1]!, add.inputs[0]!];
  const eps = g.scalar(eName);
  const varMean = g.producedBy(vName, 'ReduceMean');
  if (eps === null || !(eps > 0) || !varMean || !g.readOnly(vName)) return null;
  const pow = g.producedBy(varMean.inputs[0]!, 'Pow');
  if (!pow || pow.inputs[0] !== dName || g.scalar(pow.inputs[1]!) !== 2 || !g.readOnly(varMean.inputs[0]!)) return null;
  const axis = trailingAxes(mean, g);
  if (axis === null || trailingAxes(varMean, g) !== axis) return null;
  return { x, axis, eps, nodes: [mean, sub, pow, varMean, add, sqrt, div] };
}

/** The other operand of a binary node, given one of them. */
function other(n: OnnxNode, value: string): string | null {
  if (n.inputs[0] === value) return n.inputs[1] ?? null;
  if (n.inputs[1] === value) return n.inputs[0] ?? null;
  return null;
}

/**
 * Rewrites every decomposed layer normalization followed by a constant scale (and optionally a
 * constant shift) into a LayerNormalization node at the position of its last node.
 */
export function fuseLayerNormNodes(nodes: readonly OnnxNode[], g: GraphView): OnnxNode[] {
  const replaced = new Map<OnnxNode, OnnxNode | null>();
  const readersOf = (value: string) => nodes.filter((n) => n.inputs.includes(value));
  for (const div of nodes) {
    if (div.opType !== 'Div' || div.domain !== '' || replaced.has(div)) continue;
    const m = match(div, g);
    if (!m) continue;
    const normed = div.outputs[0]!;
    const mul = readersOf(normed)[0];
    const gamma = mul && mul.opType === 'Mul' && g.readOnly(normed) ? other(mul, normed) : null;
    if (!mul || !gamma || !g.isStatic(gamma)) continue;
    let last = mul;
    let beta: string | null = null;
    const scaled = mul.outputs[0]!;
    const add = readersOf(scaled)[0];
    const b = add && add.opType === 'Add' && g.readOnly(scaled) ? other(add, scaled) : null;
    if (add && b && g.isStatic(b)) {
      beta = b;
      last = add;
    }
    const fused: OnnxNode = {
      name: `${last.name || div.name}/fused_layer_norm`,
      opType: 'LayerNormalization',
      domain: '',
      inputs: [m.x, gamma, ...(beta ? [beta] : [])],
      outputs: last.outputs.slice(),
      attributes: { axis: m.axis, epsilon: m.eps },
      attributeKinds: { axis: 'int', epsilon: 'float' },
    };
    for (const n of [...m.nodes, mul]) replaced.set(n, null);
    replaced.set(last, fused);
  }
  return rebuild(nodes, replaced);
}
