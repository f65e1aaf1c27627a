// Target names, importable without loading the library (the driver process never loads it).
export const TARGET_NAMES: readonly string[] = ['ops', 'idx-csv', 'model-json', 'onnx-import', 'onnx-session'];
