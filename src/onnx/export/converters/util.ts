// Shared checks for converters.
import type { Layer } from '../../../layers/layer';
import type { ConverterInput } from '../converter';

/** The call's layer as `Cls`, or a clear error when a converter is registered for the wrong class. */
export function expectLayer<L extends Layer>(args: ConverterInput, Cls: abstract new (...a: never[]) => L): L {
  if (!(args.layer instanceof Cls)) {
    throw new Error(`exportOnnx: layer '${args.layer.name}' has class ${args.layer.className}, which the ${Cls.name} converter cannot export`);
  }
  return args.layer;
}

/** The non-negative form of `axis` for a tensor of `rank`. */
export function normAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

/** A known dimension, or an error naming the layer and what is missing. */
export function knownDim(args: ConverterInput, d: number | null | undefined, what: string): number {
  if (typeof d !== 'number') throw new Error(`exportOnnx: layer '${args.layer.name}' (${args.layer.className}) needs a known ${what}`);
  return d;
}
