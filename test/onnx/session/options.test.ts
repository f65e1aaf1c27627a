// The hardening options of InferenceSession.create: isolation and warm-up.
import { describe, expect, it } from 'vitest';
import { InferenceSession } from '../../../src/onnx/inference-session';
import { resolveOptions } from '../../../src/onnx/session/options';
import { buildOnnx } from '../../helpers/onnx-graph';

describe('InferenceSession options', () => {
  it('defaults to thread isolation with a warm-up run', () => {
    expect(resolveOptions({})).toMatchObject({ isolation: 'thread', warmup: true });
    expect(resolveOptions({ isolation: 'process', warmup: false })).toMatchObject({ isolation: 'process', warmup: false });
  });

  it('rejects bad values naming the option', () => {
    expect(() => resolveOptions({ warmup: 'yes' })).toThrow(/options\.warmup' expected a boolean, got "yes"/);
    expect(() => resolveOptions({ isolation: 'vm' })).toThrow(/options\.isolation' expected 'thread' or 'process'/);
  });

  it('warms up models with symbolic dims and int64 inputs, and still serves them', async () => {
    const model = buildOnnx({
      inputs: [{ name: 'x', shape: ['n', 3] }, { name: 'i', shape: ['n'], dtype: 'int64' }],
      outputs: ['y', { name: 'j', dtype: 'int64' }],
      nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }, { op: 'Identity', inputs: ['i'], outputs: ['j'] }],
    });
    const session = await InferenceSession.create(model, { workers: 2 });
    try {
      const out = await session.run({ x: { data: new Float32Array([-1, 0, 2]), dims: [1, 3] }, i: { data: new Int32Array([5]), dims: [1] } });
      expect(Array.from(out['y']!.dataSync())).toEqual([0, 0, 2]);
      expect(Array.from(out['j']!.dataSync())).toEqual([5]);
    } finally {
      await session.dispose();
    }
  });
});
