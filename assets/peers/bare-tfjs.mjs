#!/usr/bin/env node
/**
 * The bare peer for `netcensus bench`: VGG16 or ResNet-50 written directly with tfjs-layers on tfjs-node,
 * no netcensus code involved, timed the same way (warm-up excluded, result read back). Comparing it with
 * netcensus' own run of the same model shows what netcensus' builder and wrapper cost.
 * Usage: bare-tfjs.mjs vgg16|resnet50 BATCH WARMUP RUNS; prints one JSON line.
 */
process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';
const tf = await import('@tensorflow/tfjs');
await import('@tensorflow/tfjs-node');
const [model = 'vgg16', batch = '1', warmup = '2', runs = '5'] = process.argv.slice(2);

function vgg16() {
  const input = tf.input({ shape: [224, 224, 3] });
  let x = input;
  for (const [filters, n] of [
    [64, 2],
    [128, 2],
    [256, 3],
    [512, 3],
    [512, 3],
  ]) {
    for (let i = 0; i < n; i++)
      x = tf.layers.conv2d({ filters, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(x);
    x = tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }).apply(x);
  }
  x = tf.layers.flatten().apply(x);
  x = tf.layers.dense({ units: 4096, activation: 'relu' }).apply(x);
  x = tf.layers.dense({ units: 4096, activation: 'relu' }).apply(x);
  x = tf.layers.dense({ units: 1000 }).apply(x);
  return tf.model({ inputs: input, outputs: x });
}

function resnet50() {
  const bn = (x) => tf.layers.batchNormalization({ epsilon: 1e-5 }).apply(x);
  const conv = (x, filters, k, stride = 1) =>
    tf.layers
      .conv2d({ filters, kernelSize: k, strides: stride, padding: k === 1 ? 'valid' : 'same', useBias: false })
      .apply(x);
  const relu = (x) => tf.layers.activation({ activation: 'relu' }).apply(x);
  const input = tf.input({ shape: [224, 224, 3] });
  let x = relu(bn(conv(tf.layers.zeroPadding2d({ padding: 3 }).apply(input), 64, 7, 2)));
  x = tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }).apply(x);
  let inplanes = 64;
  [3, 4, 6, 3].forEach((count, stage) => {
    const planes = 64 * 2 ** stage;
    for (let j = 0; j < count; j++) {
      const stride = stage > 0 && j === 0 ? 2 : 1;
      let y = relu(bn(conv(x, planes, 1)));
      y = relu(bn(conv(y, planes, 3, stride)));
      y = bn(conv(y, planes * 4, 1));
      const shortcut = stride !== 1 || inplanes !== planes * 4 ? bn(conv(x, planes * 4, 1, stride)) : x;
      x = relu(tf.layers.add().apply([y, shortcut]));
      inplanes = planes * 4;
    }
  });
  x = tf.layers.globalAveragePooling2d({}).apply(x);
  x = tf.layers.dense({ units: 1000 }).apply(x);
  return tf.model({ inputs: input, outputs: x });
}

const builders = { vgg16, resnet50 };
if (!builders[model]) {
  process.stderr.write(`bare-tfjs: only ${Object.keys(builders).join(', ')}\n`);
  process.exit(2);
}
const m = builders[model]();
const x = tf.randomNormal([Number(batch), 224, 224, 3]);
const times = [];
for (let i = 0; i < Number(warmup) + Number(runs); i++) {
  const t0 = performance.now();
  const y = m.predict(x);
  await y.data();
  y.dispose();
  if (i >= Number(warmup)) times.push(performance.now() - t0);
}
times.sort((a, b) => a - b);
const median =
  times.length % 2 ? times[(times.length - 1) / 2] : (times[times.length / 2 - 1] + times[times.length / 2]) / 2;
process.stdout.write(
  JSON.stringify({
    peer: 'bare-tfjs-node',
    model,
    batch: Number(batch),
    params: m.countParams(),
    timesMs: times,
    medianMs: median,
  }) + '\n',
);
x.dispose();
m.dispose();
