/**
 * Where netcensus keeps its native packages (native TensorFlow, ONNX Runtime) and how it loads them.
 * Shared by the setup script (plain Node, before netcensus is built) and by netcensus at run time.
 *
 * They live in the user's cache directory, not under node_modules: npm prunes whatever it did not install
 * itself, so a build kept there vanished at the user's next `npm install`. One copy serves every project on
 * the machine. A copy the user installed themselves (resolvable from netcensus) is preferred.
 *
 * Each package sits in its own small npm project, installed without its download scripts. TensorFlow.js
 * itself is not kept there: tfjs-node's `require('@tensorflow/tfjs')` falls back to netcensus' own copy, as
 * NODE_PATH would, so one TensorFlow.js instance holds the backend netcensus uses.
 */
'use strict';
const { existsSync, readFileSync, realpathSync } = require('node:fs');
const Module = require('node:module');
const os = require('node:os');
const { dirname, join, sep } = require('node:path');

const packageRoot = dirname(__dirname);
const ownRequire = Module.createRequire(join(packageRoot, 'package.json'));

/** The versions netcensus is tested with (package.json's netcensusNative). */
function nativeVersions() {
  return JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')).netcensusNative;
}

/** The platform's per-user cache directory (XDG on Linux), or NETCENSUS_CACHE. */
function cacheRoot() {
  if (process.env.NETCENSUS_CACHE) return process.env.NETCENSUS_CACHE;
  const home = os.homedir();
  if (process.platform === 'darwin') return join(home, 'Library', 'Caches', 'netcensus');
  if (process.platform === 'win32')
    return join(process.env.LOCALAPPDATA || join(home, 'AppData', 'Local'), 'netcensus');
  return join(process.env.XDG_CACHE_HOME || join(home, '.cache'), 'netcensus');
}

/** Packages kept in another's project: TensorFlow.js' WebGPU backend beside Dawn. */
const HOST = { '@tensorflow/tfjs-backend-webgpu': 'webgpu' };

/** The npm project that holds one native package, keyed by version and platform. */
function projectDir(name) {
  name = HOST[name] ?? name;
  const version = nativeVersions()[name];
  return join(cacheRoot(), 'native', `${name.replace('/', '+')}@${version}-${process.platform}-${process.arch}`);
}

/** The package's folder: the user's own copy if netcensus can resolve one, else the cache's; undefined if neither. */
function packageDir(name) {
  // The node_modules folders Node would search from netcensus (not resolve(): some packages export no package.json).
  for (const base of ownRequire.resolve.paths(name) ?? []) {
    const dir = join(base, ...name.split('/'));
    if (existsSync(join(dir, 'package.json'))) return dir;
  }
  const dir = join(projectDir(name), 'node_modules', ...name.split('/'));
  return existsSync(join(dir, 'package.json')) ? dir : undefined;
}

let hooked = false;
/** A module inside the cache that cannot find a package (TensorFlow.js) gets netcensus' copy. */
function hookResolution() {
  if (hooked) return;
  hooked = true;
  // Module file names are real paths; the cache may sit behind a link.
  const native = join(cacheRoot(), 'native');
  const inside = (existsSync(native) ? realpathSync(native) : native) + sep;
  const original = Module._resolveFilename;
  Module._resolveFilename = function (request, parent, ...rest) {
    try {
      return original.call(this, request, parent, ...rest);
    } catch (e) {
      if (e && e.code === 'MODULE_NOT_FOUND' && parent && parent.filename && parent.filename.startsWith(inside))
        return ownRequire.resolve(request);
      throw e;
    }
  };
}

/** Loads a native package from wherever packageDir finds it; throws with a one-line reason. */
function requireNative(name) {
  const dir = packageDir(name);
  if (dir === undefined) throw new Error(`${name} is not installed (npx netcensus setup installs it)`);
  hookResolution();
  return require(dir);
}

module.exports = { cacheRoot, nativeVersions, packageDir, projectDir, requireNative };
