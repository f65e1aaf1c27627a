// Child process for the InferenceSession exit test: calls process.exit(7) while both workers are
// inside onnxruntime. It must exit with 7; onnxruntime-node would abort the process (134) if a
// worker were terminated mid-run. Prints how many workers were busy at the exit call.
import { join } from 'node:path';
import { InferenceSession } from '../../src/onnx/inference-session';

async function main(): Promise<void> {
  const session = await InferenceSession.create(join(__dirname, '..', 'fixtures', 'cnn.onnx'), { workers: 2 });
  const x = { data: new Float32Array(512 * 784), dims: [512, 1, 28, 28] };
  for (let i = 0; i < 8; i++) session.run({ input: x }).catch(() => undefined);
  setTimeout(() => {
    process.stdout.write(`busy ${session.poolState().busy}\n`);
    process.exit(7);
  }, 15);
}
void main();
