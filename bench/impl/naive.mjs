// Plain JavaScript baselines: what a user writes by hand with Float32Arrays, and so the floor any
// library must clearly beat.

/** C = A·B, row-major, i-k-j order (unit-stride inner loop over B's and C's rows). */
export function naiveGemm(A, B, C, M, N, K) {
  C.fill(0);
  for (let i = 0; i < M; i++) {
    const ci = i * N;
    for (let k = 0; k < K; k++) {
      const aik = A[i * K + k];
      const bk = k * N;
      for (let j = 0; j < N; j++) C[ci + j] += aik * B[bk + j];
    }
  }
}

export function naiveAdd(a, b, out) {
  for (let i = 0; i < out.length; i++) out[i] = a[i] + b[i];
}
