// The inference plans of one imported model: built lazily per input shape signature on the first
// inference-mode forward pass, dropped when any weight changes (the plans hold values derived from
// weights: folded BatchNorm, packed filters). Training never sees them: it runs the imported graph.
import { noGrad } from '../../autograd/tape';
import type { InferencePlanner, LayersModel } from '../../models/layers-model';
import type { Tensor } from '../../tensor/tensor';
import { untracked } from '../../tensor/scope';
import { buildIr } from './build-ir';
import { InferencePlan, type PlanStats } from './plan';

/** Input signatures kept at once (a model predicting at many batch sizes compiles each; this bounds it). */
const MAX_PLANS = 8;

export class ImportedModelPlanner implements InferencePlanner {
  private readonly plans = new Map<string, InferencePlan | null>();
  private weights: Tensor[] = [];
  private versions: number[] = [];

  constructor(private readonly model: LayersModel) {}

  run(xs: readonly Tensor[]): Tensor[] | null {
    const plan = this.planFor(xs);
    return plan ? plan.run(xs) : null;
  }

  /** @internal milliseconds per op type over one call (the plan for these inputs) */
  profile(xs: readonly Tensor[]): Map<string, number> | null {
    const plan = this.planFor(xs);
    if (!plan) return null;
    const times = new Map<string, number>();
    plan.run(xs, times);
    return times;
  }

  /** @internal what compiling for these inputs did (null: this signature runs uncompiled) */
  stats(xs: readonly Tensor[]): PlanStats | null {
    return this.planFor(xs)?.stats ?? null;
  }

  private planFor(xs: readonly Tensor[]): InferencePlan | null {
    this.dropIfWeightsChanged();
    const key = xs.map((x) => `${x.dtype}[${x.shape.join(',')}]`).join(';');
    let plan = this.plans.get(key);
    if (plan === undefined) {
      if (this.plans.size >= MAX_PLANS) this.plans.delete(this.plans.keys().next().value!);
      plan = untracked(() => noGrad(() => this.compile(xs)));
      this.plans.set(key, plan);
    }
    return plan;
  }

  private compile(xs: readonly Tensor[]): InferencePlan | null {
    const g = buildIr(this.model);
    if (!g) return null;
    if (this.weights.length === 0) {
      this.weights = this.model.weights;
      this.versions = this.weights.map((w) => w.storage.version);
    }
    return new InferencePlan(g, xs);
  }

  private dropIfWeightsChanged(): void {
    const w = this.weights;
    for (let i = 0; i < w.length; i++) {
      if (w[i]!.storage.version !== this.versions[i]) {
        this.plans.clear();
        this.versions = w.map((t) => t.storage.version);
        return;
      }
    }
  }
}
