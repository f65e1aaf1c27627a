// How large the V8 heap of a session worker (thread or child process) may let its young generation grow.
/**
 * Young generation of each worker thread's V8 heap, in MB: the size V8 starts one at (two 1 MB
 * semi-spaces plus as much again for new large objects), so it never grows. Every request leaves
 * a few hundred bytes of short-lived objects in the worker (the message, ORT's tensors and
 * promises); V8 answered that rate by doubling the worker's semi-spaces every few hundred thousand
 * requests (up to 16 MB each), and no GC of the caller's thread can shrink another isolate's heap,
 * so a session's RSS rose by ~1 MB per 100,000 calls for millions of calls (2 workers, 2,000,000
 * calls: 162 -> 178 MB in steps of 6.5 MB per worker; with this bound 155 -> 156 MB, and faster).
 * Tensor data lives outside the V8 heap, so the bound costs only more frequent, tiny scavenges.
 */
export const WORKER_YOUNG_GENERATION_MB = 3;
