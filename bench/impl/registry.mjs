// The implementations a case can provide, in table column order. `threaded` implementations are
// measured at each thread count; the others once (reported under every thread count).
export const IMPLS = [
  { id: 'native', label: 'tf-native', threaded: true, desc: 'tensorforge, native backend (setNumThreads)' },
  { id: 'ort', label: 'ORT', threaded: true, desc: 'onnxruntime-node CPU EP (intraOpNumThreads)' },
  { id: 'session', label: 'tf-session', threaded: true, desc: 'tensorforge InferenceSession: ORT on a worker thread (intraOpThreads)' },
  { id: 'tfjs', label: 'tfjs-cpu', threaded: false, desc: '@tensorflow/tfjs, cpu backend (pure JS)' },
  { id: 'js', label: 'tf-js', threaded: false, desc: 'tensorforge, js backend' },
  { id: 'naive', label: 'naive', threaded: false, desc: 'hand-written JS loop (i-k-j for GEMM)' },
  { id: 'torch', label: 'PyTorch', threaded: true, desc: 'PyTorch CPU (Debian python3-torch, if installed; set_num_threads)' },
];

export const THREADS = [1, 2];

/** Ratio columns: native speed over the other implementation's, at each thread count (>1 = native faster). */
export const RATIOS = [
  { id: 'native/ort', of: 'native', over: 'ort', label: 'nat/ORT' },
  { id: 'native/tfjs', of: 'native', over: 'tfjs', label: 'nat/tfjs' },
  { id: 'native/js', of: 'native', over: 'js', label: 'nat/js' },
  { id: 'native/torch', of: 'native', over: 'torch', label: 'nat/torch' },
];

/**
 * `--baseline DIR`: adds the other checkout's native backend as a column, measured interleaved
 * with the working tree's, and a target that no case runs more than 5% slower than it.
 */
export function enableBaseline() {
  IMPLS.splice(1, 0, { id: 'base', label: 'tf-base', threaded: true, desc: 'tensorforge native backend of the --baseline checkout' });
  RATIOS.unshift({ id: 'native/base', of: 'native', over: 'base', label: 'nat/base' });
}

export const BASELINE_TARGET = { kind: 'ratio', ratio: 'native/base', min: 0.95, label: '>=0.95x base' };
