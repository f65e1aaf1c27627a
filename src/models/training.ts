import { argError, describe } from '../errors';
import { camelOptions } from '../option-names';
import { noGrad } from '../autograd/tape';
import { gradientsOf } from '../autograd/backward';
import { scoped } from '../tensor/scope';
import { Tensor } from '../tensor/tensor';
import { StepArena } from '../tensor/step-arena';
import { add, mul } from '../ops/binary';
import { mean } from '../ops/reduce';
import { concat } from '../ops/movement';
import { argmax } from '../ops/reduce';
import { type Loss, type LossIdentifier, getLoss, getLossConfig } from '../losses';
import { type Metric, type MetricIdentifier, Mean, getMetric } from '../metrics';
import { type Optimizer, getOptimizer } from '../optimizers';
import type { OptimizerIdentifier } from '../optimizers/serialization';
import { type Callback, CallbackList, type Logs, type TrainingParams } from '../callbacks/callback';
import type { LayersModel } from './layers-model';
import { History } from './history';
import { ProgressLogger } from './progress';
import { asTensorList, permutation, sampleCount, takeRows } from './batching';
import { shuffleGenerator, stepGenerator } from './training-rng';
import { withGenerator } from '../random/generator';

/** `model.compile` options (tfjs names). */
export interface CompileArgs {
  optimizer: OptimizerIdentifier;
  /** One loss for every output, or one per output (array in output order, or by output name). */
  loss: LossIdentifier | LossIdentifier[] | Record<string, LossIdentifier>;
  /** Metrics for every output, or per output (array of arrays in output order, or by output name). */
  metrics?: MetricIdentifier[] | MetricIdentifier[][] | Record<string, MetricIdentifier[]>;
  /** Weights of each output's loss in the total (default 1). */
  lossWeights?: number[] | Record<string, number>;
}

/** @internal what compile() resolved */
export interface Compiled {
  optimizer: Optimizer;
  losses: Loss[];
  lossWeights: number[];
  metricIds: MetricIdentifier[][];
  args: CompileArgs;
  /** Memory plan of the training step, per batch shape. */
  stepArena: StepArena;
}

/** A batch source fit() can read: tensors, or an async iterable of `{ x, y }` batches (Dataset). */
export interface BatchSource {
  [Symbol.asyncIterator](): AsyncIterator<{ x: Tensor | Tensor[]; y?: Tensor | Tensor[] }>;
}

/** `model.fit` options (tfjs names). */
export interface FitArgs {
  epochs?: number;
  batchSize?: number;
  /** 0 silent, 1 progress bar (one line per epoch off a TTY), 2 one line per epoch. */
  verbose?: 0 | 1 | 2;
  callbacks?: Callback | Callback[];
  /** Fraction of the samples, taken from the end before shuffling, held out for validation. */
  validationSplit?: number;
  validationData?: [Tensor | Tensor[], Tensor | Tensor[]] | [Tensor | Tensor[], Tensor | Tensor[], Tensor] | BatchSource;
  shuffle?: boolean;
  /** Loss weight per class index (labels as ints or one-hot). */
  classWeight?: Record<number, number>;
  sampleWeight?: Tensor;
  initialEpoch?: number;
  validationBatchSize?: number;
  /**
   * The longest stretch (ms) fit() computes before letting the event loop run. Default 0: it yields
   * after every training step, so a request queued during fit (a prediction on a server) waits at
   * most one step. A setImmediate per step costs microseconds; raise this only for tiny steps.
   */
  yieldEveryMs?: number;
}

export interface EvaluateArgs {
  batchSize?: number;
  verbose?: 0 | 1;
  sampleWeight?: Tensor;
}

export interface PredictArgs {
  batchSize?: number;
  verbose?: 0 | 1;
}

function perOutput<T>(fn: string, arg: string, model: LayersModel, value: T | T[] | Record<string, T>, isSingle: (v: unknown) => boolean): T[] {
  const names = model.outputNames;
  if (isSingle(value)) return names.map(() => value as T);
  if (Array.isArray(value)) {
    if (value.length !== names.length) argError(fn, arg, `${names.length} entries (one per output)`, `${value.length}`);
    return value;
  }
  if (value && typeof value === 'object') {
    const rec = value as Record<string, T>;
    return names.map((n) => {
      if (!(n in rec)) argError(fn, arg, `an entry for output '${n}'`, describe(Object.keys(rec)));
      return rec[n]!;
    });
  }
  return argError(fn, arg, 'a value, an array per output or an object by output name', describe(value));
}

export function compileModel(model: LayersModel, argsIn: CompileArgs): Compiled {
  if (!argsIn || typeof argsIn !== 'object') argError('compile', 'args', '{ optimizer, loss, metrics? }', describe(argsIn));
  const args = camelOptions('compile', argsIn);
  if (args.loss === undefined) argError('compile', 'loss', 'a loss name, function or object', 'undefined');
  const optimizer = getOptimizer(args.optimizer);
  const isLossId = (v: unknown) => typeof v === 'string' || typeof v === 'function';
  const losses = perOutput('compile', 'loss', model, args.loss, isLossId).map((l) => getLoss(l));
  const lossWeights = args.lossWeights === undefined
    ? model.outputNames.map(() => 1)
    : perOutput('compile', 'lossWeights', model, args.lossWeights as number | number[] | Record<string, number>, (v) => typeof v === 'number');
  const metricIds = args.metrics === undefined
    ? model.outputNames.map(() => [])
    : Array.isArray(args.metrics) && !(args.metrics.length > 0 && args.metrics.every((m) => Array.isArray(m)))
      ? model.outputNames.map(() => args.metrics as MetricIdentifier[])
      : perOutput('compile', 'metrics', model, args.metrics as MetricIdentifier[][] | Record<string, MetricIdentifier[]>, () => false);
  // Resolve once now so unknown metric names fail at compile time, as in Keras.
  metricIds.forEach((ids, i) => ids.forEach((id) => getMetric(id, { lossName: losses[i]!.name, outputShape: model.outputShapes[i] })));
  return { optimizer, losses, lossWeights, metricIds, args, stepArena: new StepArena() };
}

/** @internal metric objects for one run (fit epoch or evaluate), named as Keras names them; also used by the tfjs adapter's synchronous evaluate */
export function makeMetrics(model: LayersModel, c: Compiled): { metric: Metric; output: number; name: string }[] {
  const multi = model.outputNames.length > 1;
  return c.metricIds.flatMap((ids, i) =>
    ids.map((id) => {
      const metric = getMetric(id, { lossName: c.losses[i]!.name, outputShape: model.outputShapes[i] });
      return { metric, output: i, name: multi ? `${model.outputNames[i]}_${metric.name}` : metric.name };
    }),
  );
}

/** @internal the compiled state, or an Error telling to compile first */
export function requireCompiled(model: LayersModel, fn: string): Compiled {
  const c = (model as unknown as { compiled: Compiled | null }).compiled;
  if (!c) throw new Error(`${fn}: call model.compile({ optimizer, loss }) first`);
  return c;
}

/** Per-sample weights from classWeight for a batch of labels (int labels or one-hot rows). */
function classWeights(y: Tensor, weights: Record<number, number>): Tensor {
  const labels = y.rank >= 2 && y.shape[y.rank - 1]! > 1 ? argmax(y, -1) : y;
  const data = labels.dataSync();
  const out = Tensor.empty([y.shape[0]!], 'float32');
  const o = out.buffer;
  for (let i = 0; i < out.size; i++) o[i] = weights[Math.round(data[i]!)] ?? 1;
  return out;
}

interface StepResult {
  losses: number[];
  total: number;
}

/**
 * Forward, loss, gradients and the optimizer update for one batch. Everything it creates is
 * disposed before it returns, so the next step reuses the same buffers.
 */
function trainStep(model: LayersModel, c: Compiled, xs: Tensor[], ys: Tensor[], sw: Tensor | null, metrics: ReturnType<typeof makeMetrics>): StepResult {
  return withGenerator(stepGenerator(model, c.optimizer.iterations), () => c.stepArena.run(batchKey(xs, ys, sw), () => scoped(() => {
    const ctx = { training: true, losses: [] as Tensor[] };
    const preds = model.forward(xs, ctx);
    const { total, parts } = totalLoss(c, preds, ys, sw);
    let objective = total;
    for (const r of [...model.regularizationLosses(), ...ctx.losses]) objective = add(objective, r);
    const params = model.trainableWeights;
    if (params.length && objective.requiresGrad) {
      const grads = gradientsOf(objective, params);
      const pairs: [Tensor, Tensor][] = [];
      params.forEach((p, i) => grads[i] && pairs.push([p, grads[i]!]));
      c.optimizer.applyGradients(pairs);
    }
    noGrad(() => metrics.forEach((m) => m.metric.update(ys[m.output]!, preds[m.output]!, sw)));
    return { losses: parts.map((p) => p.item()), total: objective.item() };
  }, () => [])));
}

/** What a step's allocations depend on: the shapes and dtypes of its batch. */
function batchKey(xs: Tensor[], ys: Tensor[], sw: Tensor | null): string {
  let key = '';
  for (const t of sw ? [...xs, ...ys, sw] : [...xs, ...ys]) key += `${t.dtype}[${t.shape.join(',')}]`;
  return key;
}

function totalLoss(c: Compiled, preds: Tensor[], ys: Tensor[], sw: Tensor | null): { total: Tensor; parts: Tensor[] } {
  const parts = preds.map((p, i) => {
    const perSample = c.losses[i]!(ys[i]!, p);
    // Keras's SUM_OVER_BATCH_SIZE: weighted sum divided by the batch size.
    return mean(sw ? mul(perSample, sw) : perSample);
  });
  let total = c.lossWeights[0] === 1 ? parts[0]! : mul(parts[0]!, c.lossWeights[0]!);
  for (let i = 1; i < parts.length; i++) total = add(total, c.lossWeights[i] === 1 ? parts[i]! : mul(parts[i]!, c.lossWeights[i]!));
  return { total, parts };
}

const yieldToLoop = (): Promise<void> => new Promise((r) => setImmediate(r));

function isBatchSource(v: unknown): v is BatchSource {
  return typeof v === 'object' && v !== null && !(v instanceof Tensor) && !Array.isArray(v) && Symbol.asyncIterator in v;
}

function checkPositiveInt(fn: string, arg: string, v: unknown): number {
  if (!Number.isInteger(v) || (v as number) < 1) argError(fn, arg, 'a positive integer', describe(v));
  return v as number;
}

// Models with a fit() in progress. Two fits on one model would interleave their steps on the same
// weights and optimizer state (the result matching neither run), so the second is an Error.
const fitting = new WeakSet<LayersModel>();

function checkNotFitting(model: LayersModel, fn: string): void {
  if (fitting.has(model)) {
    throw new Error(`${fn}: model '${model.name}' is already being trained by a fit() in progress; await it (or stop it with model.stopTraining = true) before training again`);
  }
}

/** The body of `model.fit`: one at a time per model. */
export async function fitModel(model: LayersModel, x: unknown, y: unknown, args: FitArgs = {}): Promise<History> {
  checkNotFitting(model, 'fit');
  fitting.add(model);
  try {
    return await fitModelOnce(model, x, y, args);
  } finally {
    fitting.delete(model);
  }
}

async function fitModelOnce(model: LayersModel, x: unknown, y: unknown, argsIn: FitArgs): Promise<History> {
  const c = requireCompiled(model, 'fit');
  if (isBatchSource(x)) return fitSource(model, c, x, camelOptions('fit', (y ?? {}) as FitArgs));
  const args = camelOptions('fit', argsIn);
  const epochs = checkPositiveInt('fit', 'epochs', args.epochs ?? 1);
  const batchSize = checkPositiveInt('fit', 'batchSize', args.batchSize ?? 32);
  const verbose = args.verbose ?? 1;
  let xs = asTensorList('fit', 'x', x);
  let ys = asTensorList('fit', 'y', y);
  model.ensureWired(xs);
  if (ys.length !== model.outputNames.length) argError('fit', 'y', `${model.outputNames.length} target tensor(s)`, `${ys.length}`);
  const n = sampleCount('fit', [{ name: 'x', tensors: xs }, { name: 'y', tensors: ys }, ...(args.sampleWeight ? [{ name: 'sampleWeight', tensors: [args.sampleWeight] }] : [])]);
  let sampleWeight = args.sampleWeight ?? null;
  let validation: { xs: Tensor[]; ys: Tensor[]; sw: Tensor | null } | BatchSource | null = null;
  const split = args.validationSplit ?? 0;
  if (typeof split !== 'number' || split < 0 || split >= 1) argError('fit', 'validationSplit', 'a number in [0, 1)', describe(split));
  if (args.validationData) {
    if (isBatchSource(args.validationData)) validation = args.validationData;
    else {
      const [vx, vy, vsw] = args.validationData;
      validation = { xs: asTensorList('fit', 'validationData[0]', vx), ys: asTensorList('fit', 'validationData[1]', vy), sw: vsw ?? null };
    }
  } else if (split > 0) {
    const nVal = Math.floor(n * split);
    const nTrain = n - nVal;
    if (nVal === 0 || nTrain === 0) argError('fit', 'validationSplit', `a split leaving samples on both sides of ${n}`, String(split));
    const part = (ts: Tensor[], start: number, len: number) => takeRows(ts, null, start, len);
    validation = { xs: part(xs, nTrain, nVal), ys: part(ys, nTrain, nVal), sw: sampleWeight ? part([sampleWeight], nTrain, nVal)[0]! : null };
    xs = part(xs, 0, nTrain);
    ys = part(ys, 0, nTrain);
    sampleWeight = sampleWeight ? part([sampleWeight], 0, nTrain)[0]! : null;
  }
  const nTrain = xs[0]!.shape[0]!;
  const steps = Math.ceil(nTrain / batchSize);
  const metrics = makeMetrics(model, c);
  const { history, cbs } = trainingCallbacks(model, args, verbose, metrics, {
    epochs, initialEpoch: args.initialEpoch ?? 0, samples: nTrain, steps, batchSize, verbose, doValidation: validation !== null,
  });
  model.stopTraining = false;
  const yieldMs = args.yieldEveryMs ?? 0;
  let lastYield = performance.now();
  await cbs.trainBegin({});
  const lossMean = new Mean('loss');
  const outputLossMeans = model.outputNames.map((name) => new Mean(`${name}_loss`));
  for (let epoch = args.initialEpoch ?? 0; epoch < epochs && !model.stopTraining; epoch++) {
    lossMean.reset();
    outputLossMeans.forEach((m) => m.reset());
    metrics.forEach((m) => m.metric.reset());
    await cbs.epochBegin(epoch, {});
    const order = args.shuffle === false ? null : permutation(nTrain, shuffleGenerator(model, c.optimizer.iterations));
    const wantsBatches = cbs.wantsBatches;
    for (let b = 0; b < steps && !model.stopTraining; b++) {
      const start = b * batchSize;
      const size = Math.min(batchSize, nTrain - start);
      if (wantsBatches) await cbs.batchBegin(b, { batch: b, size });
      const r = scoped(() => {
        const bx = takeRows(xs, order, start, size);
        const by = takeRows(ys, order, start, size);
        let sw = sampleWeight ? takeRows([sampleWeight], order, start, size)[0]! : null;
        if (args.classWeight) {
          const cw = classWeights(by[0]!, args.classWeight);
          sw = sw ? mul(sw, cw) : cw;
        }
        return trainStep(model, c, bx, by, sw, metrics);
      }, () => []);
      lossMean.update(r.total, size);
      if (r.losses.length > 1) r.losses.forEach((l, i) => outputLossMeans[i]!.update(l, size));
      // Keras reports running epoch averages in batch logs, not the last batch's value.
      if (wantsBatches) await cbs.batchEnd(b, { batch: b, size, loss: lossMean.result(), ...metricLogs(metrics) });
      if (performance.now() - lastYield >= yieldMs) {
        await yieldToLoop();
        lastYield = performance.now();
      }
    }
    const logs: Logs = { loss: lossMean.result() };
    if (model.outputNames.length > 1) outputLossMeans.forEach((m) => (logs[m.name] = m.result()));
    Object.assign(logs, metricLogs(metrics));
    if (validation) {
      const v = isBatchSource(validation)
        ? await evaluateSource(model, c, validation)
        : await evaluateTensors(model, c, validation.xs, validation.ys, validation.sw, args.validationBatchSize ?? batchSize);
      for (const [k, val] of Object.entries(v)) logs[`val_${k}`] = val;
    }
    await cbs.epochEnd(epoch, logs);
    lastYield = performance.now();
  }
  await cbs.trainEnd({});
  return history;
}

/** The progress logger, the user's callbacks and the History, wired to the model and run parameters. */
function trainingCallbacks(
  model: LayersModel,
  args: FitArgs,
  verbose: number,
  metrics: ReturnType<typeof makeMetrics>,
  params: Omit<TrainingParams, 'metrics'>,
): { history: History; cbs: CallbackList } {
  const history = new History();
  const cbs = new CallbackList([
    ...(verbose > 0 ? [new ProgressLogger(verbose)] : []),
    ...(Array.isArray(args.callbacks) ? args.callbacks : args.callbacks ? [args.callbacks] : []),
    history,
  ]);
  cbs.setModel(model);
  cbs.setParams({ ...params, metrics: ['loss', ...metrics.map((m) => m.name)] });
  return { history, cbs };
}

function metricLogs(metrics: ReturnType<typeof makeMetrics>): Logs {
  const logs: Logs = {};
  for (const m of metrics) logs[m.name] = m.metric.result();
  return logs;
}

async function fitSource(model: LayersModel, c: Compiled, source: BatchSource, args: FitArgs): Promise<History> {
  const epochs = checkPositiveInt('fit', 'epochs', args.epochs ?? 1);
  const verbose = args.verbose ?? 1;
  const metrics = makeMetrics(model, c);
  const validation = args.validationData ?? null;
  const { history, cbs } = trainingCallbacks(model, args, verbose, metrics, {
    epochs, initialEpoch: args.initialEpoch ?? 0, samples: null, steps: null, batchSize: 0, verbose, doValidation: validation !== null,
  });
  model.stopTraining = false;
  await cbs.trainBegin({});
  const lossMean = new Mean('loss');
  for (let epoch = args.initialEpoch ?? 0; epoch < epochs && !model.stopTraining; epoch++) {
    lossMean.reset();
    metrics.forEach((m) => m.metric.reset());
    await cbs.epochBegin(epoch, {});
    let b = 0;
    for await (const batch of source) {
      if (batch.y === undefined) argError('fit', 'dataset', 'batches with y', 'a batch without y');
      const xs = asTensorList('fit', 'x', batch.x);
      const ys = asTensorList('fit', 'y', batch.y);
      const size = xs[0]!.shape[0]!;
      await cbs.batchBegin(b, { batch: b, size });
      const r = trainStep(model, c, xs, ys, null, metrics);
      lossMean.update(r.total, size);
      // As with tensors: the batch's own index, and running epoch averages (Keras's batch logs).
      await cbs.batchEnd(b, { batch: b, size, loss: lossMean.result(), ...metricLogs(metrics) });
      b++;
      await yieldToLoop();
      if (model.stopTraining) break;
    }
    const logs: Logs = { loss: lossMean.result(), ...metricLogs(metrics) };
    if (validation) {
      const v = isBatchSource(validation)
        ? await evaluateSource(model, c, validation)
        : await evaluateTensors(model, c, asTensorList('fit', 'validationData[0]', validation[0]), asTensorList('fit', 'validationData[1]', validation[1]), validation[2] ?? null, 32);
      for (const [k, val] of Object.entries(v)) logs[`val_${k}`] = val;
    }
    await cbs.epochEnd(epoch, logs);
  }
  await cbs.trainEnd({});
  return history;
}

/** @internal also used by the tfjs adapter's synchronous evaluate */
export function evalStep(model: LayersModel, c: Compiled, xs: Tensor[], ys: Tensor[], sw: Tensor | null, metrics: ReturnType<typeof makeMetrics>): StepResult {
  return scoped(() => noGrad(() => {
    const preds = model.forward(xs, { training: false, losses: [] });
    const { total, parts } = totalLoss(c, preds, ys, sw);
    let objective = total;
    for (const r of model.regularizationLosses()) objective = add(objective, r);
    metrics.forEach((m) => m.metric.update(ys[m.output]!, preds[m.output]!, sw));
    return { losses: parts.map((p) => p.item()), total: objective.item() };
  }), () => []);
}

async function evaluateTensors(model: LayersModel, c: Compiled, xs: Tensor[], ys: Tensor[], sw: Tensor | null, batchSize: number): Promise<Logs> {
  const n = sampleCount('evaluate', [{ name: 'x', tensors: xs }, { name: 'y', tensors: ys }]);
  const metrics = makeMetrics(model, c);
  const lossMean = new Mean('loss');
  const outputMeans = model.outputNames.map((name) => new Mean(`${name}_loss`));
  let lastYield = performance.now();
  for (let start = 0; start < n; start += batchSize) {
    const size = Math.min(batchSize, n - start);
    const r = evalStep(model, c, takeRows(xs, null, start, size), takeRows(ys, null, start, size), sw ? takeRows([sw], null, start, size)[0]! : null, metrics);
    lossMean.update(r.total, size);
    r.losses.forEach((l, i) => outputMeans[i]!.update(l, size));
    if (performance.now() - lastYield > 10) {
      await yieldToLoop();
      lastYield = performance.now();
    }
  }
  const logs: Logs = { loss: lossMean.result() };
  if (model.outputNames.length > 1) outputMeans.forEach((m) => (logs[m.name] = m.result()));
  return Object.assign(logs, metricLogs(metrics));
}

async function evaluateSource(model: LayersModel, c: Compiled, source: BatchSource): Promise<Logs> {
  const metrics = makeMetrics(model, c);
  const lossMean = new Mean('loss');
  for await (const batch of source) {
    const xs = asTensorList('evaluate', 'x', batch.x);
    const ys = asTensorList('evaluate', 'y', batch.y);
    const r = evalStep(model, c, xs, ys, null, metrics);
    lossMean.update(r.total, xs[0]!.shape[0]!);
    await yieldToLoop();
  }
  return { loss: lossMean.result(), ...metricLogs(metrics) };
}

/** The body of `model.evaluate`: loss and metrics over all samples, by name. */
export async function evaluateModel(model: LayersModel, x: unknown, y: unknown, argsIn: EvaluateArgs = {}): Promise<Logs> {
  const args = camelOptions('evaluate', argsIn);
  const c = requireCompiled(model, 'evaluate');
  if (isBatchSource(x)) return evaluateSource(model, c, x);
  const batchSize = checkPositiveInt('evaluate', 'batchSize', args.batchSize ?? 32);
  const ys = asTensorList('evaluate', 'y', y);
  model.ensureWired(asTensorList('evaluate', 'x', x));
  if (ys.length !== model.outputNames.length) argError('evaluate', 'y', `${model.outputNames.length} target tensor(s)`, `${ys.length}`);
  return evaluateTensors(model, c, asTensorList('evaluate', 'x', x), ys, args.sampleWeight ?? null, batchSize);
}

/** The body of `model.predict`: batched inference, yielding to the event loop between batches. */
export async function predictModel(model: LayersModel, x: unknown, argsIn: PredictArgs = {}): Promise<Tensor | Tensor[]> {
  const args = camelOptions('predict', argsIn);
  const batchSize = checkPositiveInt('predict', 'batchSize', args.batchSize ?? 32);
  const xs = asTensorList('predict', 'x', x);
  model.ensureWired(xs);
  const n = sampleCount('predict', [{ name: 'x', tensors: xs }]);
  // Sized from the first batch's outputs: a Sequential without an input shape is wired only then.
  let parts: Tensor[][] | null = null;
  let lastYield = performance.now();
  for (let start = 0; start < n; start += batchSize) {
    const size = Math.min(batchSize, n - start);
    const outs = scoped(
      () => noGrad(() => model.forward(takeRows(xs, null, start, size), { training: false, losses: [] })),
      (r) => r,
    );
    parts ??= outs.map(() => []);
    outs.forEach((o, i) => parts![i]!.push(o));
    if (performance.now() - lastYield > 10) {
      await yieldToLoop();
      lastYield = performance.now();
    }
  }
  // No samples: one pass over the empty batch gives the outputs' shapes.
  if (!parts) return predictOnBatch(model, xs);
  const joined = parts.map((p) => (p.length === 1 ? p[0]! : scoped(() => concat(p, 0), (r) => [r])));
  return joined.length === 1 ? joined[0]! : joined;
}

/** The body of `model.predictOnBatch`: one synchronous forward pass in inference mode. */
export function predictOnBatch(model: LayersModel, x: unknown): Tensor | Tensor[] {
  const xs = asTensorList('predictOnBatch', 'x', x);
  model.ensureWired(xs);
  const outs = scoped(() => noGrad(() => model.forward(xs, { training: false, losses: [] })), (r) => r);
  return outs.length === 1 ? outs[0]! : outs;
}

/** The body of `model.trainOnBatch`: one optimizer step; resolves to the loss and metrics of that batch. */
export async function trainOnBatchModel(model: LayersModel, x: unknown, y: unknown): Promise<Logs> {
  checkNotFitting(model, 'trainOnBatch');
  const c = requireCompiled(model, 'trainOnBatch');
  const xs = asTensorList('trainOnBatch', 'x', x);
  const ys = asTensorList('trainOnBatch', 'y', y);
  model.ensureWired(xs);
  sampleCount('trainOnBatch', [{ name: 'x', tensors: xs }, { name: 'y', tensors: ys }]);
  const metrics = makeMetrics(model, c);
  const r = trainStep(model, c, xs, ys, null, metrics);
  return { loss: r.total, ...metricLogs(metrics) };
}

/** The JSON-safe training configuration stored by model.save. */
export function trainingConfig(c: Compiled): Record<string, unknown> {
  return {
    loss: c.losses.map((l) => getLossConfig(l)),
    metrics: c.metricIds.map((ids) => ids.map((id) => (typeof id === 'string' ? id : null)).filter((id) => id !== null)),
    lossWeights: c.lossWeights,
    optimizer: { className: c.optimizer.className, config: c.optimizer.getConfig() },
  };
}
