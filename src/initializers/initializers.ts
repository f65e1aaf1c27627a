import { argError, describe } from '../errors';
import { type DType } from '../tensor/dtype';
import { sizeOf } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { Generator, globalGenerator } from '../random/generator';

/** Creates a layer's initial weight values. Serializable through `getConfig()`. */
export interface Initializer {
  readonly className: string;
  apply(shape: readonly number[], dtype?: DType): Tensor;
  getConfig(): Record<string, number | string | null>;
}

interface Seeded {
  seed?: number;
}

function generatorFor(seed: number | undefined): Generator {
  return seed === undefined ? globalGenerator() : new Generator(seed);
}

/** fanIn/fanOut as Keras computes them: dense [in, out]; conv [...kernel, in, out]. */
export function fans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length === 0) return { fanIn: 1, fanOut: 1 };
  if (shape.length === 1) return { fanIn: shape[0]!, fanOut: shape[0]! };
  if (shape.length === 2) return { fanIn: shape[0]!, fanOut: shape[1]! };
  const receptive = sizeOf(shape.slice(0, -2));
  return { fanIn: shape[shape.length - 2]! * receptive, fanOut: shape[shape.length - 1]! * receptive };
}

function filled(shape: readonly number[], f: (i: number) => number): Tensor {
  const t = Tensor.empty(shape.slice(), 'float32');
  const d = t.buffer;
  for (let i = 0; i < t.size; i++) d[i] = f(i);
  return t;
}

// Keras's truncated normal redraws values beyond two standard deviations; the constant is the
// standard deviation of a unit normal truncated to [-2, 2], divided out so the variance is right.
const TRUNCATED_STD = 0.8796256610342398;

function truncated(g: Generator, mean: number, std: number): number {
  for (;;) {
    const z = g.normal();
    if (z >= -2 && z <= 2) return mean + std * z;
  }
}

type Mode = 'fanIn' | 'fanOut' | 'fanAvg';
type Distribution = 'truncatedNormal' | 'uniform' | 'normal';

class VarianceScaling implements Initializer {
  constructor(
    readonly className: string,
    private readonly scale: number,
    private readonly mode: Mode,
    private readonly distribution: Distribution,
    private readonly seed?: number,
  ) {}

  apply(shape: readonly number[]): Tensor {
    const { fanIn, fanOut } = fans(shape);
    const n = this.mode === 'fanIn' ? fanIn : this.mode === 'fanOut' ? fanOut : (fanIn + fanOut) / 2;
    const variance = this.scale / Math.max(1, n);
    const g = generatorFor(this.seed);
    if (this.distribution === 'uniform') {
      const limit = Math.sqrt(3 * variance);
      return filled(shape, () => (g.uniform() * 2 - 1) * limit);
    }
    if (this.distribution === 'normal') {
      const std = Math.sqrt(variance);
      return filled(shape, () => std * g.normal());
    }
    const std = Math.sqrt(variance) / TRUNCATED_STD;
    return filled(shape, () => truncated(g, 0, std));
  }

  getConfig(): Record<string, number | string | null> {
    return { seed: this.seed ?? null };
  }
}

class Constant implements Initializer {
  constructor(readonly className: string, private readonly value: number) {}
  apply(shape: readonly number[], dtype: DType = 'float32'): Tensor {
    const t = Tensor.empty(shape.slice(), dtype);
    t.buffer.fill(this.value);
    return t;
  }
  getConfig(): Record<string, number | string | null> {
    return this.className === 'Constant' ? { value: this.value } : {};
  }
}

class RandomInit implements Initializer {
  constructor(
    readonly className: 'RandomNormal' | 'RandomUniform' | 'TruncatedNormal',
    private readonly a: number,
    private readonly b: number,
    private readonly seed?: number,
  ) {}
  apply(shape: readonly number[]): Tensor {
    const g = generatorFor(this.seed);
    if (this.className === 'RandomUniform') return filled(shape, () => this.a + (this.b - this.a) * g.uniform());
    if (this.className === 'RandomNormal') return filled(shape, () => this.a + this.b * g.normal());
    return filled(shape, () => truncated(g, this.a, this.b));
  }
  getConfig(): Record<string, number | string | null> {
    const seed = this.seed ?? null;
    if (this.className === 'RandomUniform') return { minval: this.a, maxval: this.b, seed };
    return { mean: this.a, stddev: this.b, seed };
  }
}

/** The initializer factories, under the `initializers` namespace (tfjs names). */
export const initializers = {
  glorotUniform: (o: Seeded = {}) => new VarianceScaling('GlorotUniform', 1, 'fanAvg', 'uniform', o.seed),
  glorotNormal: (o: Seeded = {}) => new VarianceScaling('GlorotNormal', 1, 'fanAvg', 'truncatedNormal', o.seed),
  heNormal: (o: Seeded = {}) => new VarianceScaling('HeNormal', 2, 'fanIn', 'truncatedNormal', o.seed),
  heUniform: (o: Seeded = {}) => new VarianceScaling('HeUniform', 2, 'fanIn', 'uniform', o.seed),
  lecunNormal: (o: Seeded = {}) => new VarianceScaling('LeCunNormal', 1, 'fanIn', 'truncatedNormal', o.seed),
  lecunUniform: (o: Seeded = {}) => new VarianceScaling('LeCunUniform', 1, 'fanIn', 'uniform', o.seed),
  zeros: () => new Constant('Zeros', 0),
  ones: () => new Constant('Ones', 1),
  constant: (o: { value: number }) => new Constant('Constant', o.value),
  randomNormal: (o: Seeded & { mean?: number; stddev?: number } = {}) => new RandomInit('RandomNormal', o.mean ?? 0, o.stddev ?? 0.05, o.seed),
  randomUniform: (o: Seeded & { minval?: number; maxval?: number } = {}) =>
    new RandomInit('RandomUniform', o.minval ?? -0.05, o.maxval ?? 0.05, o.seed),
  truncatedNormal: (o: Seeded & { mean?: number; stddev?: number } = {}) =>
    new RandomInit('TruncatedNormal', o.mean ?? 0, o.stddev ?? 0.05, o.seed),
};

export type InitializerName = keyof typeof initializers;
export type InitializerIdentifier = InitializerName | Initializer | { className: string; config?: Record<string, unknown> };

const byClassName: Record<string, InitializerName> = {
  GlorotUniform: 'glorotUniform', GlorotNormal: 'glorotNormal', HeNormal: 'heNormal', HeUniform: 'heUniform',
  LeCunNormal: 'lecunNormal', LeCunUniform: 'lecunUniform', Zeros: 'zeros', Ones: 'ones', Constant: 'constant',
  RandomNormal: 'randomNormal', RandomUniform: 'randomUniform', TruncatedNormal: 'truncatedNormal',
};

/** Resolves a name ('heNormal', Keras 'he_normal'), an initializer, or a saved `{className, config}`. */
export function getInitializer(fn: string, arg: string, id: InitializerIdentifier): Initializer {
  if (typeof id === 'object' && id !== null && 'apply' in id) return id;
  if (typeof id === 'object' && id !== null && 'className' in id) {
    const name = byClassName[id.className];
    if (!name) argError(fn, arg, `a known initializer class (${Object.keys(byClassName).join(', ')})`, describe(id.className));
    const config = Object.fromEntries(Object.entries(id.config ?? {}).filter(([, v]) => v !== null));
    return (initializers[name] as (o: unknown) => Initializer)(config);
  }
  if (typeof id === 'string') {
    const camel = id.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()).replace(/^lecun/i, 'lecun') as InitializerName;
    if (camel in initializers && camel !== 'constant') return (initializers[camel] as (o?: unknown) => Initializer)();
  }
  return argError(fn, arg, `one of ${Object.keys(initializers).filter((k) => k !== 'constant').join(', ')} or an initializer`, describe(id));
}

/** Serializes an initializer for model.json. */
export function serializeInitializer(init: Initializer): { className: string; config: Record<string, number | string | null> } {
  return { className: init.className, config: init.getConfig() };
}
