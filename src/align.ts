/**
 * Order-keeping alignment of two sequences (Needleman-Wunsch): pairs maximise the summed score, a pair
 * scored -Infinity never forms, and every item of either side appears once, paired or alone, in order.
 * The layer diff and the tensor diff both align this way.
 */
export type Pairing = Array<[number | null, number | null]>;

export function alignInOrder(n: number, m: number, score: (i: number, j: number) => number): Pairing {
  const dp = Array.from({ length: n + 1 }, () => new Float64Array(m + 1));
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--)
      dp[i]![j] = Math.max(dp[i + 1]![j]!, dp[i]![j + 1]!, dp[i + 1]![j + 1]! + score(i, j));
  const out: Pairing = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (dp[i]![j] === dp[i + 1]![j + 1]! + score(i, j)) out.push([i++, j++]);
    else if (dp[i]![j] === dp[i + 1]![j]) out.push([i++, null]);
    else out.push([null, j++]);
  }
  while (i < n) out.push([i++, null]);
  while (j < m) out.push([null, j++]);
  return out;
}
