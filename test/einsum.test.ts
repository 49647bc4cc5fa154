/** EinsumDense's einsum as one batched matMul, against tf.einsum's own result on the cpu backend. */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { einsumMatMul } from '../src/kinds/attention.js';

const filled = (shape: number[], seed: number) =>
  tf.tensor(
    Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => ((i * 37 + seed * 11) % 101) / 50 - 1),
    shape,
  );

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('einsumMatMul', () => {
  it.each([
    ['abc,cd->abd', [2, 3, 4], [4, 5]],
    ['abc,cde->abde', [2, 3, 4], [4, 2, 3]],
    ['abcd,cde->abe', [2, 3, 4, 2], [4, 2, 5]],
    ['abcd,bcd->ab', [2, 3, 4, 2], [3, 4, 2]],
    ['ab,bc->ac', [3, 4], [4, 2]],
    ['abc,d->abcd', [2, 3, 2], [4]],
    ['abc,cb->a', [2, 3, 4], [4, 3]],
    ['abcd,de->aecb', [1, 2, 3, 4], [4, 2]],
  ])('%s equals tf.einsum', (equation, sa, sb) => {
    const [a, b] = [filled(sa, 1), filled(sb, 2)];
    const mine = einsumMatMul(tf, equation, a, b);
    const ref = tf.einsum(equation, a, b);
    expect(mine.shape).toEqual(ref.shape);
    expect(tf.max(tf.abs(tf.sub(mine, ref))).dataSync()[0]).toBeLessThan(1e-5);
    tf.dispose([a, b, mine, ref]);
  });
  it('sums an index of one operand alone, as einsum does', () => {
    const [a, b] = [filled([2, 3, 4], 3), filled([4, 5], 4)];
    const mine = einsumMatMul(tf, 'abc,cd->ad', a, b);
    // tfjs' own einsum does not sum an index of one operand alone: the sum after it is the reference.
    const ref = tf.sum(tf.einsum('abc,cd->abd', a, b), 1);
    expect(tf.max(tf.abs(tf.sub(mine, ref))).dataSync()[0]).toBeLessThan(1e-5);
    tf.dispose([a, b, mine, ref]);
  });
});
