// Per-op-type breakdown of one training step (bench --profile, group train): forward time per
// layer op type (the model's forward tap, as profile-ops.mjs does for inference, convolutions
// split by kind), backward time per recorded op (each gradient node's backward rule timed), the
// rest of the backward pass (gradient accumulation, graph walk) and the optimizer update.
import { convKind, profilePasses } from './profile-ops.mjs';

const nowNs = () => Number(process.hrtime.bigint());

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

function add(totals, passes, op, pass, ns) {
  let e = totals.get(op);
  if (!e) totals.set(op, (e = { ns: new Float64Array(passes), calls: 0 }));
  e.ns[pass] += ns;
  e.calls += 1;
}

function table(totals, passes) {
  const byOp = [...totals.entries()].map(([op, v]) => ({ op, ms: median(v.ns) / 1e6, calls: v.calls / passes }));
  const sum = byOp.reduce((a, e) => a + e.ms, 0);
  for (const e of byOp) e.pct = sum ? (100 * e.ms) / sum : 0;
  return byOp.sort((a, b) => b.ms - a.ms);
}

/** Every gradient node reachable from `root`, each once. */
function gradNodes(root) {
  const nodes = [];
  const seen = new Set([root]);
  const stack = [root];
  while (stack.length) {
    const t = stack.pop();
    if (!t.node) continue;
    nodes.push(t.node);
    for (const i of t.node.inputs) {
      if (i.requiresGrad && !seen.has(i)) {
        seen.add(i);
        stack.push(i);
      }
    }
  }
  return nodes;
}

/**
 * Profiles `passes` training steps of `model` (an imported network) on one batch: SGD momentum
 * 0.9 on its trainable weights, sparse cross-entropy from logits. One unrecorded step warms up.
 * Returns { totalMs, passMs, byOp (all entries: 'fwd X', 'bwd y', 'bwd (rest)', 'optimizer'),
 * forward, backward, convKinds, phases: { forwardMs, backwardMs, optimizerMs } }.
 */
export async function profileTraining(t, model, x, y, targetMs = 4000) {
  const lossFn = t.losses.sparseCategoricalCrossentropy({ fromLogits: true });
  const opt = t.optimizers.sgd({ learningRate: 0.01, momentum: 0.9 });
  const params = model.trainableWeights;
  let passes = 2;
  const all = new Map();
  const fwd = new Map();
  const bwd = new Map();
  const kinds = new Map();
  const phases = new Map();
  for (let p = -1; p < passes; p++) {
    const record = p >= 0;
    const t0 = nowNs();
    t.tidy(() => {
      let last = 0;
      const tap = (layer, inputs) => {
        const now = nowNs();
        if (record) {
          const op = layer.opType ?? layer.className ?? layer.constructor.name;
          add(fwd, passes, op, p, now - last);
          add(all, passes, `fwd ${op}`, p, now - last);
          const kind = convKind(layer, inputs);
          if (kind) add(kinds, passes, `fwd ${kind}`, p, now - last);
        }
        last = now;
      };
      const f0 = nowNs();
      last = f0;
      const [pred] = model.forward([x], { training: true, losses: [] }, tap);
      const loss = t.mean(lossFn(y, pred));
      const f1 = nowNs();
      let opsNs = 0;
      for (const node of gradNodes(loss)) {
        const rule = node.backward;
        node.backward = (g) => {
          const s = nowNs();
          const r = rule(g);
          const ns = nowNs() - s;
          opsNs += ns;
          if (record) {
            add(bwd, passes, node.op, p, ns);
            add(all, passes, `bwd ${node.op}`, p, ns);
          }
          return r;
        };
      }
      t.backward(loss);
      const b1 = nowNs();
      opt.applyGradients(params.map((w) => [w, w.grad]));
      const o1 = nowNs();
      for (const w of params) w.grad = null;
      if (record) {
        add(all, passes, 'bwd (rest: accumulation, walk)', p, b1 - f1 - opsNs);
        add(all, passes, 'optimizer', p, o1 - b1);
        add(phases, passes, 'forward', p, f1 - f0);
        add(phases, passes, 'backward', p, b1 - f1);
        add(phases, passes, 'optimizer', p, o1 - b1);
      }
    });
    // The warm-up step sizes the run: about targetMs of profiled steps.
    if (!record) passes = profilePasses((nowNs() - t0) / 1e6, targetMs);
    await new Promise((r) => setImmediate(r));
  }
  const byOp = table(all, passes);
  const ph = Object.fromEntries(table(phases, passes).map((e) => [e.op, e.ms]));
  return {
    source: 'forward tap + timed backward rules',
    passes,
    totalMs: byOp.reduce((a, e) => a + e.ms, 0),
    passMs: (ph.forward ?? 0) + (ph.backward ?? 0) + (ph.optimizer ?? 0),
    byOp,
    forward: table(fwd, passes),
    backward: table(bwd, passes),
    convKinds: table(kinds, passes),
    phases: { forwardMs: ph.forward, backwardMs: ph.backward, optimizerMs: ph.optimizer },
  };
}

const fmtMs = (ms) => (ms >= 10 ? ms.toFixed(1) : ms.toPrecision(2));
const list = (entries, n) => entries.slice(0, n).map((e) => `${e.op} ${fmtMs(e.ms)} ms ${e.pct.toFixed(0)}%`).join(', ') +
  (entries.length > n ? `, ${entries.length - n} more` : '');

/** Multi-line text of a profileTraining result. */
export function formatTrainingProfile(p) {
  if (!p) return '  -';
  if (p.error) return `  failed: ${p.error}`;
  const ph = p.phases;
  return [
    `  step ${fmtMs(p.passMs)} ms: forward ${fmtMs(ph.forwardMs)} ms, backward ${fmtMs(ph.backwardMs)} ms, optimizer ${fmtMs(ph.optimizerMs)} ms (${p.passes} steps)`,
    `  top: ${list(p.byOp, 8)}`,
    `  forward: ${list(p.forward, 6)}`,
    `  forward conv kinds: ${list(p.convKinds, 6)}`,
    `  backward: ${list(p.backward, 8)}`,
  ].join('\n');
}
