/**
 * Sliding-window arithmetic for any number of spatial axes, against the frameworks' documented formulas:
 * TensorFlow's floor((in + pads - dilation * (k - 1) - 1) / s) + 1 and SAME = ceil(in / s); PyTorch's
 * ceil mode, which drops a last window starting in the right padding.
 */
import { describe, expect, it } from 'vitest';
import { resolveAxisPads, samePadsND, slide } from '../../src/kinds/window.js';

const torchOut = (n: number, k: number, s: number, p: number, d: number, ceil: boolean): number => {
  const raw = (n + 2 * p - d * (k - 1) - 1) / s;
  let o = (ceil ? Math.ceil(raw) : Math.floor(raw)) + 1;
  if (ceil && (o - 1) * s >= n + p) o -= 1;
  return o;
};

describe('slide, any rank', () => {
  it('1-D, 2-D and 3-D windows follow one rule per axis (exhaustive over small sizes)', () => {
    let checked = 0;
    for (const rank of [1, 2, 3])
      for (let n = 1; n <= 9; n++)
        for (let k = 1; k <= 4; k++)
          for (let s = 1; s <= 3; s++)
            for (let d = 1; d <= 2; d++)
              for (let p = 0; p <= 2; p++)
                for (const ceil of [false, true]) {
                  if ((k - 1) * d + 1 > n + 2 * p) continue;
                  const sizes = Array.from({ length: rank }, (_, i) => n + i);
                  const out = slide('w', 'conv', sizes, {
                    kernel: sizes.map(() => k),
                    strides: sizes.map(() => s),
                    dilation: sizes.map(() => d),
                    padding: sizes.map(() => [p, p] as const),
                    ceilMode: ceil,
                  });
                  expect(out).toEqual(sizes.map((m) => torchOut(m, k, s, p, d, ceil)));
                  checked++;
                }
    expect(checked).toBeGreaterThan(3000);
  });

  it("SAME: ceil(in / stride) on every axis, TensorFlow's pads with the odd pixel after", () => {
    expect(
      slide('w', 'conv', [7, 8, 9], { kernel: [3, 3, 3], strides: [2, 2, 2], dilation: [1, 1, 1], padding: 'same' }),
    ).toEqual([4, 4, 5]);
    expect(samePadsND([7, 8], [3, 3], [2, 2], [1, 1])).toEqual([
      [1, 1],
      [0, 1],
    ]);
    expect(resolveAxisPads('valid', [5], [3], [1], [1])).toEqual([[0, 0]]);
  });

  it('names the axis of a window larger than its input, per rank', () => {
    expect(() => slide('t', 'conv1d', [4], { kernel: [5], strides: [1], dilation: [1], padding: 'valid' })).toThrow(
      /layer "t" \(conv1d\): kernel 5 is larger than its input length 4/,
    );
    expect(() =>
      slide('v', 'maxPool3d', [8, 2, 8], {
        kernel: [3, 3, 3],
        strides: [1, 1, 1],
        dilation: [1, 1, 1],
        padding: 'valid',
      }),
    ).toThrow(/pool window 3 is larger than its input height 2/);
  });
});
