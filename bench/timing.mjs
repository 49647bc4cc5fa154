/** What the bench scripts share: the median, and one timed pass that ends when the output is read back. */
export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** One forward pass of anything with predict(x), in milliseconds, its output read back and freed. */
export const timedPass = async (m, x) => {
  const t0 = performance.now();
  const y = m.predict(x);
  await y.data();
  y.dispose();
  return performance.now() - t0;
};

/**
 * netcensus' built modules on native TensorFlow with a thread per core, as the bench scripts use them; the
 * threads are set before TensorFlow loads, which reads them once.
 */
export async function nativeNetcensus() {
  const { cpus } = await import('node:os');
  const { dirname, join } = await import('node:path');
  const { fileURLToPath } = await import('node:url');
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  process.env.TF_CPP_MIN_LOG_LEVEL ??= '3';
  const { pinNativeThreads, useBackend } = await import(join(root, 'dist/src/backend.js'));
  pinNativeThreads(cpus().length);
  await useBackend('tensorflow');
  const { tf } = await import(join(root, 'dist/src/tfjs/tf.js'));
  const { census } = await import(join(root, 'dist/src/census.js'));
  const { zooModel } = await import(join(root, 'dist/src/resolve.js'));
  const { buildTfjs } = await import(join(root, 'dist/src/tfjs/builder.js'));
  return { root, tf, census, zooModel, buildTfjs };
}
