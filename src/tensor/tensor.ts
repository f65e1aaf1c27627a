import { type DType, type DataArray } from './dtype';
import { type Shape, isContiguous, sizeOf, stridesOf } from './shape';
import { Storage } from './storage';
import { track, scoped, tensorsIn } from './scope';
import type { GradNode } from '../autograd/node';

/** Nested arrays of numbers, as produced by {@link Tensor.toArray}. */
export type NestedArray = number | NestedArray[];

/**
 * An n-dimensional array of float32 or int32 values. Several tensors may view one storage
 * (reshape, transpose, slice and expand are views); `contiguous()` materializes a copy when needed.
 * Memory is owned by JS and freed by the garbage collector; `dispose()` releases it early.
 */
export class Tensor {
  /** @internal */ readonly storage: Storage;
  /** @internal element offset of this view's first element */ readonly offset: number;
  readonly shape: readonly number[];
  /** @internal element strides of this view */ readonly strides: readonly number[];
  readonly dtype: DType;
  readonly size: number;
  /** Gradient accumulated by `backward()` for leaf tensors with `requiresGrad`. */
  grad: Tensor | null = null;
  /** @internal the operation that produced this tensor, when recorded on the tape */
  node: GradNode | null = null;
  private _requiresGrad = false;
  private disposed = false;

  /** @internal use the factories (`tensor`, `zeros`, ...) instead */
  constructor(storage: Storage, shape: Shape, strides: readonly number[], offset: number, dtype: DType) {
    this.storage = storage;
    // Callers hand over fresh arrays; copying or freezing here doubled the cost of tiny ops.
    this.shape = shape;
    this.strides = strides;
    this.offset = offset;
    this.dtype = dtype;
    this.size = sizeOf(shape);
    storage.views++;
    track(this);
  }

  /** @internal a fresh contiguous tensor with uninitialized contents */
  static empty(shape: Shape, dtype: DType = 'float32'): Tensor {
    return new Tensor(Storage.allocate(dtype, sizeOf(shape)), shape, stridesOf(shape), 0, dtype);
  }

  /** @internal wraps a contiguous array (not copied) */
  static fromArray(data: DataArray, shape: Shape): Tensor {
    const dtype: DType = data instanceof Int32Array ? 'int32' : 'float32';
    return new Tensor(Storage.wrap(data), shape, stridesOf(shape), 0, dtype);
  }

  get rank(): number {
    return this.shape.length;
  }

  /** Whether operations on this tensor are recorded for `backward()`. Only float32 tensors can. */
  get requiresGrad(): boolean {
    return this._requiresGrad;
  }
  set requiresGrad(value: boolean) {
    if (value && this.dtype !== 'float32') {
      throw new Error(`requiresGrad: only float32 tensors can require gradients, got dtype ${this.dtype}`);
    }
    this._requiresGrad = value;
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** @internal the backing array; throws once the tensor is disposed */
  get buffer(): DataArray {
    const data = this.storage.data;
    if (this.disposed || !data) {
      throw new Error(`Tensor(${this.dtype}, shape [${this.shape.join(',')}]) was disposed and cannot be used`);
    }
    return data;
  }

  get isContiguous(): boolean {
    return isContiguous(this.shape, this.strides);
  }

  /** The values in row-major order. A contiguous tensor that owns its storage hands it out without copying. */
  dataSync(): DataArray {
    const buf = this.buffer;
    if (this.isContiguous && this.offset === 0 && buf.length === this.size) {
      this.storage.markEscaped();
      // An arena storage moves to memory of its own when it escapes.
      return this.storage.data ?? buf;
    }
    const c = this.contiguousCopy();
    return c.buffer.slice(c.offset, c.offset + this.size);
  }

  /** Asynchronous form of {@link dataSync}, as in tfjs. */
  data(): Promise<DataArray> {
    return Promise.resolve().then(() => this.dataSync());
  }

  /** Nested JS arrays (a number for a scalar). */
  toArray(): NestedArray {
    const flat = this.contiguousCopy();
    const data = flat.buffer;
    let pos = flat.offset;
    const build = (dim: number): NestedArray => {
      if (dim === this.shape.length) return data[pos++]!;
      const out: NestedArray[] = new Array(this.shape[dim]!);
      for (let i = 0; i < out.length; i++) out[i] = build(dim + 1);
      return out;
    };
    return build(0);
  }

  /** Alias of {@link toArray} (tfjs name). */
  arraySync(): NestedArray {
    return this.toArray();
  }

  /** The single value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) {
      throw new Error(`item: expected a tensor with exactly one element, got shape [${this.shape.join(',')}]`);
    }
    return this.buffer[this.offset]!;
  }

  /** A new tensor with the same values, not recorded on the tape. */
  detach(): Tensor {
    void this.buffer;
    return new Tensor(this.storage, this.shape, this.strides, this.offset, this.dtype);
  }

  /** @internal contiguous view of this tensor's values, copying only when needed (never recorded) */
  contiguousCopy(): Tensor {
    if (this.isContiguous) return this;
    return copyStrided(this);
  }

  /**
   * Releases this tensor's memory now instead of at garbage collection. Views of the same storage
   * keep it alive until they are disposed too. Using a disposed tensor throws.
   */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.node = null;
    this.grad = null;
    if (--this.storage.views === 0) this.storage.release();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  toString(): string {
    if (this.disposed) return `Tensor(disposed)`;
    return `Tensor(${this.dtype}, [${this.shape.join(',')}]) ${JSON.stringify(this.toArray())}`;
  }
}

// Set by the ops layer so the class can materialize views without importing every op.
let copyStrided: (t: Tensor) => Tensor = () => {
  throw new Error('tensorforge: ops not initialized');
};
/** @internal */
export function setStridedCopy(fn: (t: Tensor) => Tensor): void {
  copyStrided = fn;
}

/**
 * Runs `fn` and disposes every tensor it created except the ones it returns (alone, or inside
 * arrays and plain objects), as tfjs's `tidy` does. Never needed to avoid leaks (the collector frees
 * everything); it makes buffers reusable at once in tight synchronous loops.
 */
export function tidy<T>(fn: () => T): T {
  return scoped(fn, (result) => tensorsIn(result, Tensor));
}
