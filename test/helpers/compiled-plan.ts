// Shared by the plan-pass tests: a hand-built ONNX graph imported compiled and uncompiled, whose
// predictions must agree within 1e-5 relative, call after call (a plan frees and reuses its
// intermediates between calls).
import { expect } from 'vitest';
import { importOnnx } from '../../src/onnx/import';
import type { ImportedModelPlanner } from '../../src/onnx/compile/planner';
import type { Tensor } from '../../src/tensor/tensor';
import { buildOnnx } from './onnx-graph';

export type Graph = Parameters<typeof buildOnnx>[0];

/** Deterministic weights in [-0.5, 0.5]. */
export function values(n: number, seed: number): number[] {
  return Array.from({ length: n }, (_, i) => Math.sin(i * 0.7 + seed) * 0.5);
}

/** Imports `graph` both ways, checks three compiled calls against the uncompiled one, returns the planner. */
export function compareCompiled(graph: Graph, x: Tensor): ImportedModelPlanner {
  const bytes = buildOnnx(graph);
  const compiled = importOnnx(bytes);
  const plain = importOnnx(bytes, { compile: false });
  const want = (plain.predictOnBatch(x) as Tensor).dataSync();
  for (let call = 0; call < 3; call++) {
    const got = (compiled.predictOnBatch(x) as Tensor).dataSync();
    expect(got.length).toBe(want.length);
    let scale = 1e-3;
    for (const v of want) scale = Math.max(scale, Math.abs(v));
    got.forEach((v, i) => expect(Math.abs(v - want[i]!) / scale).toBeLessThan(1e-5));
  }
  return compiled.inferencePlanner as ImportedModelPlanner;
}
