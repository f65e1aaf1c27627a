// tfjs's synchronous `model.evaluate`: the loss (and per-output losses, then metrics) as scalars,
// computed batch by batch with the same step as the main API's evaluate.
import { argError, describe } from '../errors';
import { Mean } from '../metrics';
import { asTensorList, sampleCount, takeRows } from '../models/batching';
import type { LayersModel } from '../models/layers-model';
import { evalStep, makeMetrics, requireCompiled } from '../models/training';
import { scalar } from '../ops/creation';
import type { Logs } from '../callbacks/callback';
import type { Tensor } from '../tensor/tensor';

/** `evaluate` options as tfjs takes them. */
export interface TfjsEvaluateArgs {
  batchSize?: number;
  verbose?: number;
  sampleWeight?: Tensor;
  steps?: number;
}

/** Logs in tfjs's order (loss, output losses, metrics) as scalars: one Scalar when only the loss. */
export function logsToScalars(logs: Logs): Tensor | Tensor[] {
  const values = Object.entries(logs).filter(([k]) => k !== 'acc' && k !== 'val_acc').map(([, v]) => scalar(v));
  return values.length === 1 ? values[0]! : values;
}

/** The body of the tfjs adapter's `evaluate(x, y, args)`. */
export function evaluateSync(model: LayersModel, x: unknown, y: unknown, args: TfjsEvaluateArgs = {}): Tensor | Tensor[] {
  const c = requireCompiled(model, 'evaluate');
  const batchSize = args.batchSize ?? 32;
  if (!Number.isInteger(batchSize) || batchSize < 1) argError('evaluate', 'batchSize', 'a positive integer', describe(batchSize));
  const xs = asTensorList('evaluate', 'x', x);
  const ys = asTensorList('evaluate', 'y', y);
  if (ys.length !== model.outputNames.length) argError('evaluate', 'y', `${model.outputNames.length} target tensor(s)`, `${ys.length}`);
  const sw = args.sampleWeight ?? null;
  const n = sampleCount('evaluate', [{ name: 'x', tensors: xs }, { name: 'y', tensors: ys }]);
  const metrics = makeMetrics(model, c);
  const lossMean = new Mean('loss');
  const outputMeans = model.outputNames.map((name) => new Mean(`${name}_loss`));
  for (let start = 0; start < n; start += batchSize) {
    const size = Math.min(batchSize, n - start);
    const r = evalStep(model, c, takeRows(xs, null, start, size), takeRows(ys, null, start, size), sw ? takeRows([sw], null, start, size)[0]! : null, metrics);
    lossMean.update(r.total, size);
    r.losses.forEach((l, i) => outputMeans[i]!.update(l, size));
  }
  const logs: Logs = { loss: lossMean.result() };
  if (outputMeans.length > 1) outputMeans.forEach((m) => (logs[m.name] = m.result()));
  for (const m of metrics) logs[m.name] = m.metric.result();
  return logsToScalars(logs);
}
