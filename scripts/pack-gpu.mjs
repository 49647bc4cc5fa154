#!/usr/bin/env node
/**
 * Packs what a GPU machine without registries needs to run `netcensus --backend webgpu` into one archive of
 * at most 60 MiB: this Node binary, netcensus' built files, its production dependencies (TensorFlow.js'
 * packages cut to the one CommonJS bundle each loads, and the wasm files), Dawn for Node with the Vulkan
 * loader beside it, and TensorFlow.js' WebGPU backend. The GPU machine's own Vulkan driver (NVIDIA's) runs it.
 *
 *   node scripts/pack-gpu.mjs [--out .cache/netcensus-gpu.tar.gz]      (after `netcensus setup --webgpu`)
 *   tar xzf netcensus-gpu.tar.gz && netcensus-gpu/netcensus verify resnet50 --backend webgpu
 *
 * The reference a GPU's output is compared with runs on pure-JS cpu there (native TensorFlow, 600 MB, is
 * not packed). Progress on stderr; the archive's path and size on stdout.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const loader = createRequire(import.meta.url)(join(root, 'scripts', 'native-loader.cjs'));
const LIMIT = 60 * 2 ** 20;
const log = (s) => process.stderr.write(`netcensus pack-gpu: ${s}\n`);
const fail = (s) => {
  log(s);
  process.exit(1);
};

const outArg = process.argv.indexOf('--out');
const out = outArg > 0 ? process.argv[outArg + 1] : join(root, '.cache', 'netcensus-gpu.tar.gz');
if (!existsSync(join(root, 'dist', 'src', 'cli.js'))) fail('dist/ is not built (npm run build)');
const webgpu = loader.packageDir('webgpu');
if (!webgpu) fail('WebGPU is not set up (npx netcensus setup --webgpu)');

const stage = join(dirname(out), 'netcensus-gpu.stage');
const top = join(stage, 'netcensus-gpu');
rmSync(stage, { recursive: true, force: true });
mkdirSync(top, { recursive: true });

/** Copies a tree without what only development reads: source maps, type declarations, docs. */
const DEV = /\.(map|d\.ts|d\.cts|d\.mts|md|markdown)$/i;
const copyTree = (from, to) => cpSync(from, to, { recursive: true, filter: (f) => !DEV.test(relative(from, f)) });

/** A TensorFlow.js package: its package.json, the CommonJS bundle Node loads, and any wasm beside it. */
function copyTfjs(from, to) {
  const pkg = JSON.parse(readFileSync(join(from, 'package.json'), 'utf8'));
  mkdirSync(to, { recursive: true });
  cpSync(join(from, 'package.json'), join(to, 'package.json'));
  const main = join(from, pkg.main ?? 'index.js');
  const wanted = [main, main.endsWith('.js') ? main : `${main}.js`].filter(existsSync);
  if (!wanted.length) fail(`${pkg.name}: its main file ${pkg.main} is missing`);
  for (const f of wanted) cpSync(f, join(to, relative(from, f)));
  const dist = join(from, 'dist');
  if (existsSync(dist))
    for (const f of spawnSync('find', [dist, '-maxdepth', '1', '-name', '*.wasm'], { encoding: 'utf8' })
      .stdout.split('\n')
      .filter(Boolean))
      cpSync(f, join(to, 'dist', basename(f)));
}

log('netcensus: dist, bin, assets, package.json');
const app = join(top, 'app');
for (const p of ['bin', 'dist', 'assets', 'package.json', 'LICENSE', 'scripts/native-loader.cjs'])
  if (existsSync(join(root, p))) copyTree(join(root, p), join(app, p));

log('production dependencies (TensorFlow.js cut to the bundles Node loads)');
const ls = spawnSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: root, encoding: 'utf8' });
const dirs = ls.stdout
  .split('\n')
  .filter((d) => d && d !== root)
  // Types only, never loaded.
  .filter((d) => !/node_modules\/@types\//.test(d) && !/node_modules\/@webgpu\/types$/.test(d));
for (const d of dirs) {
  const to = join(app, relative(root, d));
  if (/node_modules\/@tensorflow\//.test(d)) copyTfjs(d, to);
  else copyTree(d, to);
}

log('Dawn for Node and the WebGPU backend');
const project = loader.projectDir('webgpu');
const cache = join(top, 'cache', 'native', basename(project));
copyTree(join(project, 'node_modules', 'webgpu'), join(cache, 'node_modules', 'webgpu'));
copyTfjs(
  join(project, 'node_modules', '@tensorflow', 'tfjs-backend-webgpu'),
  join(cache, 'node_modules', '@tensorflow', 'tfjs-backend-webgpu'),
);
const dawnDir = join(cache, 'node_modules', 'webgpu', 'dist', 'linux-x64');
if (!existsSync(join(dawnDir, 'libvulkan.so.1'))) {
  // The Vulkan loader, where Dawn looks first: the software adapter's, else the system's.
  const system = ['/usr/lib/x86_64-linux-gnu/libvulkan.so.1', '/lib/x86_64-linux-gnu/libvulkan.so.1'].find(existsSync);
  if (system) cpSync(system, join(dawnDir, 'libvulkan.so.1'));
  else log('no libvulkan.so.1 to pack (setup --software-adapter brings one): the GPU machine must have its own');
}

log(`Node ${process.version}`);
mkdirSync(join(top, 'node'), { recursive: true });
cpSync(process.execPath, join(top, 'node', 'node'));
writeFileSync(
  join(top, 'netcensus'),
  [
    '#!/bin/sh',
    '# netcensus with the Node, dependencies and WebGPU packed beside it; no registry, no install.',
    'here=$(cd "$(dirname "$0")" && pwd)',
    'NETCENSUS_CACHE="$here/cache" exec "$here/node/node" "$here/app/bin/netcensus.js" "$@"',
    '',
  ].join('\n'),
);
chmodSync(join(top, 'netcensus'), 0o755);

log(`compressing into ${out}`);
mkdirSync(dirname(out), { recursive: true });
const tar = spawnSync('tar', ['-C', stage, '-czf', out, 'netcensus-gpu'], { stdio: 'inherit' });
if (tar.status !== 0) fail(`tar exited ${tar.status}`);
rmSync(stage, { recursive: true, force: true });
const size = statSync(out).size;
process.stdout.write(`${out}: ${(size / 2 ** 20).toFixed(1)} MiB\n`);
if (size > LIMIT)
  fail(`the archive is ${(size / 2 ** 20).toFixed(1)} MiB, above the 60 MiB a GPU machine's transfer allows`);
