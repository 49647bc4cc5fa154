import { NetcensusError } from './errors.js';

/**
 * Counts are kept as JS numbers but every product and sum is checked: a figure beyond 2^53 - 1 would be
 * silently rounded, so it is refused with a clear error instead (the JSON contract promises exact integers).
 */
export function checked(value: number, what: string): number {
  if (!Number.isSafeInteger(value)) {
    throw new NetcensusError(
      `${what} = ${value.toExponential(3)} exceeds 2^53 - 1 and cannot be represented exactly; use a smaller input or batch`,
    );
  }
  return value;
}

export function mul(what: string, ...factors: number[]): number {
  let acc = 1;
  for (const f of factors) acc = checked(acc * f, what);
  return acc;
}

export function sum(what: string, values: Iterable<number>): number {
  let acc = 0;
  for (const v of values) acc = checked(acc + v, what);
  return acc;
}

export function prod(shape: readonly number[]): number {
  return mul('shape size', ...shape);
}
