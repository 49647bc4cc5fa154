#!/usr/bin/env node
/**
 * The bare peer for `netcensus bench`: zoo models written directly with tfjs-layers, no netcensus code
 * involved. `netcensus bench` imports this file and runs these models in its own process, on the same
 * TensorFlow, interleaved with its own build of the same model, so the comparison shows what netcensus'
 * builder costs. Defined: VGG-11/13/16/19 with and without BatchNorm, ResNet-18/34/50/101/152 (torchvision's
 * v1.5: stride in the bottleneck's 3x3 conv), torchvision's AlexNet. Convolutions use TensorFlow's own
 * padding ('same' where torchvision pads k//2), which is how one would write them by hand in tfjs.
 *
 * Run directly it times one model on its own: bare-tfjs.mjs MODEL BATCH WARMUP RUNS, one JSON line.
 */

/** The zoo names this file defines. */
export const BARE_MODELS = [
  'alexnet-torchvision',
  ...[11, 13, 16, 19].flatMap((d) => [`vgg${d}`, `vgg${d}-bn`]),
  ...[18, 34, 50, 101, 152].map((d) => `resnet${d}`),
];

const VGG = {
  11: [64, 'M', 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M'],
  13: [64, 64, 'M', 128, 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M'],
  16: [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512, 'M'],
  19: [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 256, 'M', 512, 512, 512, 512, 'M', 512, 512, 512, 512, 'M'],
};

const RESNET = {
  18: ['basic', [2, 2, 2, 2]],
  34: ['basic', [3, 4, 6, 3]],
  50: ['bottleneck', [3, 4, 6, 3]],
  101: ['bottleneck', [3, 4, 23, 3]],
  152: ['bottleneck', [3, 8, 36, 3]],
};

function vgg(tf, cfg, bn, input) {
  const inp = tf.input({ shape: [...input, 3] });
  let x = inp;
  for (const v of cfg) {
    if (v === 'M') {
      x = tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }).apply(x);
    } else if (bn) {
      x = tf.layers.conv2d({ filters: v, kernelSize: 3, padding: 'same' }).apply(x);
      x = tf.layers.batchNormalization({ epsilon: 1e-5 }).apply(x);
      x = tf.layers.activation({ activation: 'relu' }).apply(x);
    } else {
      x = tf.layers.conv2d({ filters: v, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(x);
    }
  }
  x = tf.layers.flatten().apply(x);
  x = tf.layers.dense({ units: 4096, activation: 'relu' }).apply(x);
  x = tf.layers.dense({ units: 4096, activation: 'relu' }).apply(x);
  x = tf.layers.dense({ units: 1000 }).apply(x);
  return tf.model({ inputs: inp, outputs: x });
}

function resnet(tf, block, counts, input) {
  const bn = (x) => tf.layers.batchNormalization({ epsilon: 1e-5 }).apply(x);
  const conv = (x, filters, k, stride = 1, padding = k === 1 ? 'valid' : 'same') =>
    tf.layers.conv2d({ filters, kernelSize: k, strides: stride, padding, useBias: false }).apply(x);
  const relu = (x) => tf.layers.activation({ activation: 'relu' }).apply(x);
  const inp = tf.input({ shape: [...input, 3] });
  // torchvision pads the 7x7 stem by 3 on every side: explicitly, then a 'valid' convolution. (Until
  // 2026-11-22 this file padded it twice, explicit and 'same', and every later feature map was one pixel
  // larger than ResNet's: 115 instead of 112 after the stem, 8x8 instead of 7x7 at the end, 10% more MACs.)
  let x = relu(bn(conv(tf.layers.zeroPadding2d({ padding: 3 }).apply(inp), 64, 7, 2, 'valid')));
  x = tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }).apply(x);
  const expansion = block === 'basic' ? 1 : 4;
  let inplanes = 64;
  counts.forEach((count, stage) => {
    const planes = 64 * 2 ** stage;
    for (let j = 0; j < count; j++) {
      const stride = stage > 0 && j === 0 ? 2 : 1;
      let y;
      if (block === 'basic') {
        y = relu(bn(conv(x, planes, 3, stride)));
        y = bn(conv(y, planes, 3));
      } else {
        y = relu(bn(conv(x, planes, 1)));
        y = relu(bn(conv(y, planes, 3, stride)));
        y = bn(conv(y, planes * expansion, 1));
      }
      const shortcut = stride !== 1 || inplanes !== planes * expansion ? bn(conv(x, planes * expansion, 1, stride)) : x;
      x = relu(tf.layers.add().apply([y, shortcut]));
      inplanes = planes * expansion;
    }
  });
  x = tf.layers.globalAveragePooling2d({}).apply(x);
  x = tf.layers.dense({ units: 1000 }).apply(x);
  return tf.model({ inputs: inp, outputs: x });
}

/** torchvision's AlexNet at 224x224, where its AdaptiveAvgPool2d(6x6) is the identity. */
function alexnetTorchvision(tf, input) {
  const conv = (x, filters, k, opts = {}) =>
    tf.layers.conv2d({ filters, kernelSize: k, activation: 'relu', padding: 'same', ...opts }).apply(x);
  const pool = (x) => tf.layers.maxPooling2d({ poolSize: 3, strides: 2 }).apply(x);
  const inp = tf.input({ shape: [...input, 3] });
  let x = tf.layers.zeroPadding2d({ padding: 2 }).apply(inp);
  x = pool(conv(x, 64, 11, { strides: 4, padding: 'valid' }));
  x = pool(conv(x, 192, 5));
  x = conv(conv(conv(x, 384, 3), 256, 3), 256, 3);
  x = tf.layers.flatten().apply(pool(x));
  x = tf.layers.dense({ units: 4096, activation: 'relu' }).apply(x);
  x = tf.layers.dense({ units: 4096, activation: 'relu' }).apply(x);
  x = tf.layers.dense({ units: 1000 }).apply(x);
  return tf.model({ inputs: inp, outputs: x });
}

/**
 * Weight multiply-accumulates per example of a tfjs-layers model, from its layers' kernels and output
 * shapes (conv2d and dense: output elements x kernel elements / output channels), to check that a bare
 * model computes what the census counts: a parameter count alone does not see a feature map that is one
 * pixel too large.
 */
export function kernelMacs(model) {
  let macs = 0;
  for (const layer of model.layers) {
    const kernel = layer.weights.find((w) => /kernel/.test(w.name));
    if (!kernel) continue;
    const out = layer.outputShape.slice(1).reduce((a, b) => a * b, 1);
    const k = kernel.shape.reduce((a, b) => a * b, 1) / kernel.shape.at(-1);
    macs += out * k;
  }
  return macs;
}

/**
 * The bare tfjs-layers model of a zoo name, on the given tfjs instance, for an [H, W] input; undefined where
 * this file has none (or, for AlexNet, at an input other than 224 x 224).
 */
export function bareModel(tf, name, input = [224, 224]) {
  let m = /^vgg(11|13|16|19)(-bn)?$/.exec(name);
  if (m) return vgg(tf, VGG[m[1]], Boolean(m[2]), input);
  m = /^resnet(18|34|50|101|152)$/.exec(name);
  if (m) return resnet(tf, ...RESNET[m[1]], input);
  if (name === 'alexnet-torchvision' && input[0] === 224 && input[1] === 224) return alexnetTorchvision(tf, input);
  return undefined;
}

async function main() {
  process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';
  const tf = await import('@tensorflow/tfjs');
  await import('@tensorflow/tfjs-node');
  const [model = 'vgg16', batch = '1', warmup = '2', runs = '5'] = process.argv.slice(2);
  const m = bareModel(tf, model);
  if (!m) {
    process.stderr.write(`bare-tfjs: only ${BARE_MODELS.join(', ')}\n`);
    process.exit(2);
  }
  const x = tf.randomNormal([Number(batch), 224, 224, 3]);
  const times = [];
  for (let i = 0; i < Number(warmup) + Number(runs); i++) {
    const t0 = performance.now();
    const y = m.predict(x);
    await y.data();
    y.dispose();
    if (i >= Number(warmup)) times.push(performance.now() - t0);
  }
  const sorted = [...times].sort((a, b) => a - b);
  const mid = sorted.length / 2;
  const median = sorted.length % 2 ? sorted[(sorted.length - 1) / 2] : (sorted[mid - 1] + sorted[mid]) / 2;
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
}

const { pathToFileURL } = await import('node:url');
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
