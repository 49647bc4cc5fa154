/** Number and unit formatting shared by every presentation and by diagnostic messages. */

export const int = (n: number): string => n.toLocaleString('en-US');
export const shape = (s: readonly number[]): string => `[${s.join(', ')}]`;

/** 1234567 -> "1.23M"; the SI prefix is decimal (10^6, 10^9). */
export function si(n: number, digits = 2): string {
  const abs = Math.abs(n);
  if (abs >= 1e12) return `${(n / 1e12).toFixed(digits)}T`;
  if (abs >= 1e9) return `${(n / 1e9).toFixed(digits)}G`;
  if (abs >= 1e6) return `${(n / 1e6).toFixed(digits)}M`;
  if (abs >= 1e3) return `${(n / 1e3).toFixed(digits)}K`;
  return `${n}`;
}

/** Bytes in both units, labelled: "243.86 MB (232.56 MiB)". */
export const bytes = (n: number): string => `${(n / 1e6).toFixed(2)} MB (${(n / 2 ** 20).toFixed(2)} MiB)`;

/**
 * Bytes with the unit their size needs, both prefixes labelled: "31,488 bytes (31.49 kB, 30.75 KiB)",
 * "243.86 MB (232.56 MiB)", "13.48 GB (12.55 GiB)"; kB/MB/GB are 10^3/10^6/10^9, KiB/MiB/GiB 2^10/2^20/2^30.
 */
export function scaledBytes(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} GB (${(n / 2 ** 30).toFixed(2)} GiB)`;
  if (n >= 1e6) return bytes(n);
  if (n >= 1e3) return `${int(n)} bytes (${(n / 1e3).toFixed(2)} kB, ${(n / 2 ** 10).toFixed(2)} KiB)`;
  return `${int(n)} bytes`;
}

export const signed = (n: number): string => (n > 0 ? `+${int(n)}` : int(n));
