/**
 * How far one run's values are from another's: the largest |got - ref| and the largest |ref|, the two
 * figures every numeric witness states. NaN on either side is a disagreement (Infinity), never a gap of 0.
 */
export function gap(got: ArrayLike<number>, ref: ArrayLike<number>): { worst: number; scale: number } {
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < ref.length; i++) {
    const d = Math.abs(got[i]! - ref[i]!);
    worst = Number.isNaN(d) ? Infinity : Math.max(worst, d);
    scale = Math.max(scale, Math.abs(ref[i]!));
  }
  return { worst, scale };
}
