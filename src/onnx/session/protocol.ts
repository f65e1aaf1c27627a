// Messages between an InferenceSession and its worker threads. Everything here must survive
// structured cloning, so tensors travel as typed arrays (whose buffers are transferred, not copied)
// plus dims and an ONNX Runtime type name.

/** ONNX Runtime's tensor element type names. */
export type OrtElementType =
  | 'float32'
  | 'float64'
  | 'float16'
  | 'int8'
  | 'uint8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'uint64'
  | 'bool'
  | 'string';

/** Typed arrays that can carry a numeric ONNX tensor's elements. */
export type OrtNumericArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

/** A tensor on the wire. The array owns its whole buffer, which is in the message's transfer list. */
export interface WireTensor {
  type: OrtElementType;
  data: OrtNumericArray;
  dims: number[];
}

/** An output after the worker converted it to one of the library's dtypes. */
export interface WireOutput {
  data: Float32Array | Int32Array;
  dims: number[];
}

/** Graph input/output description as the worker reports it. */
export interface WireValueMetadata {
  name: string;
  isTensor: boolean;
  type: OrtElementType | null;
  /** Dims: a size, a symbolic name, or null when unnamed and unknown; null for an unknown rank. */
  shape: (number | string | null)[] | null;
}

/** ORT session options the worker passes through. */
export interface WireSessionOptions {
  intraOpNumThreads: number;
  interOpNumThreads: number;
  executionProviders: string[];
  graphOptimizationLevel: 'disabled' | 'basic' | 'extended' | 'all';
  intraOpSpinning: boolean;
  /** Linux nice value for the worker thread and the ORT threads it starts (0 = leave as is). */
  nice: number;
}

/** The model: a file path (ORT reads it, with any external data beside it) or shared bytes. */
export type WireModelSource = { kind: 'path'; path: string } | { kind: 'bytes'; bytes: SharedArrayBuffer };

/** What every worker receives as `workerData`. */
export interface WorkerInit {
  ortPath: string;
  protobufPath: string;
  /** protobufjs JSON schema of the ONNX messages, used only to tell scalar inputs from unknown ranks. */
  onnxSchema: object;
  model: WireModelSource;
  options: WireSessionOptions;
  /** Only the first worker reports metadata; the others just load the model. */
  reportMetadata: boolean;
  /**
   * Three Int32 slots shared with the main thread: [0] counts the worker's ORT calls that may be
   * inside native code, [1] is set by the main thread when the process exits (see exit-guard.ts),
   * [2] counts the run requests the worker has started (see worker-pool.ts onCrash).
   */
  gate: SharedArrayBuffer;
}

/** Index of the count of ORT calls in progress in the gate. */
export const GATE_BUSY = 0;
/** Index of the "process is exiting, start nothing" flag in the gate. */
export const GATE_EXITING = 1;
/**
 * Index of the count of run requests the worker has taken up, in the order they were posted. It is
 * shared memory rather than a message so that it is still readable, and exact, after the worker died.
 */
export const GATE_STARTED = 2;
/** Int32 slots in a gate. */
export const GATE_SLOTS = 3;

export type ToWorker =
  | { kind: 'run'; id: number; feeds: Record<string, WireTensor>; outputNames: string[] }
  | { kind: 'release' };

export type FromWorker =
  | { kind: 'ready'; inputs: WireValueMetadata[] | null; outputs: WireValueMetadata[] | null }
  | { kind: 'init-error'; message: string }
  | { kind: 'result'; id: number; outputs: Record<string, WireOutput> }
  | { kind: 'run-error'; id: number; message: string }
  | { kind: 'released' };
