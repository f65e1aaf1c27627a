// Child process for the InferenceSession exit test: calls process.exit(7) while a worker is inside
// onnxruntime. It must exit with 7; onnxruntime-node would abort the process (134) if a worker were
// terminated mid-run. Prints the exit gate's count of ORT calls in progress as exit begins, which
// is what proves that exit really had a run inside onnxruntime to wait for.
import { writeSync } from 'node:fs';
import { join } from 'node:path';
import { InferenceSession } from '../../src/onnx/inference-session';
import { callsInProgress } from '../../src/onnx/session/exit-guard';

async function main(): Promise<void> {
  // Registered before the session installs its exit guard, so this runs first when exit begins,
  // before the guard waits for the calls. Written synchronously: nothing async runs after exit.
  process.on('exit', () => writeSync(1, `in-ort at exit ${callsInProgress()}\n`));
  const session = await InferenceSession.create(join(__dirname, '..', 'fixtures', 'cnn.onnx'), { workers: 2 });
  // Large batches make each ORT call last ~100 ms, so a call seen in progress is still in progress
  // when process.exit runs the line after.
  const x = { data: new Float32Array(4096 * 784), dims: [4096, 1, 28, 28] };
  for (let i = 0; i < 4; i++) session.run({ input: x }).catch(() => undefined);
  while (callsInProgress() === 0) await new Promise((r) => setImmediate(r));
  process.exit(7);
}
void main();
