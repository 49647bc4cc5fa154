/**
 * The host's routes to its package registries, handed to `docker build` so that the image installs the
 * way the host does: behind a TLS-intercepting proxy, from mirrors, from local pip indexes.
 *  - extra CA certificates (/usr/local/share/ca-certificates, NODE_EXTRA_CA_CERTS) -> a BuildKit secret;
 *  - pip's index-url, extra-index-url and find-links -> build args; file:// indexes and local folders are
 *    served on loopback for the build (the build shares the host's network) and stopped afterwards;
 *  - npm's registry, where it is not the default -> a build arg.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Failure, cacheDir, isAlive, log, readText, sh, sleepSync, stopProcess, which } from './util.mjs';

const PEM = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** One PEM bundle of the certificates the host trusts beyond the defaults, or null when there are none. */
export function extraCaBundle() {
  const sources = [];
  const walk = (dir) => {
    if (!existsSync(dir)) return;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(dir, e.name));
      else if (e.name.endsWith('.crt')) sources.push(join(dir, e.name));
    }
  };
  walk('/usr/local/share/ca-certificates');
  if (process.env.NODE_EXTRA_CA_CERTS) sources.push(process.env.NODE_EXTRA_CA_CERTS);
  const certs = [...new Set(sources.flatMap((f) => readText(f).match(PEM) ?? []))];
  if (!certs.length) return null;
  mkdirSync(cacheDir, { recursive: true });
  const file = join(cacheDir, 'extra-ca.pem');
  writeFileSync(file, `${certs.join('\n')}\n`);
  log(`passing ${certs.length} extra CA certificate(s) into the build (secret extra_ca)`);
  return file;
}

/** pip's effective index settings: environment first, then its config files. */
function pipSettings() {
  const python = ['python3', 'python'].find((p) => which(p));
  if (!python) return {};
  const r = sh(python, ['-m', 'pip', 'config', 'list'], { timeoutMs: 60_000 });
  if (r.status !== 0) return {};
  // Lines are key='value'; a value may span lines.
  const entries = {};
  let key = null;
  for (const line of r.stdout.split('\n')) {
    const m = /^([^\s=]+)='(.*)$/.exec(line);
    if (m) entries[(key = m[1])] = m[2];
    else if (key) entries[key] += `\n${line}`;
  }
  const get = (name) => {
    for (const scope of [':env:', 'download', 'global']) {
      const v = entries[`${scope}.${name}`];
      if (v !== undefined) return v.replace(/'$/, '').split(/\s+/).filter(Boolean);
    }
    return [];
  };
  return {
    index: get('index-url'),
    extra: get('extra-index-url'),
    findLinks: get('find-links'),
    trusted: get('trusted-host'),
  };
}

const localPath = (u) => (u.startsWith('file:') ? fileURLToPath(u) : isAbsolute(u) ? u : null);

/**
 * Build args and secrets for `docker build`, and a stop() for what was started to serve them.
 */
export function buildRoutes() {
  const args = {};
  const secrets = {};
  let server = null;

  const ca = extraCaBundle();
  if (ca) secrets.extra_ca = ca;

  const registry = sh('npm', ['config', 'get', 'registry'], { timeoutMs: 30_000 }).stdout.trim();
  if (registry && !/^https:\/\/registry\.npmjs\.org\/?$/.test(registry)) args.NPM_CONFIG_REGISTRY = registry;

  const pip = pipSettings();
  const served = join(cacheDir, 'pip-served');
  rmSync(served, { recursive: true, force: true });
  let n = 0;
  const pending = [];
  // An index's pages may link to files beside it (../../files/x.whl), so its parent folder is served.
  const serve = (url, kind) => {
    const p = localPath(url);
    if (!p) return url;
    if (!existsSync(p)) {
      log(`pip ${kind} ${url} does not exist here; leaving it out`);
      return null;
    }
    const isDir = statSync(p).isDirectory();
    const [dir, rest] = kind === 'find-links' && isDir ? [p, ''] : [dirname(p), `${basename(p)}${isDir ? '/' : ''}`];
    const name = `${n++}`;
    mkdirSync(served, { recursive: true });
    symlinkSync(dir, join(served, name));
    const entry = { name, rest };
    pending.push(`${name}=${dir}`);
    return entry;
  };
  const plan = {
    PIP_INDEX_URL: pip.index?.map((u) => serve(u, 'index-url')) ?? [],
    PIP_EXTRA_INDEX_URL: pip.extra?.map((u) => serve(u, 'extra-index-url')) ?? [],
    PIP_FIND_LINKS: pip.findLinks?.map((u) => serve(u, 'find-links')) ?? [],
  };
  if (pending.length) {
    server = startServer(served, pending.join('\n'));
    log(`serving pip's local indexes on http://127.0.0.1:${server.port}/ for the build`);
  }
  for (const [k, list] of Object.entries(plan)) {
    const urls = list
      .filter(Boolean)
      .map((e) => (typeof e === 'string' ? e : `http://127.0.0.1:${server.port}/${e.name}/${e.rest}`));
    if (urls.length) args[k] = urls.join(' ');
  }
  if (pip.trusted?.length) args.PIP_TRUSTED_HOST = pip.trusted.join(' ');

  return {
    args,
    secrets,
    stop() {
      if (server) stopProcess(server.pid, 5_000);
      server = null;
      rmSync(served, { recursive: true, force: true });
    },
  };
}

/**
 * python3 -m http.server on loopback. The port is part of the URLs in the build args, which are part of
 * BuildKit's cache key: a port derived from what is served keeps it the same from run to run (any free one
 * if that is taken, at the cost of a rebuild of the dependency layer).
 */
function startServer(dir, key) {
  const python = ['python3', 'python'].find((p) => which(p));
  if (!python) throw new Failure('pip uses local indexes, but no python3 is here to serve them to the build');
  const preferred = 20_000 + (createHash('sha256').update(key).digest().readUInt32BE(0) % 30_000);
  const logPath = join(cacheDir, 'pip-server.log');
  let last = 'no answer';
  for (const port of [preferred, 0]) {
    const fd = openSync(logPath, 'w');
    const child = spawn(python, ['-u', '-m', 'http.server', String(port), '--bind', '127.0.0.1', '--directory', dir], {
      stdio: ['ignore', fd, fd],
      detached: true,
    });
    closeSync(fd);
    child.unref();
    const until = Date.now() + 20_000;
    while (Date.now() < until) {
      const bound = /port (\d+)/.exec(readText(logPath))?.[1];
      if (bound) return { pid: child.pid, port: Number(bound) };
      if (!isAlive(child.pid)) break;
      sleepSync(100);
    }
    stopProcess(child.pid, 2_000);
    last = readText(logPath).trim().split('\n').at(-1) || last;
  }
  throw new Failure(`could not serve pip's local indexes on loopback: ${last}`);
}
