// Every fuzz target, by name (fuzz/targets/names.ts lists the same names for the driver).
import type { FuzzTarget } from '../outcome';
import { idxCsvTarget } from './idx-csv';
import { modelJsonTarget } from './model-json';
import { onnxImportTarget, onnxSessionTarget } from './onnx';
import { opsTarget } from './ops';

export const TARGETS: readonly FuzzTarget[] = [opsTarget, idxCsvTarget, modelJsonTarget, onnxImportTarget, onnxSessionTarget];
