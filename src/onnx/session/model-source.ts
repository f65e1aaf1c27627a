// Turns what the user gave InferenceSession.create (a path, bytes or one of the library's models)
// into what workers load: a path ORT opens itself, or bytes shared by every worker.
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { toFsPath } from '../../io/path';
import { argError, describe } from '../../errors';
import { LayersModel } from '../../models/layers-model';
import type { WireModelSource } from './protocol';

const FN = 'InferenceSession.create';

/** Copies bytes once into memory every worker (and any replacement) can read without another copy here. */
function shareBytes(bytes: Uint8Array): WireModelSource {
  const shared = new SharedArrayBuffer(bytes.byteLength);
  new Uint8Array(shared).set(bytes);
  return { kind: 'bytes', bytes: shared };
}

/** The model for the workers and a label for messages. */
export async function resolveModelSource(source: unknown, opset: number | undefined): Promise<{ model: WireModelSource; label: string }> {
  if (typeof source === 'string') {
    const path = resolve(toFsPath(FN, 'source', source));
    let isFile = false;
    try {
      isFile = (await stat(path)).isFile();
    } catch {
      argError(FN, 'source', 'a path to an .onnx file', `${describe(source)} (no such file)`);
    }
    if (!isFile) argError(FN, 'source', 'a path to an .onnx file', `${describe(source)} (not a file)`);
    return { model: { kind: 'path', path }, label: source };
  }
  if (source instanceof Uint8Array) {
    if (source.byteLength === 0) argError(FN, 'source', 'ONNX model bytes', 'an empty Uint8Array');
    return { model: shareBytes(source), label: `${source.byteLength} bytes` };
  }
  if (source instanceof LayersModel) {
    // Loaded on demand: sessions over files and bytes never need the exporter and its converters.
    const { exportOnnxBytes } = await import('../export');
    const bytes = exportOnnxBytes(source, opset === undefined ? {} : { opset });
    return { model: shareBytes(bytes), label: `model '${source.name}'` };
  }
  argError(FN, 'source', 'a path to an .onnx file, ONNX model bytes (Uint8Array) or a LayersModel', describe(source));
}
