/**
 * netcensus as people install it: `npm pack`, then `npm install <the tarball>` in a fresh project, then
 * the README's commands there. The native packages come from the user's cache (set up by this checkout's
 * own install, or built here by the tarball's postinstall: the same script either way).
 */
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync, lstatSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = process.cwd();
const work = mkdtempSync(join(tmpdir(), 'netcensus-install-'));
const project = join(work, 'project');
// The outer npm's settings (npm test's own npm_config_*) must not steer the installs in the project.
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));

function sh(cmd: string, args: string[], opts: SpawnSyncOptions = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env, maxBuffer: 256 * 2 ** 20, ...opts });
  return { code: r.status, out: String(r.stdout ?? ''), err: String(r.stderr ?? '') };
}
const npm = (...args: string[]) => sh('npm', [...args, '--no-audit', '--no-fund'], { cwd: project });
const netcensus = (...args: string[]) => sh('npx', ['--no-install', 'netcensus', ...args], { cwd: project });

/** Bytes under a folder, links not followed (du's apparent size). */
function bytes(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) n += bytes(p);
    else if (e.isFile()) n += statSync(p).size;
    else n += lstatSync(p).size;
  }
  return n;
}

function verifiedOn(): { backend: string; ok: boolean } {
  const r = netcensus('verify', 'resnet18', '--json');
  expect(r.code, r.err).toBe(0);
  const [j] = JSON.parse(r.out) as Array<{ backend: string; ok: boolean }>;
  return { backend: j!.backend, ok: j!.ok };
}

let tarball = '';
let install: ReturnType<typeof sh>;

beforeAll(() => {
  const packed = sh('npm', ['pack', '--pack-destination', work, '--silent'], { cwd: repo });
  expect(packed.code, packed.err).toBe(0);
  tarball = join(work, packed.out.trim().split('\n').at(-1)!);
  sh('mkdir', ['-p', project]);
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'uses-netcensus', private: true, type: 'module' }),
  );
  install = npm('install', tarball);
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('npm install <the packed tarball> in a fresh project', () => {
  it('succeeds, and its postinstall sets up native TensorFlow and ONNX Runtime', () => {
    expect(install.code, install.err.slice(-2000)).toBe(0);
    const where = netcensus('setup', '--where');
    expect(where.code, where.err).toBe(0);
    expect(where.out).toMatch(/^@tensorflow\/tfjs-node: \//m);
    expect(where.out).toMatch(/^onnxruntime-node: \//m);
    // From the user's cache, which npm does not prune, not from the project's node_modules.
    expect(where.out).not.toMatch(/not set up/);
    expect(where.out).not.toContain(join(project, 'node_modules'));
  });

  it("installs no dev tools and no tree inside netcensus' own folder", () => {
    for (const dev of ['vitest', 'typescript', 'prettier', 'playwright-core', 'fast-check'])
      expect(existsSync(join(project, 'node_modules', dev)), dev).toBe(false);
    expect(existsSync(join(project, 'node_modules', 'netcensus', 'node_modules'))).toBe(false);
  });

  it('npx netcensus verify resnet18 runs on native TensorFlow', () => {
    expect(verifiedOn()).toEqual({ backend: 'tensorflow', ok: true });
  });

  it('the installed size (node_modules and the native cache) is under 1.2 GB', () => {
    const where = netcensus('setup', '--where').out;
    const dirs = [...where.matchAll(/^\S+: (\/.+)$/gm)].map((m) => m[1]!);
    // The cache's npm project of each package: the package and what it needs besides netcensus' own tree.
    const projects = dirs.map((d) => d.slice(0, d.lastIndexOf('/node_modules/')));
    const total = bytes(join(project, 'node_modules')) + projects.reduce((s, p) => s + bytes(p), 0);
    process.stderr.write(`installed size: ${(total / 1e9).toFixed(2)} GB (node_modules and the native cache)\n`);
    expect(total).toBeLessThan(1.2e9);
  });

  it('a later `npm install -D typescript` leaves native TensorFlow in place', () => {
    const r = npm('install', '-D', 'typescript');
    expect(r.code, r.err.slice(-2000)).toBe(0);
    expect(verifiedOn()).toEqual({ backend: 'tensorflow', ok: true });
  });

  it('a TypeScript program using the census type-checks without skipLibCheck (no TensorFlow.js types loaded)', () => {
    writeFileSync(
      join(project, 'count.ts'),
      [
        "import { census, resolveModel, summaryText, reportHtml, type Census } from 'netcensus';",
        "import { verifyGraph } from 'netcensus/verify';",
        "const c: Census = census(await resolveModel('resnet18'));",
        'const text: string = summaryText(c, { width: 80 });',
        'const html: string = reportHtml(c);',
        'const r = await verifyGraph(c.graph);',
        'const fits = text.split("\\n").every((l) => l.length <= 80);',
        'const page = /^<!doctype html>/i.test(html);',
        'console.log(JSON.stringify({ params: c.totals.params, text: fits, html: page, ok: r.ok, backend: r.backend }));',
      ].join('\n'),
    );
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          types: [],
        },
        files: ['count.ts'],
      }),
    );
    const tsc = sh('npx', ['--no-install', 'tsc', '-p', '.'], { cwd: project });
    expect(tsc.out + tsc.err).toBe('');
    expect(tsc.code).toBe(0);
  });

  it('that program runs: the text table fits 80 columns, the page is HTML, verifyGraph picks native TensorFlow itself', () => {
    const built = sh('npx', ['--no-install', 'tsc', '-p', '.', '--noEmit', 'false', '--outDir', 'out'], {
      cwd: project,
    });
    expect(built.code, built.out + built.err).toBe(0);
    const r = sh(process.execPath, ['out/count.js'], { cwd: project });
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out) as Record<string, unknown>;
    expect(j).toEqual({ params: expect.any(Number), text: true, html: true, ok: true, backend: 'tensorflow' });
    // tfjs' "use tfjs-node" banner would mean it ran on the pure-JS default.
    expect(r.out + r.err).not.toMatch(/Hi there|tfjs-node/);
  });
});
