// The ONNX importer's public surface. Registering OnnxNode here lets loadModel rebuild imported
// models that were saved with model.save().
import { registerLayer } from '../../layers/registry';
import { OnnxNode } from './onnx-node-layer';
import './export-node';

registerLayer('OnnxNode', OnnxNode as never);

export { importOnnx, type ImportOnnxOptions } from './import-model';
export { OnnxNode, type OnnxNodeArgs, type InputSlot, type NodeWeightSpec } from './onnx-node-layer';
export { supportedOnnxOps } from './ops';
