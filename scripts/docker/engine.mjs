/**
 * A Docker engine to build and test with: one that already answers, or one started here, as root, with
 * Docker's default bridge network, iptables and masquerading off (builds use --network host, test runs
 * --network none). An engine started here is stopped by stopEngine, and only that one.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { NotRun, aptInstall, cacheDir, isAlive, log, readText, sh, sleepSync, stopProcess, which } from './util.mjs';

const SOCKET = 'unix:///var/run/docker.sock';
const DOCKERD_ARGS = ['--host', SOCKET, '--bridge=none', '--iptables=false', '--ip-masq=false'];

/** docker CLIs on PATH (and Debian's), first one that can build with BuildKit, i.e. accepts --secret. */
function buildkitCli() {
  const seen = new Set();
  const candidates = (process.env.PATH ?? '')
    .split(delimiter)
    .map((d) => join(d, 'docker'))
    .concat('/usr/bin/docker');
  for (const c of candidates) {
    if (seen.has(c) || !existsSync(c)) continue;
    seen.add(c);
    // A CLI of Docker 23+ without the buildx plugin refuses BuildKit; Docker 20.10's has it built in.
    const r = sh(c, ['build', '--help'], { env: { DOCKER_BUILDKIT: '1' }, timeoutMs: 20_000 });
    if (r.status === 0 && r.stdout.includes('--secret')) return c;
  }
  return null;
}

const answers = (cli, env) =>
  sh(cli, ['version', '--format', '{{.Server.Version}}'], { env, timeoutMs: 15_000 }).status === 0;

/** Why this kernel cannot run dockerd, or null. */
function kernelProblem() {
  const fs = () => readText('/proc/filesystems');
  if (!/\boverlay\b/.test(fs())) {
    sh('modprobe', ['overlay']);
    if (!/\boverlay\b/.test(fs())) return 'the kernel has no overlay filesystem';
  }
  if (!/\bcgroup2?\b/.test(fs())) return 'the kernel has no cgroups';
  const cg = '/sys/fs/cgroup';
  if (!existsSync(cg) || readdirSync(cg).length === 0) return 'no cgroup hierarchy is mounted at /sys/fs/cgroup';
  return null;
}

/**
 * Returns { cli, env, pid }: the CLI to use, its environment, and the pid of the dockerd started here
 * (null when an engine was already running). Throws NotRun when no engine can be had.
 */
export function acquireEngine() {
  let cli = buildkitCli();
  if (cli && answers(cli)) {
    log(`using the running Docker engine (${cli})`);
    return { cli, env: {}, pid: null };
  }
  if (process.getuid?.() !== 0) throw new NotRun('no Docker engine is running, and starting one needs root');
  const why = kernelProblem();
  if (why) throw new NotRun(`no Docker engine can run here: ${why}`);
  if (!which('dockerd') || !cli) {
    const r = aptInstall(['docker.io']);
    if (!r.ok) throw new NotRun(`no dockerd here, and Debian's docker.io could not be installed (${r.why})`);
    cli = buildkitCli();
    if (!cli) throw new NotRun('no docker CLI here can build with BuildKit (a Docker 23+ CLI needs the buildx plugin)');
  }
  const env = { DOCKER_HOST: SOCKET };
  if (existsSync('/var/run/docker.pid') && isAlive(Number(readText('/var/run/docker.pid').trim()))) {
    throw new NotRun('a dockerd is running but does not answer on /var/run/docker.sock');
  }
  mkdirSync(cacheDir, { recursive: true });
  const logPath = join(cacheDir, 'dockerd.log');
  const fd = openSync(logPath, 'w');
  log(`starting dockerd (no default bridge, no iptables; log: ${logPath})`);
  const child = spawn(which('dockerd'), DOCKERD_ARGS, { detached: true, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  child.unref();
  const until = Date.now() + 60_000;
  while (Date.now() < until) {
    if (answers(cli, env)) return { cli, env, pid: child.pid };
    if (!isAlive(child.pid)) break;
    sleepSync(500);
  }
  stopEngine({ pid: child.pid });
  const last =
    readText(logPath)
      .split('\n')
      .filter((l) => /level=(error|fatal)|failed/i.test(l))
      .at(-1) ?? 'no answer within 60 s';
  throw new NotRun(
    `dockerd did not start: ${last
      .replace(/^.*msg="?/, '')
      .replace(/"$/, '')
      .slice(0, 200)}`,
  );
}

/** Stops the dockerd started by acquireEngine (and, if it had to be killed, the containerd it started). */
export function stopEngine(engine) {
  if (!engine?.pid || !isAlive(engine.pid)) return;
  log('stopping the dockerd started for this run');
  const containerdPid = Number(readText('/var/run/docker/containerd/containerd.pid').trim()) || null;
  stopProcess(engine.pid, 60_000);
  if (containerdPid && isAlive(containerdPid)) stopProcess(containerdPid, 10_000);
}
