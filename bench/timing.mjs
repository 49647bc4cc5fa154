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
