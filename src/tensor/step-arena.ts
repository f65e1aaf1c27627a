// A training step's intermediates planned into one buffer, as an inference plan's are: one step is
// recorded (the size of every allocation and the allocation count when each was released), the
// lifetimes get offsets in one arena, and the steps that follow take their regions in allocation
// order. The buffer pool alone already stopped fresh allocation after the first step, but it kept
// one buffer per size class per live value; the arena packs values whose lifetimes do not overlap
// into the same memory and gives every step the same addresses.
//
// A plan is only a prediction: each step checks it. An allocation of another size than planned (a
// different control path) sends the rest of the step to the pool and the next step is recorded
// afresh. A value still alive when its region is due for reuse (something kept it) is moved to
// memory of its own first, so nothing the arena holds is ever shared.
import { assignOffsets } from './arena-offsets';
import type { DataArray } from './dtype';
import { type AllocationTracer, type Storage, allocateArena, dropParked, traceAllocations } from './storage';

/** A shape is recorded at its NEW_SHAPE_STEPS-th step in a row (see StepArena.run). */
const NEW_SHAPE_STEPS = 2;
/** After this many steps in a row that broke their plan (data-dependent control flow) planning stops. */
const MAX_BROKEN = 3;

interface Plan {
  readonly key: string;
  /** Bytes of each allocation, in order. */
  readonly bytes: Float64Array;
  /** Byte offset of each allocation in `buffer`; -1: from the pool (it outlives the step). */
  readonly offsets: Float64Array;
  /** dueList[dueStart[j] .. dueStart[j + 1]): the allocations whose lifetime ends before allocation j. */
  readonly dueStart: Int32Array;
  readonly dueList: Int32Array;
  readonly buffer: ArrayBuffer;
  readonly size: number;
}

/** Records one step's allocations (every one from the pool). */
class Recorder implements AllocationTracer {
  readonly bytes: number[] = [];
  readonly stores: Storage[] = [];
  readonly deaths: number[] = [];

  take(bytes: number): DataArray | null {
    this.bytes.push(bytes);
    this.deaths.push(-1);
    return null;
  }

  made(st: Storage): void {
    st.traceSlot = this.stores.length;
    this.stores.push(st);
  }

  released(st: Storage): void {
    this.deaths[st.traceSlot] = this.bytes.length;
    st.traceSlot = -1;
  }

  /** Forgets the storages that outlive the step (their release is no longer of interest). */
  finish(): void {
    for (const st of this.stores) st.traceSlot = -1;
  }

  /** The sizes of the allocations released within the step (those the plan puts in the arena). */
  arenaSizes(): number[] {
    return this.bytes.filter((_, j) => this.deaths[j]! >= 0);
  }

  toPlan(key: string): Plan {
    const n = this.bytes.length;
    const lives: { first: number; last: number; bytes: number }[] = [];
    const index: number[] = [];
    const due: number[][] = Array.from({ length: n }, () => []);
    for (let j = 0; j < n; j++) {
      const d = this.deaths[j]!;
      // Alive when the step ended: optimizer slots, metric state, layers built lazily.
      if (d < 0) continue;
      lives.push({ first: j, last: Math.max(j, d - 1), bytes: this.bytes[j]! });
      index.push(j);
      if (d < n) due[d]!.push(j);
    }
    const { offsets, size } = assignOffsets(lives);
    const { buffer, base } = allocateArena(size);
    const at = new Float64Array(n).fill(-1);
    index.forEach((j, k) => (at[j] = base + offsets[k]!));
    const dueStart = new Int32Array(n + 1);
    for (let j = 0; j < n; j++) dueStart[j + 1] = dueStart[j]! + due[j]!.length;
    return { key, bytes: Float64Array.from(this.bytes), offsets: at, dueStart, dueList: Int32Array.from(due.flat()), buffer, size };
  }
}

/** Hands a recorded step's regions to the allocations of a later step, checking the plan as it goes. */
class Runner implements AllocationTracer {
  private next = 0;
  /** The step allocated otherwise than planned: the rest of it uses the pool. */
  diverged = false;
  /** A value outlived its planned lifetime and was moved out of the arena. */
  moved = false;
  private readonly stores: (Storage | null)[];

  constructor(private readonly plan: Plan) {
    this.stores = new Array<Storage | null>(plan.bytes.length).fill(null);
  }

  take(bytes: number, length: number, int: boolean): DataArray | null {
    const j = this.next++;
    const p = this.plan;
    if (this.diverged) return null;
    if (j >= p.bytes.length || p.bytes[j] !== bytes) {
      this.diverged = true;
      return null;
    }
    for (let k = p.dueStart[j]!; k < p.dueStart[j + 1]!; k++) this.evict(p.dueList[k]!);
    const at = p.offsets[j]!;
    if (at < 0) return null;
    return int ? new Int32Array(p.buffer, at, length) : new Float32Array(p.buffer, at, length);
  }

  made(st: Storage, inArena: boolean): void {
    if (inArena) this.stores[this.next - 1] = st;
  }

  released(): void {}

  /** After the step: moves out whatever is still alive in the arena; whether the plan held. */
  finish(): boolean {
    for (let j = 0; j < this.stores.length; j++) this.evict(j);
    return !this.diverged && !this.moved && this.next === this.plan.bytes.length;
  }

  private evict(j: number): void {
    const st = this.stores[j];
    if (!st) return;
    this.stores[j] = null;
    if (st.data !== null && st.onArena) {
      st.moveOffArena();
      this.moved = true;
    }
  }
}

const disabled = process.env['TENSORFORGE_STEP_ARENA'] === '0';

/**
 * The memory plan of a repeated training step (one per compiled model): `run` executes one step,
 * recording it or taking its intermediates from the planned arena. @internal
 */
export class StepArena {
  private plan: Plan | null = null;
  private serves: string | null = null;
  private pendingKey = '';
  private pendingSteps = 0;
  private brokenSteps = 0;
  private stopped = disabled;

  /** Bytes of the current plan's arena (0: none). */
  get bytes(): number {
    return this.plan?.size ?? 0;
  }

  /** Whether steps with inputs described by `key` run on a plan. */
  planned(key: string): boolean {
    return this.plan?.key === key;
  }

  /** Runs every later step on the buffer pool (for comparisons and diagnostics). */
  disable(): void {
    this.stopped = true;
    this.plan = null;
    this.serves = null;
  }

  /** Runs one step whose allocations depend only on `key` (the shapes and dtypes of its batch). */
  run<T>(key: string, step: () => T): T {
    if (this.stopped) return step();
    if (this.plan?.key === key) {
      this.pendingSteps = 0;
      return this.runPlanned(step);
    }
    // A plan that broke is recorded afresh at its shape's next step. Any other shape is recorded
    // at its second step in a row: a model's first step builds weights and optimizer slots, and an
    // epoch's last partial batch should not replace the plan of the full ones.
    if (this.plan !== null || this.serves !== key) {
      this.pendingSteps = this.pendingKey === key ? this.pendingSteps + 1 : 1;
      this.pendingKey = key;
      if (this.pendingSteps < NEW_SHAPE_STEPS) return step();
    }
    return this.record(key, step);
  }

  private record<T>(key: string, step: () => T): T {
    const rec = new Recorder();
    const prev = traceAllocations(rec);
    let result: T;
    try {
      result = step();
    } finally {
      traceAllocations(prev);
      rec.finish();
    }
    this.plan = rec.toPlan(key);
    this.serves = key;
    this.pendingSteps = 0;
    // The step's buffers now wait in the pool; the arena takes their place.
    dropParked(rec.arenaSizes());
    return result;
  }

  private runPlanned<T>(step: () => T): T {
    const runner = new Runner(this.plan!);
    const prev = traceAllocations(runner);
    try {
      return step();
    } finally {
      traceAllocations(prev);
      if (runner.finish()) this.brokenSteps = 0;
      else {
        // Record the next step afresh, or give up on a step that never repeats itself.
        this.plan = null;
        if (++this.brokenSteps >= MAX_BROKEN) this.stopped = true;
      }
    }
  }
}
