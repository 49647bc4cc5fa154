/** Shared by the Docker scripts: paths, logging, child processes, the two kinds of failure. */
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
/** Downloads, the stand-in base's tarball, logs; .dockerignore keeps .cache out of the build context. */
export const cacheDir = join(root, '.cache', 'docker');

export const log = (s) => process.stderr.write(`netcensus docker: ${s}\n`);

/** No engine can be had here (not root, no dockerd, the kernel lacks overlay or cgroups): not a test failure. */
export class NotRun extends Error {}
/** The build, the tests or the verification failed: CI must fail. */
export class Failure extends Error {}

/**
 * Runs a command to completion. `inherit` streams its output to our stderr (progress), `stderrInherit` only
 * its stderr; the rest is captured.
 */
export function sh(
  cmd,
  args,
  { inherit = false, stderrInherit = false, timeoutMs = 10 * 60_000, env, input, cwd = root } = {},
) {
  const r = spawnSync(cmd, args, {
    cwd,
    env: env ? { ...process.env, ...env } : process.env,
    input,
    encoding: 'utf8',
    maxBuffer: 256 * 2 ** 20,
    timeout: timeoutMs,
    stdio: [input === undefined ? 'ignore' : 'pipe', inherit ? 2 : 'pipe', inherit || stderrInherit ? 2 : 'pipe'],
  });
  const timedOut = r.error?.code === 'ETIMEDOUT';
  return {
    status: r.error ? null : r.status,
    signal: r.signal,
    stdout: r.stdout ?? '',
    stderr: r.stderr ?? '',
    error: r.error,
    timedOut,
  };
}

const running = new Set();

/**
 * sh for the long steps (build, suite, verify), asynchronous so that a signal handler can run meanwhile
 * and clean up; killRunning() ends what is in flight.
 */
export function shAsync(
  cmd,
  args,
  { inherit = false, stderrInherit = false, timeoutMs = 60 * 60_000, env, cwd = root } = {},
) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, {
      cwd,
      env: env ? { ...process.env, ...env } : process.env,
      stdio: ['ignore', inherit ? 2 : 'pipe', inherit || stderrInherit ? 2 : 'pipe'],
    });
    running.add(child);
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout?.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr?.setEncoding('utf8').on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
    }, timeoutMs);
    const done = (r) => {
      clearTimeout(timer);
      running.delete(child);
      resolve({ stdout, stderr, timedOut, ...r });
    };
    child.on('error', (error) => done({ status: null, signal: null, error }));
    child.on('close', (status, signal) => done({ status: timedOut ? null : status, signal }));
  });
}

export function killRunning() {
  for (const child of running) child.kill('SIGTERM');
}

/** The last meaningful lines of a failed command, for a one-line message. */
export function tail(r, n = 2) {
  if (r.timedOut) return 'timed out';
  if (r.error) return `could not start (${r.error.code ?? r.error.message})`;
  const lines = `${r.stderr}\n${r.stdout}`
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return (lines.slice(-n).join(' | ') || `exit ${r.status}`).slice(0, 300);
}

/** Like sh, but a non-zero exit becomes a Failure naming `what`. Returns stdout. */
export function must(what, cmd, args, opts) {
  const r = sh(cmd, args, opts);
  if (r.status !== 0) throw new Failure(`${what} failed: ${tail(r)}`);
  return r.stdout;
}

export function which(name) {
  for (const dir of (process.env.PATH ?? '').split(delimiter).concat(['/usr/sbin', '/sbin'])) {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // not here
    }
  }
  return null;
}

export function sleepSync(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export function isAlive(pid) {
  // This script blocks in synchronous calls, so Node does not reap its exited children: a zombie counts as gone.
  const stat = readText(`/proc/${pid}/stat`);
  if (stat) return !/^\d+ \(.*\) Z/.test(stat);
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Sends SIGTERM, waits up to `graceMs`, then SIGKILL. Only ever called with the id of a process we started. */
export function stopProcess(pid, graceMs = 30_000) {
  if (!isAlive(pid)) return;
  process.kill(pid, 'SIGTERM');
  const until = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < until) sleepSync(200);
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
}

export const readText = (p) => {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return '';
  }
};

export const seconds = (ms) => {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
};

/** apt-get install, with service start-up forbidden (policy-rc.d), so that installing docker.io cannot start a default engine. */
export function aptInstall(packages) {
  if (!which('apt-get')) return { ok: false, why: 'apt-get is not available' };
  if (process.getuid?.() !== 0) return { ok: false, why: 'installing packages needs root' };
  const policy = '/usr/sbin/policy-rc.d';
  const ownPolicy = sh('test', ['-e', policy]).status !== 0;
  try {
    if (ownPolicy) sh('sh', ['-c', `printf '#!/bin/sh\\nexit 101\\n' > ${policy} && chmod 755 ${policy}`]);
    log(`installing ${packages.join(', ')} with apt-get`);
    const env = { DEBIAN_FRONTEND: 'noninteractive' };
    let r = sh('apt-get', ['install', '-y', '--no-install-recommends', ...packages], { env, timeoutMs: 15 * 60_000 });
    if (r.status !== 0) {
      // Package lists may be missing or stale on a fresh machine.
      sh('apt-get', ['update'], { env, timeoutMs: 10 * 60_000 });
      r = sh('apt-get', ['install', '-y', '--no-install-recommends', ...packages], { env, timeoutMs: 15 * 60_000 });
    }
    return r.status === 0
      ? { ok: true }
      : { ok: false, why: `apt-get install ${packages.join(' ')} failed: ${tail(r, 1)}` };
  } finally {
    if (ownPolicy) sh('rm', ['-f', policy]);
  }
}
