import { formatShape } from '../layers/symbolic-tensor';
import type { LayersModel } from './layers-model';

/** Keras-style summary: layer (type), output shape, params, and trainable/non-trainable totals. */
export function printSummary(model: LayersModel, lineLength = 65, print: (line: string) => void = console.log): void {
  const cols = [Math.floor(lineLength * 0.45), Math.floor(lineLength * 0.33)];
  const row = (a: string, b: string, c: string) => a.padEnd(cols[0]!) + b.padEnd(cols[1]!) + c;
  const layers = model.layers;
  const shapeOf = new Map<string, string>();
  for (const t of model.inputs) shapeOf.set(t.sourceLayer.name, formatShape(t.shape));
  try {
    // Output shapes come from the wired graph; a deferred Sequential has none yet.
    for (const l of layers) {
      const out = (model as unknown as { nodes: { layer: typeof l; outputs: { shape: (number | null)[] }[] }[] }).nodes
        .filter((n) => n.layer === l)
        .flatMap((n) => n.outputs.filter(Boolean).map((o) => formatShape(o.shape)));
      if (out.length) shapeOf.set(l.name, out.join(', '));
    }
  } catch {
    // leave shapes unknown
  }
  print(`Model: "${model.name}"`);
  print('_'.repeat(lineLength));
  print(row('Layer (type)', 'Output Shape', 'Param #'));
  print('='.repeat(lineLength));
  layers.forEach((l, i) => {
    print(row(`${l.name} (${l.className})`, shapeOf.get(l.name) ?? '?', String(l.countParams())));
    print(i === layers.length - 1 ? '='.repeat(lineLength) : '_'.repeat(lineLength));
  });
  const total = model.countParams();
  const trainable = model.trainableWeights.reduce((n, w) => n + w.size, 0);
  print(`Total params: ${total.toLocaleString('en-US')}`);
  print(`Trainable params: ${trainable.toLocaleString('en-US')}`);
  print(`Non-trainable params: ${(total - trainable).toLocaleString('en-US')}`);
  print('_'.repeat(lineLength));
}
