/** Element types: float32 for values, int32 for indices and labels. */
export type DType = 'float32' | 'int32';

/** The typed array that backs a tensor of each dtype. */
export type TypedArrayOf<D extends DType> = D extends 'float32' ? Float32Array : Int32Array;
export type DataArray = Float32Array | Int32Array;

export const DTYPES: readonly DType[] = ['float32', 'int32'];

export function isDType(value: unknown): value is DType {
  return value === 'float32' || value === 'int32';
}

export function arrayFor(dtype: DType, length: number): DataArray {
  return dtype === 'int32' ? new Int32Array(length) : new Float32Array(length);
}

export function dtypeOfArray(array: DataArray): DType {
  return array instanceof Int32Array ? 'int32' : 'float32';
}
