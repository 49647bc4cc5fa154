#!/usr/bin/env node
/**
 * postinstall: makes @tensorflow/tfjs-node (native TensorFlow) work, or says in one line why not.
 *
 * tfjs-node's own install step downloads libtensorflow from Google's storage. Where that is out of reach
 * (offline machines, CI here), npm drops the optional package and this script builds it instead from
 * the TensorFlow CPU wheel that pip can fetch from its configured index: the wheel carries
 * libtensorflow_cc.so.2, libtensorflow_framework.so.2 and the C API headers, which are placed where
 * tfjs-node expects libtensorflow 2.9.1, and the addon is compiled from source with node-gyp.
 *
 * It never fails the install: on any failure it prints one line and netcensus falls back to WASM.
 * NETCENSUS_SKIP_NATIVE=1 skips it. Progress goes to stderr. Idempotent: a working setup returns at once.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const pkgDir = join(root, 'node_modules', '@tensorflow', 'tfjs-node');
const cache = join(root, '.cache', 'native');
const LIBTF = '2.9.1'; // the libtensorflow version tfjs-node 4.x links against by file name
const log = (s) => process.stderr.write(`netcensus setup: ${s}\n`);

function loads() {
  const r = spawnSync(process.execPath, ['-e', "require('@tensorflow/tfjs-node')"], {
    cwd: root,
    encoding: 'utf8',
    timeout: 120_000,
  });
  return {
    ok: r.status === 0,
    error:
      (r.stderr || '')
        .trim()
        .split('\n')
        .find((l) => /Error|error/.test(l)) ?? `exit ${r.status}`,
  };
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
    maxBuffer: 64 * 2 ** 20,
    ...opts,
  });
  if (r.error) throw new Error(`${cmd} could not start (${r.error.code ?? r.error.message})`);
  if (r.status !== 0) {
    const tail = `${r.stderr}\n${r.stdout}`.trim().split('\n').filter(Boolean).slice(-3).join(' | ');
    throw new Error(`${cmd} ${args.slice(0, 3).join(' ')} failed (exit ${r.status}): ${tail.slice(0, 400)}`);
  }
  return r.stdout;
}

function wantedVersion() {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  return pkg.optionalDependencies?.['@tensorflow/tfjs-node'] ?? '4.22.0';
}

/** npm removes an optional package whose install script failed; put it back without running that script. */
function ensurePackage() {
  if (existsSync(join(pkgDir, 'package.json')) && existsSync(join(root, 'node_modules', '@mapbox', 'node-pre-gyp')))
    return;
  log('restoring @tensorflow/tfjs-node (npm dropped it when its download failed)');
  run(
    'npm',
    ['install', '--no-save', '--ignore-scripts', '--no-audit', '--no-fund', `@tensorflow/tfjs-node@${wantedVersion()}`],
    {
      // The outer `npm ci` exports its own settings; the nested install must not inherit e.g. a dry run.
      env: { ...process.env, npm_config_dry_run: '', npm_config_global: '', npm_config_save: 'false' },
    },
  );
  if (!existsSync(join(pkgDir, 'package.json'))) throw new Error('npm did not restore @tensorflow/tfjs-node');
}

/** Extracts libtensorflow and the C headers from the tensorflow-cpu wheel, once, into .cache/native. */
function ensureLibtensorflow() {
  const lib = join(cache, 'tensorflow', 'libtensorflow_cc.so.2');
  const fw = join(cache, 'tensorflow', 'libtensorflow_framework.so.2');
  const inc = join(cache, 'tensorflow', 'include', 'tensorflow', 'c', 'c_api.h');
  if (existsSync(lib) && existsSync(fw) && existsSync(inc))
    return { lib, fw, include: join(cache, 'tensorflow', 'include') };
  mkdirSync(cache, { recursive: true });
  const python = ['python3', 'python'].find(
    (p) => spawnSync(p, ['-m', 'pip', '--version'], { stdio: 'ignore' }).status === 0,
  );
  if (!python) throw new Error('pip is not available (python3 -m pip), so the tensorflow-cpu wheel cannot be fetched');
  let wheel = readdirSync(cache).find((f) => /^tensorflow_cpu-.*\.whl$/.test(f));
  if (!wheel) {
    log('downloading the tensorflow-cpu wheel with pip (about 270 MB)');
    run(
      python,
      [
        '-m',
        'pip',
        'download',
        '--no-deps',
        '--only-binary=:all:',
        '--disable-pip-version-check',
        '-d',
        cache,
        'tensorflow-cpu',
      ],
      { timeout: 30 * 60_000 },
    );
    wheel = readdirSync(cache).find((f) => /^tensorflow_cpu-.*\.whl$/.test(f));
    if (!wheel) throw new Error('pip download produced no tensorflow_cpu wheel');
  }
  log(`extracting libtensorflow and headers from ${wheel}`);
  const extract = [
    'import sys, zipfile',
    'z = zipfile.ZipFile(sys.argv[1])',
    "keep = [n for n in z.namelist() if n in ('tensorflow/libtensorflow_cc.so.2', 'tensorflow/libtensorflow_framework.so.2') or n.startswith('tensorflow/include/')]",
    'z.extractall(sys.argv[2], keep)',
  ].join('\n');
  run(python, ['-c', extract, join(cache, wheel), cache]);
  if (!existsSync(lib) || !existsSync(fw) || !existsSync(inc))
    throw new Error(`${wheel} does not contain libtensorflow_cc.so.2, libtensorflow_framework.so.2 and the C headers`);
  // The wheel is only a carrier; keep the extracted files, drop the 270 MB archive.
  rmSync(join(cache, wheel), { force: true });
  return { lib, fw, include: join(cache, 'tensorflow', 'include') };
}

/** Lays the wheel's libraries out under the names tfjs-node's binding.gyp and loader expect. */
function placeDeps({ lib, fw, include }) {
  const deps = join(pkgDir, 'deps');
  rmSync(deps, { recursive: true, force: true });
  mkdirSync(join(deps, 'lib'), { recursive: true });
  const libDir = join(deps, 'lib');
  cpSync(lib, join(libDir, `libtensorflow.so.${LIBTF}`));
  cpSync(fw, join(libDir, `libtensorflow_framework.so.${LIBTF}`));
  for (const [link, target] of [
    ['libtensorflow.so.2', `libtensorflow.so.${LIBTF}`],
    ['libtensorflow.so', `libtensorflow.so.${LIBTF}`],
    // The addon records the library's own soname, libtensorflow_cc.so.2.
    ['libtensorflow_cc.so.2', `libtensorflow.so.${LIBTF}`],
    ['libtensorflow_framework.so.2', `libtensorflow_framework.so.${LIBTF}`],
    ['libtensorflow_framework.so', `libtensorflow_framework.so.${LIBTF}`],
  ]) {
    symlinkSync(target, join(libDir, link));
  }
  cpSync(include, join(deps, 'include'), { recursive: true });
}

function build() {
  log('compiling the tfjs-node addon against it (a few minutes on 2 cores)');
  // tfjs-node's install script sees deps/lib in place and runs node-pre-gyp, which falls back to node-gyp.
  run('npm', ['rebuild', '@tensorflow/tfjs-node', '--foreground-scripts', '--ignore-scripts=false'], {
    timeout: 30 * 60_000,
  });
}

function main() {
  if (process.env.NETCENSUS_SKIP_NATIVE === '1') {
    log('native TensorFlow setup skipped (NETCENSUS_SKIP_NATIVE=1); netcensus will use wasm, then pure-JS cpu');
    return;
  }
  const first = loads();
  if (first.ok) {
    log('native TensorFlow (@tensorflow/tfjs-node) is ready');
    return;
  }
  const t0 = Date.now();
  try {
    if (process.platform !== 'linux' || process.arch !== 'x64')
      throw new Error(`the wheel route is for linux x64, this is ${process.platform} ${process.arch}`);
    ensurePackage();
    if (loads().ok) return log('native TensorFlow (@tensorflow/tfjs-node) is ready');
    placeDeps(ensureLibtensorflow());
    build();
    const after = loads();
    if (!after.ok) throw new Error(`the built addon does not load: ${after.error}`);
    log(
      `native TensorFlow built from the tensorflow-cpu wheel in ${((Date.now() - t0) / 1000).toFixed(0)} s and ready`,
    );
  } catch (e) {
    log(
      `native TensorFlow unavailable: ${String(e?.message ?? e).split('\n')[0]}; netcensus will use wasm, then pure-JS cpu`,
    );
  }
}

main();
