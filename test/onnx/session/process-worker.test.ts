// InferenceSession with isolation: 'process': onnxruntime runs in child processes, so a native crash
// there (here a deliberate process.abort() in the child, through a test-only hook) rejects the
// request it hit, a new child takes over and this process keeps serving.
import { afterAll, describe, expect, it } from 'vitest';
import { InferenceSession } from '../../../src/onnx/inference-session';
import { buildOnnx } from '../../helpers/onnx-graph';

const ABORT_VALUE = 4242;
process.env['TENSORFORGE_SESSION_TEST_ABORT_ON'] = String(ABORT_VALUE);
afterAll(() => {
  delete process.env['TENSORFORGE_SESSION_TEST_ABORT_ON'];
});

const model = buildOnnx({
  inputs: [{ name: 'x', shape: ['n', 4] }],
  outputs: ['y'],
  nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }],
});

describe("InferenceSession isolation: 'process'", () => {
  it('runs the model in a child process with the same results as threads', async () => {
    const session = await InferenceSession.create(model, { isolation: 'process', workers: 1 });
    try {
      const out = await session.run({ x: { data: new Float32Array([-1, 2, -3, 4]), dims: [1, 4] } });
      expect(Array.from(out['y']!.dataSync())).toEqual([0, 2, 0, 4]);
      expect(session.poolState().threadIds[0]).toBeLessThan(0);
    } finally {
      await session.dispose();
    }
  });

  it('a crash in the child rejects its requests, restarts the child, and serving goes on', async () => {
    const session = await InferenceSession.create(model, { isolation: 'process', workers: 1 });
    try {
      const crash = session.run({ x: { data: new Float32Array([ABORT_VALUE, 0, 0, 0]), dims: [1, 4] } });
      await expect(crash).rejects.toThrow(/stopped unexpectedly \(exit code 134: the session process was killed by SIGABRT\); it is being replaced/);
      // Repeated crashes do not give up on the session while each new child loads the model fine.
      for (let k = 0; k < 7; k++) {
        await expect(session.run({ x: { data: new Float32Array([ABORT_VALUE, 1, 1, 1]), dims: [1, 4] } })).rejects.toThrow(/SIGABRT/);
      }
      const ok = await session.run({ x: { data: new Float32Array([1, -2, 3, -4]), dims: [1, 4] } });
      expect(Array.from(ok['y']!.dataSync())).toEqual([1, 0, 3, 0]);
      expect(session.poolState().replaced).toBe(8);
    } finally {
      await session.dispose();
    }
  });

  it('rejects an unknown isolation mode', async () => {
    await expect(InferenceSession.create(model, { isolation: 'vm' as never })).rejects.toThrow(/options\.isolation' expected 'thread' or 'process'/);
  });
});
