// Merge layers: ONNX's variadic, broadcasting Sum/Max/Min/Mean, Sub, a Mul chain and Concat.
import { Add, Average, Concatenate, Maximum, Minimum, Multiply, Subtract } from '../../../layers/merge';
import type { Layer } from '../../../layers/layer';
import type { LayerConverter } from '../converter';
import { concat, node } from '../ops';
import { expectLayer, normAxis, registerBuiltinConverter } from './util';

function variadic(op: 'Sum' | 'Max' | 'Min' | 'Mean', Cls: abstract new (...a: never[]) => Layer): LayerConverter {
  return (args, ctx) => {
    expectLayer(args, Cls);
    return [node(ctx, op, args.inputs)];
  };
}

export const convertAdd = variadic('Sum', Add);
export const convertMaximum = variadic('Max', Maximum);
export const convertMinimum = variadic('Min', Minimum);
export const convertAverage = variadic('Mean', Average);

export const convertSubtract: LayerConverter = (args, ctx) => {
  expectLayer(args, Subtract);
  return [node(ctx, 'Sub', [args.inputs[0]!, args.inputs[1]!])];
};

export const convertMultiply: LayerConverter = (args, ctx) => {
  expectLayer(args, Multiply);
  // Left to right, as the layer folds its inputs.
  let acc = args.inputs[0]!;
  for (const x of args.inputs.slice(1)) acc = node(ctx, 'Mul', [acc, x]);
  return [acc];
};

export const convertConcatenate: LayerConverter = (args, ctx) => {
  const layer = expectLayer(args, Concatenate);
  return [concat(ctx, args.inputs, normAxis(layer.axis, args.inputShapes[0]!.length))];
};

registerBuiltinConverter('Add', convertAdd);
registerBuiltinConverter('Subtract', convertSubtract);
registerBuiltinConverter('Multiply', convertMultiply);
registerBuiltinConverter('Average', convertAverage);
registerBuiltinConverter('Maximum', convertMaximum);
registerBuiltinConverter('Minimum', convertMinimum);
registerBuiltinConverter('Concatenate', convertConcatenate);
