import * as os from 'node:os';
import { nativeAddon } from '../backend/binding';
import { type DType, type DataArray } from './dtype';
import { checkCount } from './budget';

// Every buffer above the slab size comes from (and returns to) the pool. A fresh typed array over 64
// bytes is a calloc outside V8's heap plus external-memory accounting that brings the next GC forward:
// with the pool starting at 16 KiB, the 2-8 KiB activations of a small transformer made allocation
// and GC a quarter of a batch-1 gpt_small forward pass (0.28-0.35 ms -> 0.22 ms per call pooled).
// The cap on parked bytes follows the most memory the process has had in use at once (at least
// 256 MB, at most half of the machine's memory, and parked plus in-use bytes stay under that
// ceiling), as PyTorch's caching allocator keeps what a training step needed: a fixed 256 MB held a fraction of a mobilenet_v2 training step's
// activations, so every step allocated the rest afresh, and zero-filling those pages plus the
// garbage collections their external memory brought forward were a third of the step, all on the
// calling thread (batch 8 at 112x112, 1 thread: ~550 -> ~290 ms per step with the cap at the peak).
// A ceiling of a quarter of the memory was below what a mobilenet_v2 batch-32 step plus the bench's
// cross-check predict had in use (7.2 GB on a 24 GB machine), so part of every step was re-faulted.
// TENSORFORGE_POOL_MB fixes the cap instead.
const MiB = 1024 * 1024;
const FIXED_CAP_BYTES = process.env['TENSORFORGE_POOL_MB'] !== undefined ? Number(process.env['TENSORFORGE_POOL_MB']) * MiB : null;
const MIN_CAP_BYTES = 256 * MiB;
const MAX_CAP_BYTES = Math.max(MIN_CAP_BYTES, Math.floor(os.totalmem() / 2));
/** Bytes of pooled-size buffers handed out and not yet back (or escaped), and their high-water mark. */
let inUseBytes = 0;
let peakInUseBytes = 0;

function poolCapBytes(): number {
  return FIXED_CAP_BYTES ?? Math.min(MAX_CAP_BYTES, Math.max(MIN_CAP_BYTES, peakInUseBytes));
}

// V8 keeps typed arrays of <= 64 bytes inside its heap and must move them out (an allocation and a
// copy) the first time native code asks for their memory, which made tiny native ops cost >1 us.
// Tiny tensors are therefore views into shared off-heap slabs; a slab is freed by the GC once no
// view of it is alive.
const SLAB_MAX_BYTES = 64;
const SLAB_BYTES = 4096;
let slab = new ArrayBuffer(SLAB_BYTES);
let slabUsed = 0;

// Pooled views start on a 64-byte boundary (a cache line, one AVX-512 vector). malloc hands V8
// large buffers 16 bytes past a page, and kernels streaming a misaligned matrix split a cache line
// on every fourth vector load: the 784x512 GEMV of a batch-1 dense layer took 22-26 us instead of
// 12-17 us. Only the addon can see addresses; without it views stay at offset 0.
const ALIGN_BYTES = 64;
type AddressProbe = (buf: ArrayBuffer) => number;
let addressMod64: AddressProbe | null | undefined;

function alignPadBytes(buf: ArrayBuffer): number {
  if (addressMod64 === undefined) {
    // A process told to stay on the js backend does not load the binary just for this.
    const addon = process.env['TENSORFORGE_BACKEND'] === 'js' ? null : nativeAddon();
    addressMod64 = addon ? addon.addressMod64.bind(addon) : null;
  }
  if (addressMod64 === null) return 0;
  const mis = addressMod64(buf);
  return mis === 0 ? 0 : ALIGN_BYTES - mis;
}

// Parked buffers per size class, oldest first: each entry carries the tick at which it was parked.
// Takes pop the newest, so a list stays in parking order and its head is the class's oldest. A
// class stays in the Map when its list empties: deleting it on a take and re-inserting it on the
// return made V8 shrink and reallocate the Map's table each time (1.5 us of every 1.8 us
// allocate-and-release of a pooled buffer, in every op of every forward pass).
// A parked buffer is kept as the last view made of it: its byteOffset is the buffer's alignment
// pad, and a take of the same length and dtype (every call of an inference plan, every training
// step) hands the view itself back instead of probing the address and making a new typed array.
interface Parked {
  readonly bufs: DataArray[];
  readonly ticks: number[];
}
const free = new Map<number, Parked>();
let pooledBytes = 0;
let freshBuffers = 0;
let tick = 0;

/** Rounds up to one of four size classes per power of two, so reuse wastes at most ~19%. */
function sizeClass(bytes: number): number {
  // The highest power of two <= bytes; clz32 instead of log2 and pow below 4 GiB (every pooled
  // allocation of every inference step computes this).
  const p = bytes < 0x100000000 ? 0x80000000 >>> Math.clz32(bytes) : 2 ** Math.floor(Math.log2(bytes));
  const step = p / 4;
  return Math.ceil(bytes / step) * step;
}

// A full pool gives up the buffer parked longest ago, whatever its class, so buffers of shapes no
// longer in use go first: after a resnet training run had filled it with 256 MB of its activation
// sizes, the tutorial CNN's buffers found no room, and its batch-64 predict paid fresh pages on
// every call (0.66 -> 2.4 ms). Per buffer, not per class: evicting whole least-recently-used
// classes kept the spare buffers a predict pass had left in the classes a training step uses (the
// step never takes the older ones of a list) and instead threw out whole classes of the step's own
// activations, which every mobilenet_v2 batch-32 step then allocated and zero-filled afresh
// (0.4-0.5 GB per step on the bench, whose cross-check predict runs before the timed steps).
function evictOldest(): boolean {
  let oldestCls = -1;
  let oldestTick = Infinity;
  for (const [cls, p] of free) {
    if (p.ticks.length > 0 && p.ticks[0]! < oldestTick) {
      oldestTick = p.ticks[0]!;
      oldestCls = cls;
    }
  }
  if (oldestCls < 0) return false;
  const p = free.get(oldestCls)!;
  pooledBytes -= p.bufs.shift()!.buffer.byteLength;
  p.ticks.shift();
  return true;
}

/** Evicts the oldest parked buffers until at most `bytes` stay parked. */
function trimTo(bytes: number): void {
  while (pooledBytes > bytes && evictOldest());
}

/** A parked view of a buffer of the size class of `bytes` (aligned), or a fresh buffer. */
/** The size class a request of `bytes` takes: room to slide its view up to a 64-byte boundary. */
function classOf(bytes: number): number {
  const cls = sizeClass(bytes);
  return cls - bytes < ALIGN_BYTES ? sizeClass(bytes + ALIGN_BYTES) : cls;
}

function takeBuffer(bytes: number): DataArray | ArrayBuffer {
  const cls = classOf(bytes);
  inUseBytes += cls;
  if (inUseBytes > peakInUseBytes) peakInUseBytes = inUseBytes;
  const p = free.get(cls);
  const view = p?.bufs.pop();
  if (view) {
    p!.ticks.pop();
    pooledBytes -= view.buffer.byteLength;
    return view;
  }
  // Parked buffers of other sizes never take the process past the pool's ceiling: the fresh buffer
  // takes the place of the oldest of them.
  trimTo(Math.max(0, (FIXED_CAP_BYTES ?? MAX_CAP_BYTES) - inUseBytes));
  freshBuffers++;
  return new ArrayBuffer(cls);
}

/** A handed-out buffer leaves the pool's accounting (escaped to user code: never coming back). */
function forgetBuffer(view: DataArray): void {
  inUseBytes -= view.buffer.byteLength;
}

function returnBuffer(view: DataArray): void {
  forgetBuffer(view);
  const size = view.buffer.byteLength;
  const cap = poolCapBytes();
  if (size > cap) return;
  trimTo(cap - size);
  let p = free.get(size);
  if (!p) free.set(size, (p = { bufs: [], ticks: [] }));
  p.bufs.push(view);
  p.ticks.push(++tick);
  pooledBytes += size;
}

// When a storage is collected its buffer goes back to the pool, so training loops that never call
// dispose() still stop paying for fresh pages once the collector catches up.
const registry = new FinalizationRegistry<DataArray>((view) => returnBuffer(view));

// While set, pooled storages are created without a registry entry: an inference plan's
// intermediates are all disposed by the plan (each after its last reader), so registering each one
// and unregistering it a few steps later was pure cost on every step (~1.5% of a batch-1 pass of a
// small network). The plan registers what it hands to the caller (Storage.register).
let deferRegistration = false;

/** Writes through any storage's `version` so far (see storageWriteEpoch). */
let writeEpoch = 0;

/**
 * Regions of an arena (one ArrayBuffer planned by an inference plan) offered to the allocations of
 * one plan step: an allocation of exactly `bytes[i]` bytes takes the first free region of that size
 * and records its storage in `taken[i]`. Arena storages never enter the pool. @internal
 */
export interface ArenaOffer {
  readonly buffer: ArrayBuffer;
  readonly offsets: readonly number[];
  readonly bytes: readonly number[];
  readonly taken: (Storage | null)[];
}
let arenaOffer: ArenaOffer | null = null;

/** @internal sets the arena regions the next allocations may take (null: none); returns the previous offer */
export function offerArena(offer: ArenaOffer | null): ArenaOffer | null {
  const prev = arenaOffer;
  arenaOffer = offer;
  return prev;
}

/** @internal a zero-filled buffer of at least `bytes` and the offset in it of a 64-byte-aligned start */
export function allocateArena(bytes: number): { buffer: ArrayBuffer; base: number } {
  const buffer = new ArrayBuffer(bytes + ALIGN_BYTES);
  return { buffer, base: alignPadBytes(buffer) };
}

/**
 * Decides where the pooled-size allocations of a traced training step go (see StepArena): `take`
 * hands back a view into a planned arena or null for the pool; `made` sees every storage so made;
 * `released` hears of the release of each storage the tracer gave a `traceSlot`. @internal
 */
export interface AllocationTracer {
  take(bytes: number, length: number, int: boolean): DataArray | null;
  made(st: Storage, inArena: boolean): void;
  released(st: Storage): void;
}
let tracer: AllocationTracer | null = null;

/** @internal installs the tracer of the allocations that follow (null: none); returns the previous one */
export function traceAllocations(t: AllocationTracer | null): AllocationTracer | null {
  const prev = tracer;
  tracer = t;
  return prev;
}

/** @internal gives up one parked buffer for each allocation of `sizes` bytes (an arena took their place) */
export function dropParked(sizes: readonly number[]): void {
  for (const bytes of sizes) {
    const p = free.get(classOf(bytes));
    if (!p?.bufs.length) continue;
    pooledBytes -= p.bufs.pop()!.buffer.byteLength;
    p.ticks.pop();
  }
}

/** @internal sets whether new pooled storages skip the registry (see Storage.register); returns the previous setting */
export function deferPoolRegistration(on: boolean): boolean {
  const prev = deferRegistration;
  deferRegistration = on;
  return prev;
}

/**
 * The JS-owned memory behind one or more tensor views. Native kernels borrow `data` for the
 * duration of a call (or pin it while async work runs).
 */
export class Storage {
  /** Null once released; every view then reports use-after-dispose. */
  data: DataArray | null;
  readonly dtype: DType;
  /** Handed to user code (dataSync) or wrapping user memory: never recycled. */
  escaped: boolean;
  /** Live (not disposed) tensors that view this storage. */
  views = 0;
  /**
   * Bumped by every in-place write through the library's APIs (optimizer steps, setWeights,
   * running statistics), so values derived from weights (an imported model's compiled inference
   * plan: folded BatchNorm, pre-packed filters) know when to be rebuilt.
   */
  get version(): number {
    return this._version;
  }
  set version(v: number) {
    this._version = v;
    writeEpoch++;
  }
  private _version = 0;
  /** Async kernels currently borrowing this memory; release waits for them. */
  private pins = 0;
  private releasePending = false;
  private readonly pooled: boolean;
  /** Lives in a training step's arena (see AllocationTracer): memory the next step overwrites. @internal */
  onArena = false;
  /** Index the allocation tracer gave this storage while recording a step (-1: none). @internal */
  traceSlot = -1;
  /** Has a registry entry (returns its buffer to the pool when collected). */
  private registered: boolean;

  private constructor(data: DataArray, dtype: DType, pooled: boolean, escaped: boolean) {
    this.data = data;
    this.dtype = dtype;
    this.pooled = pooled;
    this.escaped = escaped;
    this.registered = pooled && !deferRegistration;
    if (this.registered) registry.register(this, data, this);
  }

  /**
   * Gives a storage made while registration was deferred (deferPoolRegistration) its registry
   * entry, so that its buffer returns to the pool when the collector frees it: for tensors leaving
   * the code that deferred (an inference plan's outputs). @internal
   */
  register(): void {
    if (this.registered || !this.pooled || this.escaped || !this.data) return;
    this.registered = true;
    registry.register(this, this.data, this);
  }

  /** Uninitialized storage (contents are whatever the pooled buffer held): kernels overwrite it. */
  static allocate(dtype: DType, length: number): Storage {
    const bytes = length * 4;
    if (bytes > SLAB_MAX_BYTES) checkCount('allocate', 'a tensor', length);
    if (bytes <= SLAB_MAX_BYTES) {
      if (slabUsed + bytes > SLAB_BYTES) {
        slab = new ArrayBuffer(SLAB_BYTES);
        slabUsed = 0;
      }
      const data = dtype === 'int32' ? new Int32Array(slab, slabUsed, length) : new Float32Array(slab, slabUsed, length);
      slabUsed += bytes;
      // Slab memory is zeroed when the slab is created and never reused, so it reads as zeros.
      return new Storage(data, dtype, false, false);
    }
    const offer = arenaOffer;
    if (offer) {
      for (let i = 0; i < offer.bytes.length; i++) {
        if (offer.taken[i] || offer.bytes[i] !== bytes) continue;
        const at = offer.offsets[i]!;
        const view = dtype === 'int32' ? new Int32Array(offer.buffer, at, length) : new Float32Array(offer.buffer, at, length);
        // Not pooled: the plan owns the region and reuses it for the next call.
        const st = new Storage(view, dtype, false, false);
        offer.taken[i] = st;
        return st;
      }
    }
    if (tracer) {
      const view = tracer.take(bytes, length, dtype === 'int32');
      // Arena memory belongs to the step's plan, never to the pool.
      const st = view ? new Storage(view, dtype, false, false) : Storage.pooledOf(dtype, length, bytes);
      st.onArena = view !== null;
      tracer.made(st, view !== null);
      return st;
    }
    return Storage.pooledOf(dtype, length, bytes);
  }

  private static pooledOf(dtype: DType, length: number, bytes: number): Storage {
    const got = takeBuffer(bytes);
    let data: DataArray;
    if (got instanceof ArrayBuffer) {
      const pad = alignPadBytes(got);
      data = dtype === 'int32' ? new Int32Array(got, pad, length) : new Float32Array(got, pad, length);
    } else if (got.length === length && (dtype === 'int32') === got instanceof Int32Array) {
      data = got;
    } else {
      data = dtype === 'int32' ? new Int32Array(got.buffer, got.byteOffset, length) : new Float32Array(got.buffer, got.byteOffset, length);
    }
    return new Storage(data, dtype, true, false);
  }

  static zeros(dtype: DType, length: number): Storage {
    const s = Storage.allocate(dtype, length);
    s.data!.fill(0);
    return s;
  }

  /** Adopts an array the caller gives up; it is never recycled into the pool. */
  static wrap(data: DataArray): Storage {
    return new Storage(data, data instanceof Int32Array ? 'int32' : 'float32', false, true);
  }

  /** The array is now visible to user code, so it must never be reused for another tensor. */
  markEscaped(): void {
    if (this.escaped) return;
    this.escaped = true;
    // User code may keep the array past the step whose arena holds it.
    if (this.onArena) this.moveOffArena();
    if (this.pooled) {
      if (this.registered) registry.unregister(this);
      this.registered = false;
      if (this.data) forgetBuffer(this.data);
    }
  }

  /** Gives an arena storage memory of its own (the arena's region is about to be reused). @internal */
  moveOffArena(): void {
    if (this.data) this.data = this.data.slice();
    this.onArena = false;
  }

  /** Marks the memory as borrowed by async native work: it is not recycled until unpinned. */
  pin(): void {
    this.pins++;
  }

  unpin(): void {
    if (--this.pins === 0 && this.releasePending) {
      this.releasePending = false;
      this.release();
    }
  }

  /** Called when the last view is disposed: the buffer is reusable at once (or when async work settles). */
  release(): void {
    const data = this.data;
    if (!data) return;
    if (this.pins > 0) {
      this.releasePending = true;
      return;
    }
    this.data = null;
    if (this.traceSlot >= 0) tracer?.released(this);
    if (this.pooled) {
      if (this.registered) registry.unregister(this);
      this.registered = false;
      if (!this.escaped) returnBuffer(data);
    }
  }
}

/**
 * @internal bumped with every storage's `version`: code that watches many storages (an imported
 * model's planner checks every weight before each call) skips the look when nothing was written.
 */
export function storageWriteEpoch(): number {
  return writeEpoch;
}

/**
 * Pooled-size buffers created afresh so far, because none of their size class was parked (for
 * tests and diagnostics): flat across the steps of a training loop once its first steps have run.
 */
export function freshBufferCount(): number {
  return freshBuffers;
}

/** Bytes currently parked in the buffer pool (for tests and diagnostics). */
export function pooledBufferBytes(): number {
  return pooledBytes;
}
