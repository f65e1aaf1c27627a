import type { DType } from '../tensor/dtype';
import type { Tensor } from '../tensor/tensor';

/** How the registry test samples an op's float inputs. */
export type Domain =
  | 'any' // uniform in [-2, 2]
  | 'positive' // uniform in [0.5, 2]
  | 'awayFromZero' // |x| in [0.2, 2], for ops with a kink at 0
  | 'unit'; // uniform in [-0.9, 0.9]

/** One way to exercise an op in the registry-driven test. */
export interface OpCheck {
  label?: string;
  /** Shapes of the tensor inputs passed to `run`, in order. */
  shapes: number[][];
  dtypes?: DType[];
  domain?: Domain;
  /** For int32 inputs: values drawn from [lo, hi). */
  intRange?: [number, number];
  run: (...inputs: Tensor[]) => Tensor;
  /** Check the gradient of float inputs against finite differences (default: when the op has a backward rule). */
  grad?: boolean;
}

/**
 * The registry entry of one op: what the op is called (its exported function and ONNX name),
 * whether it has a native kernel and a backward rule, and how the registry test exercises it.
 * The op's forward and backward code live in the same file as its entry.
 */
export interface OpInfo {
  name: string;
  onnx: string | null;
  /** View ops share storage and run no kernel. */
  kind: 'kernel' | 'view';
  native: boolean;
  differentiable: boolean;
  checks: OpCheck[];
}

const registry = new Map<string, OpInfo>();

export function registerOp(info: OpInfo): OpInfo {
  if (registry.has(info.name)) throw new Error(`registerOp: op '${info.name}' is registered twice`);
  registry.set(info.name, info);
  return info;
}

/** Every registered op, for tests, docs and the ONNX exporter. */
export function listOps(): OpInfo[] {
  return [...registry.values()];
}

export function getOp(name: string): OpInfo | undefined {
  return registry.get(name);
}
