#!/usr/bin/env node
/**
 * netcensus setup (also the postinstall): puts native TensorFlow (@tensorflow/tfjs-node) and ONNX Runtime
 * (onnxruntime-node) where netcensus finds them, or says in one line each why not.
 *
 * Both go into the user's cache directory (scripts/native-loader.cjs says where and why), each in a small npm
 * project installed with its packages' own install scripts off: ONNX Runtime's only fetches CUDA parts
 * from NuGet (its CPU binaries are in the package), and tfjs-node's downloads libtensorflow from Google's
 * storage. That download is tried once; where it is out of reach the addon is built instead from the
 * TensorFlow CPU wheel that pip fetches from its configured index (libtensorflow_cc.so.2,
 * libtensorflow_framework.so.2 and the C headers), compiled with node-gyp against the running Node's headers.
 *
 * Each project is assembled in a temporary folder and moved into place only when it loads, so a failed or
 * concurrent setup never leaves a half-built one. As a postinstall it never fails the install: netcensus
 * then counts on WASM or pure-JS cpu and verifies ONNX files without ONNX Runtime. `--strict` (what
 * `npx netcensus setup` runs) exits 1 when either is unavailable. NETCENSUS_SKIP_NATIVE=1 skips it all.
 * `--webgpu` adds Dawn's WebGPU for Node and TensorFlow.js' WebGPU backend; `--software-adapter` Mesa's
 * lavapipe, a Vulkan driver on the CPU, for machines without a GPU.
 * Progress goes to stderr. Idempotent: a working setup returns at once.
 */
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const loaderPath = join(dirname(fileURLToPath(import.meta.url)), 'native-loader.cjs');
const loader = createRequire(import.meta.url)(loaderPath);
const LIBTF = '2.9.1'; // the libtensorflow version tfjs-node 4.x links against by file name
const log = (s) => process.stderr.write(`netcensus setup: ${s}\n`);
const TFJS_NODE = '@tensorflow/tfjs-node';
const ORT = 'onnxruntime-node';
const WEBGPU = 'webgpu';
const TFJS_WEBGPU = '@tensorflow/tfjs-backend-webgpu';

/** Whether `name` loads in a fresh Node through the loader netcensus uses, and if not, the first error line. */
function loads(name, env = process.env) {
  const r = spawnSync(
    process.execPath,
    ['-e', `require(${JSON.stringify(loaderPath)}).requireNative(${JSON.stringify(name)})`],
    { encoding: 'utf8', timeout: 120_000, env },
  );
  const error =
    (r.stderr || '')
      .trim()
      .split('\n')
      .find((l) => /Error|error/.test(l)) ?? `exit ${r.status}`;
  return { ok: r.status === 0, error: error.replace(/^\w*Error: /, '') };
}

/** The outer npm's settings (a dry run, --global, --omit, a prefix) must not steer the installs here. */
function cleanEnv(extra = {}) {
  const keep =
    /^npm_config_(registry|cafile|ca|cert|key|proxy|https_proxy|http_proxy|noproxy|strict_ssl|cache|userconfig|globalconfig|nodedir|offline|prefer_offline|fetch_.*|@.*:registry|\/\/.*)$/i;
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k) || keep.test(k)) env[k] = v;
  return { ...env, ...extra };
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
    maxBuffer: 64 * 2 ** 20,
    env: cleanEnv(),
    ...opts,
  });
  if (r.error) throw new Error(`${cmd} could not start (${r.error.code ?? r.error.message})`);
  if (r.status !== 0) {
    const tail = `${r.stderr}\n${r.stdout}`.trim().split('\n').filter(Boolean).slice(-3).join(' | ');
    throw new Error(`${cmd} ${args.slice(0, 3).join(' ')} failed (exit ${r.status}): ${tail.slice(0, 400)}`);
  }
  return r.stdout;
}

/** A fresh npm project holding `name` (and `also`) at netcensus' versions, their install scripts not run. */
function installProject(name, tmp, also = []) {
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const versions = loader.nativeVersions();
  const dependencies = Object.fromEntries([name, ...also].map((n) => [n, versions[n]]));
  writeFileSync(
    join(tmp, 'package.json'),
    JSON.stringify({ name: 'netcensus-native', private: true, dependencies }, null, 2),
  );
  log(
    `installing ${Object.entries(dependencies)
      .map(([n, v]) => `${n}@${v}`)
      .join(', ')} into ${dirname(tmp)}`,
  );
  run('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund', '--no-package-lock', '--omit=dev'], {
    cwd: tmp,
    timeout: 20 * 60_000,
  });
  return join(tmp, 'node_modules', ...name.split('/'));
}

/** Moves a project that loads into its place; the loader finds it there from now on. */
function commit(name, tmp) {
  const dest = loader.projectDir(name);
  rmSync(dest, { recursive: true, force: true });
  renameSync(tmp, dest);
  const after = loads(name);
  if (!after.ok) throw new Error(`it does not load from ${dest}: ${after.error}`);
}

function setupOrt(tmp) {
  const pkg = installProject(ORT, tmp);
  // The package carries every platform's binaries (about 240 MB besides this one's).
  const bin = join(pkg, 'bin', 'napi-v6');
  for (const platform of readdirSync(bin))
    for (const arch of readdirSync(join(bin, platform)))
      if (platform !== process.platform || arch !== process.arch)
        rmSync(join(bin, platform, arch), { recursive: true });
  commit(ORT, tmp);
}

/** Where node-gyp finds Node's headers without downloading them: the running Node's own include/node. */
function nodedirEnv() {
  if (process.env.npm_config_nodedir) return {};
  const prefix = dirname(dirname(process.execPath));
  return existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? { npm_config_nodedir: prefix } : {};
}

/** tfjs-node's own install step: fetches libtensorflow (unless deps/lib has it), then the addon or builds it. */
function rebuild(tmp) {
  run('npm', ['rebuild', TFJS_NODE, '--foreground-scripts', '--ignore-scripts=false'], {
    cwd: tmp,
    timeout: 30 * 60_000,
    env: cleanEnv(nodedirEnv()),
  });
}

/** libtensorflow and its C headers from the tensorflow-cpu wheel, extracted straight into tfjs-node's deps/. */
function wheelDeps(pkg, tmp) {
  const python = ['python3', 'python'].find(
    (p) => spawnSync(p, ['-m', 'pip', '--version'], { stdio: 'ignore' }).status === 0,
  );
  if (!python) throw new Error('pip is not available (python3 -m pip), so the tensorflow-cpu wheel cannot be fetched');
  const wheels = join(tmp, '.wheel');
  mkdirSync(wheels, { recursive: true });
  log('downloading the tensorflow-cpu wheel with pip (about 270 MB)');
  const pipArgs = ['-m', 'pip', 'download', '--no-deps', '--only-binary=:all:', '--disable-pip-version-check'];
  run(python, [...pipArgs, '-d', wheels, 'tensorflow-cpu'], { timeout: 30 * 60_000 });
  const wheel = readdirSync(wheels).find((f) => /^tensorflow_cpu-.*\.whl$/.test(f));
  if (!wheel) throw new Error('pip download produced no tensorflow_cpu wheel');
  log(`extracting libtensorflow and headers from ${wheel}`);
  const extract = [
    'import sys, zipfile',
    'z = zipfile.ZipFile(sys.argv[1])',
    "keep = [n for n in z.namelist() if n in ('tensorflow/libtensorflow_cc.so.2', 'tensorflow/libtensorflow_framework.so.2') or n.startswith('tensorflow/include/')]",
    'z.extractall(sys.argv[2], keep)',
  ].join('\n');
  run(python, ['-c', extract, join(wheels, wheel), wheels]);
  const from = join(wheels, 'tensorflow');
  if (!['libtensorflow_cc.so.2', 'libtensorflow_framework.so.2', 'include'].every((f) => existsSync(join(from, f))))
    throw new Error(`${wheel} does not contain libtensorflow_cc.so.2, libtensorflow_framework.so.2 and the C headers`);
  const deps = join(pkg, 'deps');
  rmSync(deps, { recursive: true, force: true });
  mkdirSync(join(deps, 'lib'), { recursive: true });
  const lib = join(deps, 'lib');
  // Moved, not copied: one copy of libtensorflow on disk, under the names binding.gyp and the loader expect.
  renameSync(join(from, 'libtensorflow_cc.so.2'), join(lib, `libtensorflow.so.${LIBTF}`));
  renameSync(join(from, 'libtensorflow_framework.so.2'), join(lib, `libtensorflow_framework.so.${LIBTF}`));
  renameSync(join(from, 'include'), join(deps, 'include'));
  rmSync(wheels, { recursive: true, force: true });
  for (const [link, target] of [
    ['libtensorflow.so.2', `libtensorflow.so.${LIBTF}`],
    ['libtensorflow.so', `libtensorflow.so.${LIBTF}`],
    // The addon records the library's own soname, libtensorflow_cc.so.2.
    ['libtensorflow_cc.so.2', `libtensorflow.so.${LIBTF}`],
    ['libtensorflow_framework.so.2', `libtensorflow_framework.so.${LIBTF}`],
    ['libtensorflow_framework.so', `libtensorflow_framework.so.${LIBTF}`],
  ])
    symlinkSync(target, join(lib, link));
}

/** What only the build needed: the headers, node-gyp's objects, libtensorflow's symbol tables (about 200 MB). */
function slim(pkg) {
  rmSync(join(pkg, 'deps', 'include'), { recursive: true, force: true });
  rmSync(join(pkg, 'build'), { recursive: true, force: true });
  if (spawnSync('strip', ['--version'], { stdio: 'ignore' }).status !== 0) return;
  for (const f of [`libtensorflow.so.${LIBTF}`, `libtensorflow_framework.so.${LIBTF}`])
    spawnSync('strip', ['--strip-unneeded', join(pkg, 'deps', 'lib', f)], { stdio: 'ignore' });
}

function setupTfjsNode(tmp) {
  const pkg = installProject(TFJS_NODE, tmp);
  dropTfjs(tmp, ['tfjs-node']);
  let built = false;
  try {
    log('trying tfjs-node’s own download of libtensorflow and its addon');
    rebuild(tmp);
  } catch (e) {
    if (process.platform !== 'linux' || process.arch !== 'x64')
      throw new Error(`${firstLine(e)}; the wheel route is for linux x64, this is ${process.platform} ${process.arch}`);
    log(`that download failed (${firstLine(e).slice(0, 160)}); building from the tensorflow-cpu wheel instead`);
    wheelDeps(pkg, tmp);
    log('compiling the tfjs-node addon against it (a few minutes on 2 cores)');
    rebuild(tmp);
    built = true;
  }
  slim(pkg);
  commit(TFJS_NODE, tmp);
  return built ? 'built from the tensorflow-cpu wheel' : 'downloaded by tfjs-node';
}

/** TensorFlow.js itself comes from netcensus (native-loader.cjs): a second copy would be a second engine. */
function dropTfjs(tmp, keep) {
  const scope = join(tmp, 'node_modules', '@tensorflow');
  for (const p of readdirSync(scope)) if (!keep.includes(p)) rmSync(join(scope, p), { recursive: true });
}

/** Dawn's WebGPU for Node (its prebuilt dawn.node; no download) and TensorFlow.js' WebGPU backend, one project. */
function setupWebgpu(tmp) {
  const pkg = installProject(WEBGPU, tmp, [TFJS_WEBGPU]);
  dropTfjs(tmp, ['tfjs-backend-webgpu']);
  // The package carries every platform's dawn.node (about 110 MB besides this one's).
  const dist = join(pkg, 'dist');
  const own = `${process.platform}-${process.platform === 'darwin' ? 'universal' : process.arch}`;
  if (!existsSync(join(dist, own, 'dawn.node'))) throw new Error(`webgpu has no dawn.node for ${own}`);
  for (const d of readdirSync(dist)) if (d !== own) rmSync(join(dist, d), { recursive: true });
  commit(WEBGPU, tmp);
}

/** Core libraries the adapter must take from the system, never from a download (one C runtime per process). */
const SYSTEM_LIBS = new Set(['libc6', 'libgcc-s1', 'libstdc++6', 'gcc-12-base', 'libdrm-common', 'libx11-data']);

/**
 * A software Vulkan adapter for machines without a GPU: Mesa's lavapipe from Debian's backports (Dawn refuses
 * bookworm's own 22.3 for lacking shaderUniform*ArrayDynamicIndexing), downloaded with apt-get and unpacked
 * into the cache, never installed. Every library gets RUNPATH $ORIGIN (patchelf, downloaded the same way), so
 * the adapter loads from its folder without LD_LIBRARY_PATH; the Vulkan loader goes beside dawn.node, where
 * Dawn looks first. netcensus selects it (VK_ICD_FILENAMES) only where the system has no Vulkan driver.
 */
function setupSoftwareAdapter() {
  if (process.platform !== 'linux' || process.arch !== 'x64')
    throw new Error(
      `the software adapter is for linux x64 (Debian's lavapipe), this is ${process.platform} ${process.arch}`,
    );
  const dawnDir = join(loader.packageDir(WEBGPU) ?? '', 'dist', 'linux-x64');
  if (!existsSync(join(dawnDir, 'dawn.node'))) throw new Error('webgpu is not set up (setup --webgpu first)');
  const release = existsSync('/etc/os-release') ? readFileSync('/etc/os-release', 'utf8') : '';
  const codename = /^VERSION_CODENAME=(\w+)/m.exec(release)?.[1];
  if (!/^ID=debian$/m.test(release) || !codename)
    throw new Error("the software adapter comes from Debian's apt mirror; this system is not Debian");
  const dest = join(loader.cacheRoot(), 'webgpu-adapter', `lavapipe-${codename}`);
  const icd = join(dest, 'lvp_icd.json');
  const tmp = `${dest}.tmp-${process.pid}`;
  if (!existsSync(icd))
    try {
      unpackAdapter(tmp, dest, codename);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  // Dawn looks for the Vulkan loader beside itself first: dawn.node's, and ONNX Runtime's (its WebGPU provider).
  const ortDir = loader.packageDir(ORT);
  for (const dir of [dawnDir, ...(ortDir ? [join(ortDir, 'bin', 'napi-v6', 'linux', 'x64')] : [])])
    if (existsSync(dir)) copyFileSync(join(dest, 'lib', 'libvulkan.so.1'), join(dir, 'libvulkan.so.1'));
  return `in ${dest}`;
}

/** Downloads lavapipe and what it links against into `tmp`, then moves the adapter to `dest`. */
function unpackAdapter(tmp, dest, codename) {
  rmSync(tmp, { recursive: true, force: true });
  const apt = join(tmp, 'apt');
  for (const d of ['lists/partial', 'cache/archives/partial', 'debs', 'root'])
    mkdirSync(join(apt, d), { recursive: true });
  const keyring = '/usr/share/keyrings/debian-archive-keyring.gpg';
  writeFileSync(
    join(apt, 'sources.list'),
    [codename, `${codename}-backports`]
      .map((suite) => `deb [signed-by=${keyring}] http://deb.debian.org/debian ${suite} main\n`)
      .join(''),
  );
  const opts = [
    `Dir::Etc::SourceList=${join(apt, 'sources.list')}`,
    'Dir::Etc::SourceParts=/dev/null',
    `Dir::State::Lists=${join(apt, 'lists')}`,
    `Dir::Cache=${join(apt, 'cache')}`,
    'Debug::NoLocking=1',
    'APT::Sandbox::User=root',
  ].flatMap((o) => ['-o', o]);
  log(`fetching the package lists of ${codename} and ${codename}-backports`);
  run('apt-get', [...opts, 'update'], { timeout: 10 * 60_000 });
  const wanted = [`mesa-vulkan-drivers/${codename}-backports`, 'libvulkan1', 'patchelf'];
  const closure = run('apt-cache', [
    ...opts,
    'depends',
    '--recurse',
    ...['recommends', 'suggests', 'conflicts', 'breaks', 'replaces', 'enhances'].map((k) => `--no-${k}`),
    ...wanted,
  ])
    .split('\n')
    .filter((l) => /^[a-z0-9]/.test(l) && !l.includes('<'))
    .filter((p) => !SYSTEM_LIBS.has(p));
  log(`downloading lavapipe and ${closure.length - 1} packages it needs (about 50 MB)`);
  for (const p of new Set(closure)) {
    // The backports build where there is one (Mesa 25 needs libdrm 2.4.121), else the release's.
    try {
      run('apt-get', [...opts, 'download', `${p}/${codename}-backports`], { cwd: join(apt, 'debs') });
    } catch {
      run('apt-get', [...opts, 'download', p], { cwd: join(apt, 'debs') });
    }
  }
  for (const deb of readdirSync(join(apt, 'debs'))) run('dpkg', ['-x', join(apt, 'debs', deb), join(apt, 'root')]);
  const from = join(apt, 'root', 'usr', 'lib', 'x86_64-linux-gnu');
  const lib = join(tmp, 'lib');
  mkdirSync(lib, { recursive: true });
  // The shared libraries only, not Mesa's other drivers (radeon, intel): lavapipe is the one wanted.
  for (const f of readdirSync(from))
    if (/\.so(\.\d+)*$/.test(f) && !/^libvulkan_(?!lvp)|^libVkLayer/.test(f)) renameSync(join(from, f), join(lib, f));
  const patchelf = join(apt, 'root', 'usr', 'bin', 'patchelf');
  for (const f of readdirSync(lib))
    if (!lstatSync(join(lib, f)).isSymbolicLink()) run(patchelf, ['--set-rpath', '$ORIGIN', join(lib, f)]);
  rmSync(apt, { recursive: true, force: true });
  writeFileSync(
    join(tmp, 'lvp_icd.json'),
    JSON.stringify(
      {
        file_format_version: '1.0.0',
        ICD: { library_path: join(dest, 'lib', 'libvulkan_lvp.so'), api_version: '1.3.0' },
      },
      null,
      2,
    ),
  );
  rmSync(dest, { recursive: true, force: true });
  renameSync(tmp, dest);
}

const firstLine = (e) => String(e?.message ?? e).split('\n')[0];

function setup(name, what, fn) {
  const first = loads(name);
  if (first.ok) {
    log(`${what} (${name}) is ready`);
    return true;
  }
  const t0 = Date.now();
  const tmp = `${loader.projectDir(name)}.tmp-${process.pid}`;
  try {
    const how = fn(tmp);
    log(`${what} (${name}) ${how ? `${how}, ` : ''}ready in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    return true;
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    log(`${what} unavailable: ${firstLine(e)}`);
    return false;
  }
}

function main() {
  const strict = process.argv.includes('--strict');
  if (process.argv.includes('--where')) {
    for (const name of [TFJS_NODE, ORT, WEBGPU])
      process.stdout.write(`${name}: ${loader.packageDir(name) ?? 'not set up'}\n`);
    return;
  }
  if (process.env.NETCENSUS_SKIP_NATIVE === '1') {
    log('skipped (NETCENSUS_SKIP_NATIVE=1): netcensus will use wasm, then pure-JS cpu, and no ONNX Runtime witness');
    return;
  }
  const ort = setup(ORT, 'ONNX Runtime', setupOrt);
  const tf = setup(TFJS_NODE, 'native TensorFlow', setupTfjsNode);
  if (!tf) log('netcensus will use wasm, then pure-JS cpu; `npx netcensus setup` tries again');
  if (!ort) log('ONNX files will be verified without the ONNX Runtime witness; `npx netcensus setup` tries again');
  let gpu = true;
  // WebGPU only where asked: Dawn is 21 MB, and a software adapter 200 MB more.
  if (process.argv.includes('--webgpu')) gpu = setup(WEBGPU, 'WebGPU (Dawn for Node)', setupWebgpu);
  if (gpu && process.argv.includes('--software-adapter')) {
    try {
      log(`software Vulkan adapter (lavapipe) ready ${setupSoftwareAdapter()}`);
    } catch (e) {
      gpu = false;
      log(`software Vulkan adapter unavailable: ${firstLine(e)}`);
    }
  }
  if (strict && !(ort && tf && gpu)) process.exitCode = 1;
}

main();
