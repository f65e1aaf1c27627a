/** The longest description of a value an error message embeds; beyond it values are summarized. */
const MAX_DESCRIPTION = 80;

/**
 * Formats a value for error messages: shapes as [a,b], short arrays in full, everything else as
 * JSON. Never longer than about 160 characters: a large array is described by its nested shape and
 * first elements, a long string by its length and start (an error must not embed a user's data).
 */
export function describe(value: unknown): string {
  if (Array.isArray(value)) {
    const budget = { left: MAX_DESCRIPTION };
    const text = describeArray(value, budget);
    if (budget.left >= 0) return text;
    return `a plain array of shape [${nestedShape(value).join(',')}] starting ${text}`;
  }
  if (ArrayBuffer.isView(value)) return `${value.constructor.name}(${(value as unknown as ArrayLike<number>).length})`;
  if (typeof value === 'string') {
    return value.length <= MAX_DESCRIPTION ? JSON.stringify(value) : `a string of ${value.length} characters starting ${JSON.stringify(value.slice(0, 40))}…`;
  }
  if (value === undefined) return 'undefined';
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  if (typeof value === 'object' && value !== null && 'shape' in value && 'dtype' in value) {
    const t = value as { shape: readonly number[]; dtype: string };
    return `Tensor(${t.dtype}, shape [${t.shape.join(',')}])`;
  }
  if (typeof value === 'object') {
    const proto = Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null;
    const ctor = proto?.constructor?.name;
    if (proto !== null && ctor && ctor !== 'Object') return `an instance of ${ctor}`;
    const keys = Object.keys(value);
    const shown = keys.slice(0, 8).map((k) => (k.length > 30 ? `${k.slice(0, 30)}…` : k));
    return keys.length === 0 ? 'an empty object' : `an object with keys {${shown.join(', ')}${keys.length > 8 ? ', …' : ''}}`;
  }
  return typeof value;
}

/** Describes array elements until the budget runs out (then ends with …); the budget goes negative when cut. */
function describeArray(value: readonly unknown[], budget: { left: number }): string {
  const parts: string[] = [];
  for (const v of value) {
    if (budget.left < 0) break;
    const part = Array.isArray(v) ? describeArray(v, budget) : describe(v);
    budget.left -= part.length + 1;
    parts.push(part);
  }
  const cut = parts.length < value.length || budget.left < 0;
  if (cut) budget.left = Math.min(budget.left, -1);
  return `[${parts.join(',')}${cut ? ',…' : ''}]`;
}

/** The dimensions of a nested array, read along its first elements. */
function nestedShape(value: readonly unknown[]): number[] {
  const shape: number[] = [];
  let cur: unknown = value;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    cur = cur[0];
  }
  return shape;
}

/**
 * Throws an Error that names the function, the argument, what was expected and what came,
 * e.g. `matmul: argument 'b' expected inner dimension 3, got shape [4,5]`.
 */
export function argError(fn: string, arg: string, expected: string, got: string): never {
  throw new Error(`${fn}: argument '${arg}' expected ${expected}, got ${got}`);
}
