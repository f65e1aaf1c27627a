// The inference plans of one imported model: built lazily per input shape signature on the first
// inference-mode forward pass, dropped when any weight changes (the plans hold values derived from
// weights: folded BatchNorm, packed filters). Training never sees them: it runs the imported graph.
import { noGrad } from '../../autograd/tape';
import type { InferencePlanner, LayersModel } from '../../models/layers-model';
import type { Tensor } from '../../tensor/tensor';
import { scoped, untracked } from '../../tensor/scope';
import { storageWriteEpoch } from '../../tensor/storage';
import { buildIr, recordRun } from './build-ir';
import { InferencePlan, type PlanStats } from './plan';
import type { DerivedCache } from './ir';

/** Input signatures kept at once (a model predicting at many batch sizes compiles each; this bounds it). */
const MAX_PLANS = 8;

function signature(xs: readonly Tensor[]): string {
  return xs.map((x) => `${x.dtype}[${x.shape.join(',')}]`).join(';');
}

/**
 * Serves an imported model's inference-mode forward passes from plans compiled per input shape
 * (attached by importOnnx and loadModel; `null` from run means "run the imported graph").
 */
export class ImportedModelPlanner implements InferencePlanner {
  private readonly plans = new Map<string, InferencePlan | null>();
  private readonly derived: DerivedCache = new Map();
  private weights: Tensor[] = [];
  private versions: number[] = [];
  /** Inference calls since the weights last changed (the first model call counts as after a change of nothing: it compiles). */
  private callsSinceChange = 1;
  /** @internal plans built so far (tests check that training steps do not rebuild one per prediction) */
  compiles = 0;

  constructor(private readonly model: LayersModel) {}

  /**
   * @internal why the last signature that could not be compiled or run compiled fell back to the
   * imported graph (a bug in a pass, or inputs the graph itself rejects: then the graph run throws)
   */
  lastError: unknown = null;

  run(xs: readonly Tensor[]): Tensor[] | null {
    const plan = this.planFor(xs);
    if (!plan) return null;
    try {
      return plan.run(xs);
    } catch (e) {
      // A plan has no side effects: running the graph instead gives the right answer, or the
      // graph's own error for inputs it rejects (an out-of-range token id).
      this.lastError = e;
      return null;
    }
  }

  /** @internal milliseconds per op type over one call (the plan for these inputs) */
  profile(xs: readonly Tensor[]): Map<string, number> | null {
    const plan = this.planFor(xs, true);
    if (!plan) return null;
    const times = new Map<string, number>();
    // As predict runs it (no tape, temporaries freed at the scope's end), so composite steps are
    // timed as they run there.
    scoped(() => noGrad(() => plan.run(xs, times)), () => []);
    return times;
  }

  /** @internal what compiling for these inputs did (null: this signature runs uncompiled) */
  stats(xs: readonly Tensor[]): PlanStats | null {
    return this.planFor(xs, true)?.stats ?? null;
  }

  /** The last signature looked up and the inputs' dtypes and shapes it was made from. */
  private lastKey = '';
  private lastInputs: { dtype: string; shape: readonly number[] }[] = [];

  /** signature(xs), without building the string when the inputs look like the last call's. */
  private keyOf(xs: readonly Tensor[]): string {
    const last = this.lastInputs;
    let same = last.length === xs.length;
    for (let i = 0; same && i < xs.length; i++) {
      const x = xs[i]!;
      const l = last[i]!;
      same = x.dtype === l.dtype && x.shape.length === l.shape.length && x.shape.every((d, k) => d === l.shape[k]);
    }
    if (!same) {
      this.lastKey = signature(xs);
      this.lastInputs = xs.map((x) => ({ dtype: x.dtype, shape: x.shape.slice() }));
    }
    return this.lastKey;
  }

  private planFor(xs: readonly Tensor[], force = false): InferencePlan | null {
    if (this.dropIfWeightsChanged()) this.callsSinceChange = 0;
    const key = this.keyOf(xs);
    let plan = this.plans.get(key);
    // After the weights change, the next call runs the imported graph: a plan costs about two
    // forward passes to build, which pays off over repeated predictions, not when predictions
    // alternate with training steps (or evaluation batches end each epoch) and every plan dies young.
    if (plan === undefined && this.callsSinceChange++ < 1 && !force) return null;
    if (plan === undefined) {
      if (this.plans.size >= MAX_PLANS) this.plans.delete(this.plans.keys().next().value!);
      plan = untracked(() => noGrad(() => this.compile(xs)));
      this.plans.set(key, plan);
    }
    return plan;
  }

  private compile(xs: readonly Tensor[]): InferencePlan | null {
    const g = buildIr(this.model, this.derived);
    if (!g) return null;
    if (this.weights.length === 0) {
      this.weights = this.model.weights;
      this.versions = this.weights.map((w) => w.storage.version);
      this.checkedEpoch = -1;
    }
    // The recording run is the imported graph's own forward pass: inputs it rejects throw here,
    // as they would uncompiled, and the signature is tried again next time.
    recordRun(g, xs);
    this.compiles++;
    try {
      return new InferencePlan(g, xs);
    } catch (e) {
      // A pass that cannot handle this graph leaves the signature uncompiled, never failing a prediction.
      this.lastError = e;
      return null;
    }
  }

  /** storageWriteEpoch() when the weights' versions were last compared (-1: compare next time). */
  private checkedEpoch = -1;

  /** Drops every plan when a weight was written since they were built; true when it did. */
  private dropIfWeightsChanged(): boolean {
    // No storage written since the last look: no weight either (a look costs a loop over every weight).
    const epoch = storageWriteEpoch();
    if (epoch === this.checkedEpoch) return false;
    this.checkedEpoch = epoch;
    const w = this.weights;
    for (let i = 0; i < w.length; i++) {
      if (w[i]!.storage.version !== this.versions[i]) {
        this.plans.clear();
        this.derived.clear();
        this.versions = w.map((t) => t.storage.version);
        return true;
      }
    }
    return false;
  }
}
