// Shared checks for converters, and how the built-in ones register.
import type { Layer } from '../../../layers/layer';
import { registerDefaultOnnxConverter } from '../converter';
import type { ConverterInput, LayerConverter } from '../converter';

const builtins = new Set<string>();

/**
 * Registers the library's converter for a layer class in the layer registry (a user's replacement
 * registered earlier wins); each converter module registers its own classes when it loads.
 */
export function registerBuiltinConverter(className: string, converter: LayerConverter): void {
  builtins.add(className);
  registerDefaultOnnxConverter(className, converter);
}

/** Layer classes with a built-in converter (those of the converter modules loaded so far). */
export function builtinConverterClassNames(): string[] {
  return [...builtins];
}

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
