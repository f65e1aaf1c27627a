// onnxruntime-node aborts the whole process ("terminate called after throwing an instance of
// 'Napi::Error'") when a worker thread is terminated while ORT is inside native code: its binding
// throws a C++ exception once the thread can no longer call into JS. The pool never terminates a
// busy worker, but process.exit() terminates every worker at once. So while the process exits,
// this guard tells each worker to start no more ORT calls and waits (blocking, as 'exit' handlers
// must) for the calls already running to return.
import { GATE_BUSY, GATE_EXITING, GATE_SLOTS } from './protocol';

// Longest a single ORT call is waited for at exit; beyond it the process exits anyway.
const EXIT_WAIT_MS = 10_000;

const gates = new Set<Int32Array>();
let installed = false;

function drain(): void {
  for (const gate of gates) Atomics.store(gate, GATE_EXITING, 1);
  const deadline = Date.now() + EXIT_WAIT_MS;
  for (const gate of gates) {
    for (let busy = Atomics.load(gate, GATE_BUSY); busy !== 0 && Date.now() < deadline; busy = Atomics.load(gate, GATE_BUSY)) {
      Atomics.wait(gate, GATE_BUSY, busy, 50);
    }
  }
}

/** A fresh gate for one worker, watched until {@link releaseGate}. */
export function createGate(): { buffer: SharedArrayBuffer; view: Int32Array } {
  if (!installed) {
    process.on('exit', drain);
    installed = true;
  }
  const buffer = new SharedArrayBuffer(GATE_SLOTS * Int32Array.BYTES_PER_ELEMENT);
  const view = new Int32Array(buffer);
  gates.add(view);
  return { buffer, view };
}

/** Stops watching a worker's gate once the worker has exited. */
export function releaseGate(view: Int32Array): void {
  gates.delete(view);
}

/**
 * @internal ORT calls in progress across every live worker, as process.exit() would wait for them;
 * lets a test prove that exit happened while a run was inside onnxruntime.
 */
export function callsInProgress(): number {
  let busy = 0;
  for (const gate of gates) busy += Atomics.load(gate, GATE_BUSY);
  return busy;
}
