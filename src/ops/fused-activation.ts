// The activations a convolution or GEMM can apply in its epilogue, while its output is still in
// registers. Graph compilers (the ONNX importer) ask here whether an activation that follows a
// convolution or a matrix product can be folded into it, by the unary op's name and parameters,
// so adding an epilogue to the kernels makes every caller use it without further edits.

/** An activation applied in a convolution's or GEMM's epilogue. */
export type FusedActivation = 'linear' | 'relu';

/**
 * The epilogue for the unary op `name` (a name of src/ops/unary.ts's table, with its p0 and p1),
 * or null when the kernels cannot apply it in their epilogue.
 */
export function toFusedActivation(name: string, _p0?: number, _p1?: number): FusedActivation | null {
  if (name === 'relu') return 'relu';
  return null;
}
