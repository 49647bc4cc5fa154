/**
 * How a verification's weights start, and the pool of constant weights shared across one run. A module of
 * its own, typed through src/tfjs/types.ts: verify's public declarations name both, and must not load
 * TensorFlow.js' own types.
 */
import { tf } from './tf.js';
import type { DataType, Tensor } from './types.js';

export type WeightInit = 'random' | 'zeros';

/**
 * Constant weight tensors shared by shape across the models of one run (`verify --all`): a layer built with
 * zeros takes a clone of the pool's zero tensor of its shape, which shares its memory (tfjs counts the
 * references), instead of writing its own. Every layer still has its own variable, shape and count; only
 * the bytes behind equal all-zero (or all-one) weights are written once. VGG's 25088x4096 classifier
 * kernel, 411 MB, recurs in ten zoo models.
 */
export class ConstantPool {
  private readonly byKey = new Map<string, Tensor>();

  take(value: number, shape: readonly number[], dtype: DataType): Tensor {
    const key = `${value}:${dtype}:${shape.join('x')}`;
    let t = this.byKey.get(key);
    if (!t) {
      t = tf.keep(tf.fill([...shape], value, dtype));
      this.byKey.set(key, t);
    }
    return tf.clone(t);
  }

  /** Tensors the pool holds: a verification excludes them from its leak count. */
  get size(): number {
    return this.byKey.size;
  }

  dispose(): void {
    tf.dispose([...this.byKey.values()]);
    this.byKey.clear();
  }
}
