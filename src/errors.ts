/** Formats a value for error messages: shapes as [a,b], arrays short, everything else as JSON. */
export function describe(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => describe(v)).join(',')}]`;
  if (ArrayBuffer.isView(value)) return `${value.constructor.name}(${(value as unknown as ArrayLike<number>).length})`;
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === undefined) return 'undefined';
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  if (typeof value === 'object' && value !== null && 'shape' in value && 'dtype' in value) {
    const t = value as { shape: readonly number[]; dtype: string };
    return `Tensor(${t.dtype}, shape [${t.shape.join(',')}])`;
  }
  return typeof value;
}

/**
 * Throws an Error that names the function, the argument, what was expected and what came,
 * e.g. `matmul: argument 'b' expected inner dimension 3, got shape [4,5]`.
 */
export function argError(fn: string, arg: string, expected: string, got: string): never {
  throw new Error(`${fn}: argument '${arg}' expected ${expected}, got ${got}`);
}
