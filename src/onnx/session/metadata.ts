import type { OrtElementType, WireValueMetadata } from './protocol';

/** One dimension of a model input or output: a size, a symbolic name such as 'batch', or null if unnamed and unknown. */
export type SessionDim = number | string | null;

/** A model input or output as the session reports it. */
export interface SessionValueMetadata {
  readonly name: string;
  /** False for sequence/map values, which the session cannot feed or fetch. */
  readonly isTensor: boolean;
  /** ONNX Runtime's element type name ('float32', 'int64', ...), or null for non-tensors. */
  readonly dtype: OrtElementType | null;
  /** Dims with symbolic names kept; null when the model does not state the rank. */
  readonly shape: readonly SessionDim[] | null;
}

export function toSessionMetadata(list: readonly WireValueMetadata[]): readonly SessionValueMetadata[] {
  return Object.freeze(
    list.map((m) => Object.freeze({ name: m.name, isTensor: m.isTensor, dtype: m.type, shape: m.shape ? Object.freeze([...m.shape]) : null })),
  );
}

/** `[batch,784]`, with '?' for unknown dims and [*] for an unknown rank. */
export function formatShape(shape: readonly SessionDim[] | null): string {
  if (shape === null) return '[*]';
  return `[${shape.map((d) => (d === null ? '?' : String(d))).join(',')}]`;
}
