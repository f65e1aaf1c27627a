import { describe, expect, it } from 'vitest';
import { type Tensor, mean, square, sub, tensor } from '../../src';
import * as losses from '../../src/losses';
import { expectValues } from './reference';

const yt = tensor([[0, 1, 0], [0, 0, 1]]);
const yp = tensor([[0.2, 0.7, 0.1], [0.25, 0.25, 0.5]]);

describe('getLoss', () => {
  it('resolves tfjs camelCase, Keras snake_case, Keras class names and aliases to the same loss', () => {
    for (const name of ['categoricalCrossentropy', 'categorical_crossentropy', 'CategoricalCrossentropy']) {
      expect(losses.getLoss(name)).toBe(losses.categoricalCrossentropy);
    }
    for (const name of ['meanSquaredError', 'mean_squared_error', 'mse', 'MSE']) expect(losses.getLoss(name)).toBe(losses.meanSquaredError);
    for (const name of ['meanAbsoluteError', 'mae', 'MAE']) expect(losses.getLoss(name)).toBe(losses.meanAbsoluteError);
    for (const name of ['huber', 'huber_loss', 'Huber']) expect(losses.getLoss(name)).toBe(losses.huber);
    expect(losses.getLoss('binary_crossentropy')).toBe(losses.binaryCrossentropy);
    expect(losses.getLoss('sparse_categorical_crossentropy')).toBe(losses.sparseCategoricalCrossentropy);
  });

  it('unknown names throw an Error listing the valid names', () => {
    expect(() => losses.getLoss('meanSquareError')).toThrow(
      /^getLoss: unknown loss "meanSquareError"; valid names are meanSquaredError, mean_squared_error, mse, MSE, .*sparseCategoricalCrossentropy/,
    );
    expect(() => losses.getLoss('softmaxCrossEntropy')).toThrow(/use 'categoricalCrossentropy' with fromLogits: true/);
  });

  it('returns loss objects as they are, and wraps plain functions under their name', () => {
    const configured = losses.categoricalCrossentropy({ fromLogits: true });
    expect(losses.getLoss(configured)).toBe(configured);
    function myLoss(a: Tensor, b: Tensor): Tensor {
      return mean(square(sub(a, b)), -1);
    }
    const wrapped = losses.getLoss(myLoss);
    expect(wrapped.name).toBe('myLoss');
    expect(wrapped.className).toBe('myLoss');
    expectValues(wrapped(yt, yp), Array.from(losses.mse(yt, yp).dataSync()));
    const bad = losses.getLoss(() => 3 as unknown as Tensor);
    expect(() => bad(yt, yp)).toThrow(/return value.*a Tensor of per-sample losses/);
  });

  it('resolves a serialized loss', () => {
    const loss = losses.getLoss({ className: 'BinaryCrossentropy', config: { fromLogits: true } });
    expect(loss.getConfig()).toEqual({ name: 'binaryCrossentropy', fromLogits: true, labelSmoothing: 0 });
  });

  it('canonicalLossName maps aliases and leaves unknown names alone', () => {
    expect(losses.canonicalLossName('binary_crossentropy')).toBe('binaryCrossentropy');
    expect(losses.canonicalLossName('MSE')).toBe('meanSquaredError');
    expect(losses.canonicalLossName('myLoss')).toBe('myLoss');
  });
});

describe('serialization', () => {
  it('round-trips built-in losses through JSON', () => {
    const loss = losses.categoricalCrossentropy({ fromLogits: true, labelSmoothing: 0.1 });
    const json = JSON.parse(JSON.stringify(losses.getLossConfig(loss)));
    expect(json).toEqual({ className: 'CategoricalCrossentropy', config: { name: 'categoricalCrossentropy', fromLogits: true, labelSmoothing: 0.1 } });
    const back = losses.deserializeLoss(json);
    expect(back.getConfig()).toEqual(loss.getConfig());
    expectValues(back(yt, yp), Array.from(loss(yt, yp).dataSync()));
    expect(losses.getLossConfig(losses.huber({ delta: 2 }))).toEqual({ className: 'Huber', config: { name: 'huber', delta: 2 } });
    expect(losses.deserializeLoss(losses.getLossConfig(losses.mse))).toBe(losses.meanSquaredError);
  });

  it('reads Keras configs (snake_case keys, reduction ignored) and bare names', () => {
    const keras = { class_name: 'CategoricalCrossentropy', config: { name: 'categorical_crossentropy', reduction: 'sum_over_batch_size', from_logits: true, label_smoothing: 0, axis: -1 } };
    const loss = losses.deserializeLoss(keras);
    expect(loss.getConfig()).toEqual({ name: 'categorical_crossentropy', fromLogits: true, labelSmoothing: 0 });
    expect(losses.deserializeLoss('sparse_categorical_crossentropy')).toBe(losses.sparseCategoricalCrossentropy);
    expect(() => losses.deserializeLoss({ class_name: 'CategoricalCrossentropy', config: { axis: 1 } })).toThrow(/config.axis/);
  });

  it('custom losses serialize by function name and come back through customObjects', () => {
    function myLoss(a: Tensor, b: Tensor): Tensor {
      return mean(square(sub(a, b)), -1);
    }
    expect(losses.getLossConfig(myLoss)).toEqual({ className: 'myLoss', config: {} });
    expect(losses.getLossConfig(losses.getLoss(myLoss))).toEqual({ className: 'myLoss', config: {} });
    const back = losses.deserializeLoss({ className: 'myLoss', config: {} }, { myLoss });
    expect(back.name).toBe('myLoss');
    expectValues(back(yt, yp), Array.from(myLoss(yt, yp).dataSync()));
    expect(() => losses.deserializeLoss({ className: 'myLoss', config: {} })).toThrow(/unknown loss class "myLoss".*customObjects/);
    expect(() => losses.getLossConfig(losses.getLoss((a: Tensor, b: Tensor) => sub(a, b)))).toThrow(/anonymous/);
  });
});

describe('bad inputs', () => {
  it('shape mismatches name both shapes', () => {
    expect(() => losses.meanSquaredError(tensor([[1, 2, 3]]), tensor([[1, 2]]))).toThrow(
      "meanSquaredError: argument 'yTrue' expected the same shape as yPred [1,2], got shape [1,3]",
    );
    expect(() => losses.categoricalCrossentropy(tensor([[0, 1]]), tensor([[0.5, 0.5], [0.5, 0.5]]))).toThrow(/\[2,2\].*\[1,2\]/);
    expect(() => losses.binaryCrossentropy(tensor([1, 0]), tensor([[0.5, 0.5]]))).toThrow(/yPred \[1,2\], got shape \[2\]/);
  });

  it('sparse labels out of [0, numClasses), negative or fractional name the bad label', () => {
    const probs = tensor([[0.2, 0.7, 0.1], [0.25, 0.25, 0.5]]);
    expect(() => losses.sparseCategoricalCrossentropy(tensor([1, 3], 'int32'), probs)).toThrow(
      "sparseCategoricalCrossentropy: argument 'yTrue' expected labels in [0, 3) for yPred [2,3], got label 3 at index 1",
    );
    expect(() => losses.sparseCategoricalCrossentropy(tensor([-1, 0], 'int32'), probs)).toThrow(/got label -1 at index 0/);
    expect(() => losses.sparseCategoricalCrossentropy(tensor([1.5, 0]), probs)).toThrow(/integer class labels, got label 1.5 at index 0/);
    expect(() => losses.sparseCategoricalCrossentropy(tensor([[0, 1, 0], [1, 0, 0]]), probs)).toThrow(/labels of shape \[2\] \(or \[2,1\]\).*got shape \[2,3\]/);
  });

  it('non-tensors, scalars and bad options', () => {
    expect(() => losses.meanSquaredError(tensor([1]), [1] as unknown as Tensor)).toThrow("meanSquaredError: argument 'yPred' expected a Tensor, got [1]");
    expect(() => losses.meanSquaredError(tensor(1), tensor(1))).toThrow(/rank >= 1/);
    expect(() => losses.categoricalCrossentropy({ fromLogit: true } as never)).toThrow(/unknown option 'fromLogit'/);
    expect(() => losses.categoricalCrossentropy({ fromLogits: 'yes' } as never)).toThrow(/'fromLogits' expected a boolean, got "yes"/);
    expect(() => losses.binaryCrossentropy({ labelSmoothing: 1.5 })).toThrow(/in \[0, 1\], got 1.5/);
    expect(() => losses.huber({ delta: 0 })).toThrow(/'delta' expected a positive number, got 0/);
    expect(() => losses.getLoss(42 as never)).toThrow(/getLoss: argument 'identifier'/);
  });

  it('int32 predictions are cast rather than rejected', () => {
    expectValues(losses.meanAbsoluteError(tensor([[1, 2]]), tensor([[2, 2]], 'int32')), [0.5]);
  });
});
