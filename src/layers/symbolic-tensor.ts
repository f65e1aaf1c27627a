import type { DType } from '../tensor/dtype';
import type { Layer } from './layer';

/** A shape whose first (batch) dimension, or any other, may be unknown. */
export type ShapeWithBatch = (number | null)[];

let nextId = 0;

/**
 * A placeholder flowing through the functional API: `input()` makes one and `layer.apply()` maps
 * placeholders to placeholders, recording which layer produced each from which inputs.
 */
export class SymbolicTensor {
  readonly id = nextId++;
  constructor(
    readonly shape: ShapeWithBatch,
    readonly dtype: DType,
    /** The layer whose call produces this tensor (an InputLayer for model inputs). */
    readonly sourceLayer: Layer,
    /** The placeholders that layer was applied to. */
    readonly inputs: readonly SymbolicTensor[],
    /** Which output of a multi-output call this is. */
    readonly outputIndex = 0,
    readonly name = `${sourceLayer.name}/out${outputIndex}`,
    /** Whether the layer was applied to a list (it then receives an array at run time too). */
    readonly listInput = false,
    /**
     * A training mode fixed at this call (`base.apply(x, { training: false })`, Keras's
     * `base_model(x, training=False)`): the call runs in it whatever mode the model runs in. Null follows the model.
     */
    readonly training: boolean | null = null,
  ) {}

  get rank(): number {
    return this.shape.length;
  }
}

export function formatShape(shape: ShapeWithBatch | ShapeWithBatch[]): string {
  const one = (s: ShapeWithBatch) => `[${s.map((d) => (d === null ? 'null' : d)).join(',')}]`;
  return Array.isArray(shape[0]) || (shape.length > 0 && shape[0] !== null && typeof shape[0] === 'object')
    ? `[${(shape as ShapeWithBatch[]).map(one).join(', ')}]`
    : one(shape as ShapeWithBatch);
}
