// The ONNX importer's public surface. Loading it registers OnnxNode (onnx-node-layer.ts) and its
// converter (export-node.ts), so loadModel rebuilds imported models saved with model.save().
import './export-node';

export { importOnnx, type ImportOnnxOptions } from './import-model';
export { OnnxNode, type OnnxNodeArgs, type InputSlot, type NodeWeightSpec } from './onnx-node-layer';
export { supportedOnnxOps } from './ops';
export type { OnnxValueSignature } from '../signature';
