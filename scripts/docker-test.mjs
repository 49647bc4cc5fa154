#!/usr/bin/env node
/**
 * npm run test:docker: builds the CPU image from the real Dockerfile and runs, inside it with no network,
 * the test suite (npm test) and `verify --all`, both required to be on native TensorFlow. One summary line
 * on stdout; progress (the build log, the suite's output) on stderr.
 *
 * Exit 0: passed, or not run because no engine can be had here (not root, no dockerd, a kernel without
 * overlay or cgroups), which the summary says in words. Exit 1: the build, the suite or the verification
 * failed. An engine started here (never on Docker's default bridge) is stopped at the end, and only that one.
 *
 *   --build-only   build the image and stop (npm run docker:build)
 *   --tag NAME     image name (netcensus:ci; netcensus for --build-only)
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { BASE, ensureBase } from './docker/base.mjs';
import { acquireEngine, stopEngine } from './docker/engine.mjs';
import { buildRoutes } from './docker/routes.mjs';
import { Failure, NotRun, cacheDir, killRunning, log, seconds, sh, shAsync, tail } from './docker/util.mjs';

const SIZE_BUDGET = 1.2e9; // bytes, as docker counts them
const CUDA_BASE = 'nvidia/cuda:11.2.2-cudnn8-runtime-ubuntu20.04';

const argv = process.argv.slice(2);
const buildOnly = argv.includes('--build-only');
const tagAt = argv.indexOf('--tag');
const tag = tagAt >= 0 ? argv[tagAt + 1] : buildOnly ? 'netcensus' : 'netcensus:ci';
const unknown = argv.filter((a, i) => !['--build-only', '--tag'].includes(a) && (tagAt < 0 || i !== tagAt + 1));
if (unknown.length || !tag) {
  process.stderr.write(
    `netcensus docker: unknown argument ${unknown[0] ?? '--tag without a name'} (usage: docker-test.mjs [--build-only] [--tag NAME])\n`,
  );
  process.exit(2);
}

const t0 = Date.now();
let engine = null;
let routes = null;
let container = null;
const gb = (bytes) => `${(bytes / 1e9).toFixed(2)} GB`;

function cleanup() {
  killRunning();
  if (container) sh(engine.cli, ['rm', '-f', container], { env: engine.env });
  container = null;
  routes?.stop();
  routes = null;
  stopEngine(engine);
  engine = null;
}
// Interrupted during a long (asynchronous) step: stop what this run started, then exit. During the short
// synchronous steps the signal waits for them to end.
for (const [sig, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
]) {
  process.on(sig, () => {
    log(`interrupted (${sig}); cleaning up`);
    process.stdout.write('docker: FAILED: interrupted\n');
    cleanup();
    process.exit(code);
  });
}

function docker(args, opts = {}) {
  return sh(engine.cli, args, { ...opts, env: { ...engine.env, ...opts.env } });
}

/** The long steps: build, suite, verify. */
async function dockerLong(args, opts = {}) {
  const r = await shAsync(engine.cli, args, { ...opts, env: { ...engine.env, ...opts.env } });
  if (r.status === 130 || r.signal === 'SIGINT') throw new Failure('interrupted');
  return r;
}

const imageId = (ref) => docker(['image', 'inspect', '-f', '{{.Id}}', ref]).stdout.trim() || null;

async function build(base) {
  routes = buildRoutes();
  const args = ['build', '--network', 'host', '--progress', 'plain', '-t', tag, '-f', 'Dockerfile'];
  for (const [k, v] of Object.entries(routes.args)) args.push('--build-arg', `${k}=${v}`);
  for (const [id, src] of Object.entries(routes.secrets)) args.push('--secret', `id=${id},src=${src}`);
  const previous = imageId(tag);
  log(`building the CPU image ${tag} from Dockerfile (base ${BASE}: ${base})`);
  const tb = Date.now();
  const r = await dockerLong([...args, '.'], { env: { DOCKER_BUILDKIT: '1' }, inherit: true });
  const buildMs = Date.now() - tb;
  routes.stop();
  routes = null;
  if (r.status !== 0)
    throw new Failure(
      `the CPU image did not build (docker build ${r.timedOut ? 'timed out' : `exit ${r.status}`}; its log is above)`,
    );
  const id = imageId(tag);
  // A rebuild leaves the previous image dangling; remove it, unless something else still uses it.
  if (previous && previous !== id) docker(['rmi', previous]);
  const size = Number(docker(['image', 'inspect', '-f', '{{.Size}}', tag]).stdout.trim());
  log(`image ${tag}: ${gb(size)}, built in ${seconds(buildMs)}`);
  if (!(size > 0)) throw new Failure(`could not read the size of ${tag}`);
  if (size > SIZE_BUDGET) throw new Failure(`the CPU image is ${gb(size)}, over its ${gb(SIZE_BUDGET)} budget`);
  return { buildMs, size };
}

/** The default command (the suite), in a named container so that its JSON report can be copied out. */
async function runSuite() {
  container = `netcensus-ci-${process.pid}`;
  log(`running the test suite in ${tag} (--network none)`);
  const r = await dockerLong(['run', '--init', '--name', container, '--network', 'none', tag], { inherit: true });
  const out = join(cacheDir, 'container-vitest-report.json');
  rmSync(out, { force: true });
  docker(['cp', `${container}:/app/.cache/vitest-report.json`, out]);
  docker(['rm', '-f', container]);
  container = null;
  if (!existsSync(out)) throw new Failure(`the test suite in the container left no report (exit ${r.status})`);
  const report = JSON.parse(readFileSync(out, 'utf8'));
  const passed = report.numPassedTests;
  const failed = report.numFailedTests;
  const native = report.testResults
    .flatMap((f) => f.assertionResults)
    .find((a) => a.title === 'auto picks native TensorFlow');
  return { passed, failed, status: r.status, nativeOk: native?.status === 'passed' };
}

async function runVerify() {
  log(`running verify --all in ${tag} (--network none)`);
  const zoo = JSON.parse(docker(['run', '--rm', '--init', '--network', 'none', tag, 'list', '--json']).stdout || '[]');
  const r = await dockerLong(['run', '--rm', '--init', '--network', 'none', tag, 'verify', '--all', '--json'], {
    stderrInherit: true,
  });
  let entries;
  try {
    entries = JSON.parse(r.stdout);
  } catch {
    throw new Failure(`verify --all in the container printed no JSON (exit ${r.status}): ${tail(r, 1)}`);
  }
  const ok = entries.filter((e) => e.ok && e.backend === 'tensorflow');
  const notNative = entries.filter((e) => e.backend !== 'tensorflow');
  return {
    total: zoo.length,
    ok: ok.length,
    status: r.status,
    notNative,
    failedModels: entries.filter((e) => !e.ok).map((e) => e.model),
  };
}

/** Dockerfile.cuda is built only where its CUDA base is already on the engine (it cannot be pulled here). */
async function cudaLine() {
  if (!imageId(CUDA_BASE)) {
    return `Dockerfile.cuda: skipped: ${CUDA_BASE} is not on this engine and CUDA 11.2 / cuDNN 8.1 are in no registry reachable here (its invariants are parsed in test/docker.test.ts)`;
  }
  log('building Dockerfile.cuda (its base is on this engine)');
  const r = await dockerLong(
    ['build', '--network', 'host', '--progress', 'plain', '-t', 'netcensus:cuda-ci', '-f', 'Dockerfile.cuda', '.'],
    { env: { DOCKER_BUILDKIT: '1' }, inherit: true },
  );
  if (r.status !== 0) throw new Failure('Dockerfile.cuda did not build (its log is above)');
  return 'Dockerfile.cuda: built (not run: that needs an NVIDIA GPU)';
}

async function main() {
  engine = acquireEngine();
  mkdirSync(cacheDir, { recursive: true });
  const base = ensureBase(engine);
  const { buildMs, size } = await build(base);
  const built = `CPU image built in ${seconds(buildMs)} (base: ${base}), ${gb(size)}`;
  if (buildOnly) {
    process.stdout.write(`docker: ${built}, tagged ${tag}\n`);
    return 0;
  }
  const suite = await runSuite();
  const verify = await runVerify();
  const cuda = await cudaLine();
  const line =
    `docker: ${built}; in the container (--network none): ${suite.passed} passed, ${suite.failed} failed` +
    `; verify --all: ${verify.ok} of ${verify.total} models verified on native TensorFlow; ${seconds(Date.now() - t0)} in all`;
  process.stdout.write(`${cuda}\n`);
  const problems = [];
  if (suite.status !== 0 || suite.failed > 0) problems.push(`${suite.failed} test(s) failed in the container`);
  if (!suite.nativeOk) problems.push('the suite in the container did not run on native TensorFlow');
  if (verify.notNative.length) problems.push(`verify ran on ${verify.notNative[0].backend}, not native TensorFlow`);
  if (verify.failedModels.length) problems.push(`verify --all failed for ${verify.failedModels.join(', ')}`);
  if (verify.status !== 0 || verify.ok !== verify.total)
    problems.push(`verify --all: ${verify.ok} of ${verify.total} models verified (exit ${verify.status})`);
  for (const p of problems) log(p);
  process.stdout.write(`${problems.length ? line.replace(/^docker: /, 'docker: FAILED: ') : line}\n`);
  return problems.length ? 1 : 0;
}

let code;
try {
  code = await main();
} catch (e) {
  if (e instanceof NotRun) {
    process.stdout.write(`docker: not run: ${e.message} (the image was neither built nor tested)\n`);
    code = 0;
  } else if (e instanceof Failure) {
    log(e.message);
    process.stdout.write(`docker: FAILED: ${e.message}\n`);
    code = 1;
  } else {
    log(
      `internal error: ${e?.message ?? e}${process.env.NETCENSUS_DEBUG === '1' ? `\n${e?.stack}` : ' (NETCENSUS_DEBUG=1 shows the stack)'}`,
    );
    code = 70;
  }
} finally {
  cleanup();
}
process.exit(code);
