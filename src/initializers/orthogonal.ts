// The orthogonal initializer (Keras's default recurrent initializer). getInitializer does not list
// it: only the recurrent layers accept it, through resolveRecurrentInitializer.
import { argError } from '../errors';
import { Tensor } from '../tensor/tensor';
import { checkCount, checkedElements, checkWork } from '../tensor/budget';
import { Generator, globalGenerator } from '../random/generator';
import { type Initializer, type InitializerIdentifier, getInitializer } from './initializers';

/** An orthogonal matrix (Gram-Schmidt on a seeded normal matrix) times `gain`, as Keras's Orthogonal. */
export class Orthogonal implements Initializer {
  readonly className = 'Orthogonal';
  constructor(private readonly gain = 1, private readonly seed?: number) {}

  apply(shape: readonly number[]): Tensor {
    if (shape.length < 2) argError('orthogonal', 'shape', 'at least 2 dimensions', `[${shape.join(',')}]`);
    const cols = shape[shape.length - 1]!;
    const rows = shape.slice(0, -1).reduce((a, b) => a * b, 1);
    const n = Math.max(rows, cols);
    const k = Math.min(rows, cols);
    // Sized before the Gram-Schmidt loop: its k vectors of n doubles, the result, and its O(k^2 n) steps.
    checkedElements('orthogonal', 'the weight', shape);
    checkCount('orthogonal', 'the Gram-Schmidt basis', k * n, 8);
    checkWork('orthogonal', `a [${shape.join(',')}] weight`, k * k * n, "use a cheaper initializer such as 'glorotUniform' for layers this large");
    const g = this.seed === undefined ? globalGenerator() : new Generator(this.seed);
    // k orthonormal vectors of length n (Gram-Schmidt, twice for stability).
    const q: Float64Array[] = [];
    for (let j = 0; j < k; j++) {
      const v = Float64Array.from({ length: n }, () => g.normal());
      for (let pass = 0; pass < 2; pass++) {
        for (const u of q) {
          let d = 0;
          for (let i = 0; i < n; i++) d += u[i]! * v[i]!;
          for (let i = 0; i < n; i++) v[i] = v[i]! - d * u[i]!;
        }
      }
      let norm = 0;
      for (let i = 0; i < n; i++) norm += v[i]! * v[i]!;
      norm = Math.sqrt(norm) || 1;
      for (let i = 0; i < n; i++) v[i] = v[i]! / norm;
      q.push(v);
    }
    const t = Tensor.empty(shape.slice(), 'float32');
    const d = t.buffer;
    // rows >= cols: column j is q[j]; rows < cols: row i is q[i].
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) d[t.offset + r * cols + c] = this.gain * (rows >= cols ? q[c]![r]! : q[r]![c]!);
    }
    return t;
  }

  getConfig(): Record<string, number | string | null> {
    return { gain: this.gain, seed: this.seed ?? null };
  }
}

/** An initializer identifier as the recurrent layers accept it: also 'orthogonal'. */
export type RecurrentInitializerId = InitializerIdentifier | 'orthogonal';

/** getInitializer, plus 'orthogonal' and a saved `{ className: 'Orthogonal', config }`. */
export function resolveRecurrentInitializer(fn: string, arg: string, id: RecurrentInitializerId): Initializer {
  if (id === 'orthogonal') return new Orthogonal();
  if (typeof id === 'object' && id !== null && !('apply' in id) && id.className === 'Orthogonal') {
    const c = id.config ?? {};
    return new Orthogonal(typeof c['gain'] === 'number' ? c['gain'] : 1, typeof c['seed'] === 'number' ? c['seed'] : undefined);
  }
  return getInitializer(fn, arg, id as InitializerIdentifier);
}
