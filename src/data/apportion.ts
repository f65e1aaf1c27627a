/**
 * Splits `total` whole units among groups in proportion to `weights` by the largest-remainder
 * method, never giving a group more than `caps[i]`. Ties go to the earlier group, so the same
 * inputs always give the same split (stratified splits rely on that).
 */
export function apportion(total: number, weights: readonly number[], caps: readonly number[]): number[] {
  const n = weights.length;
  let weightSum = 0;
  let capSum = 0;
  for (let i = 0; i < n; i++) {
    weightSum += weights[i]!;
    capSum += caps[i]!;
  }
  if (total > capSum) throw new Error(`apportion: cannot place ${total} units in groups holding ${capSum}`);
  const out = new Array<number>(n).fill(0);
  if (total === 0 || weightSum === 0) return fillGreedy(out, total, caps);
  const remainders: number[] = [];
  let placed = 0;
  for (let i = 0; i < n; i++) {
    // Integer arithmetic (exact below 2^53) so equal remainders tie exactly and break by group
    // order: 1014 * 1000 / 10000 and 944 * 1000 / 10000 both leave 4000 / 10000.
    const share = total * weights[i]!;
    const remainder = share % weightSum;
    out[i] = Math.min(Math.round((share - remainder) / weightSum), caps[i]!);
    remainders.push(remainder);
    placed += out[i]!;
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => remainders[b]! - remainders[a]! || a - b);
  // Caps can leave units over after one round; keep cycling in remainder order until all are placed.
  while (placed < total) {
    for (const i of order) {
      if (placed === total) break;
      if (out[i]! < caps[i]!) {
        out[i]!++;
        placed++;
      }
    }
  }
  return out;
}

function fillGreedy(out: number[], total: number, caps: readonly number[]): number[] {
  let left = total;
  for (let i = 0; i < out.length && left > 0; i++) {
    out[i] = Math.min(caps[i]!, left);
    left -= out[i]!;
  }
  return out;
}
