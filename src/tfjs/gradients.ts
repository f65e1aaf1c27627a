// tfjs's gradient helpers over trainable variables: variableGrads(f) and optimizer.minimize(f)
// without a varList differentiate with respect to every trainable tf.variable, as tfjs does.
import { argError, describe } from '../errors';
import { gradientsOf } from '../autograd/backward';
import { Optimizer } from '../optimizers';
import { Tensor } from '../tensor/tensor';
import { type Variable, registeredVariables } from './tensor';

/** tfjs `variableGrads(f, varList?)`: f's value and its gradient for each variable, by name. */
export function variableGrads(f: () => Tensor, varList?: Variable[]): { value: Tensor; grads: Record<string, Tensor> } {
  if (typeof f !== 'function') argError('variableGrads', 'f', 'a function returning a scalar tensor', describe(f));
  const vars = varList ?? registeredVariables();
  if (vars.length === 0) throw new Error('variableGrads: no trainable variables (make them with tf.variable or pass varList)');
  const value = f();
  if (!(value instanceof Tensor) || value.size !== 1) argError('variableGrads', 'f', 'a function returning a scalar tensor', describe(value));
  const gs = value.requiresGrad ? gradientsOf(value, vars) : vars.map(() => null);
  const grads: Record<string, Tensor> = {};
  vars.forEach((v, i) => {
    const g = gs[i];
    if (g) grads[v.name] = g;
  });
  return { value: value.detach(), grads };
}

// minimize() without a varList: tfjs updates every trainable variable.
const minimize = Optimizer.prototype.minimize;
Optimizer.prototype.minimize = function (this: Optimizer, f: () => Tensor, returnCost = false, varList?: readonly Tensor[]): Tensor | null {
  const vars = varList ?? registeredVariables();
  return minimize.call(this, f, returnCost, vars.length ? vars : varList);
};
