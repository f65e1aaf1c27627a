// How a fuzz case ended. 'error' is a clean Error (the library refused the input with a message);
// 'internal' is a TypeError/RangeError from inside the library or the runtime (an argument check
// that did not speak); 'mismatch' is a silent wrong result (native vs js, or vs the format's meaning).
export type Outcome = 'ok' | 'error' | 'internal' | 'mismatch' | 'crash' | 'hang' | 'over-budget';
export const OUTCOMES: readonly Outcome[] = ['ok', 'error', 'internal', 'mismatch', 'crash', 'hang', 'over-budget'];

/** A target's verdict on a case that returned: ok, or a silent wrong result described. */
export type CaseResult = { mismatch: string } | void;

/** One fuzz target: runs case `seed`, throws for refused input, returns a mismatch for silent wrong. */
export interface FuzzTarget {
  name: string;
  setup?(): Promise<void>;
  run(seed: number): Promise<CaseResult>;
}

export class Mismatch extends Error {}

export function classifyError(e: unknown): 'error' | 'internal' {
  if (!(e instanceof Error)) return 'internal';
  // Plain Errors (and the library's own subclasses) are argument checks speaking; the built-in
  // error types come from deeper down.
  if (e instanceof TypeError || e instanceof RangeError || e instanceof ReferenceError || e instanceof SyntaxError) return 'internal';
  return 'error';
}
