/**
 * A model file is untrusted input. The hostile corpus (scripts/fixtures/make_hostile.ts, written at test
 * time into a temporary folder) goes through every command that reads a model: each refusal is one line
 * and exit 2 with nothing on stdout and nothing written, no byte from outside the model's folder shows
 * anywhere, nothing hangs, and the bombs stay within the memory bounds the README states (measured in a
 * child process running the built CLI).
 */
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHostileCorpus, type HostileCorpus } from '../scripts/fixtures/make_hostile.js';
import { EXIT } from '../src/errors.js';
import { cli } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'netcensus-hostile-'));
const outDir = join(dir, 'out');
let corpus: HostileCorpus;

beforeAll(async () => {
  corpus = await makeHostileCorpus(join(dir, 'corpus'));
  mkdirSync(outDir);
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const oneLine = (err: string): void => {
  expect(err.endsWith('\n')).toBe(true);
  expect(err.trimEnd().split('\n')).toHaveLength(1);
  expect(err).toMatch(/^netcensus: /);
  expect(err).not.toMatch(/internal error|\bat .*:\d+:\d+/);
};

/** Runs a command in-process, timed; the secret must appear in nothing it printed. */
async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const started = performance.now();
  const r = await cli(...args);
  expect((performance.now() - started) / 1000, args.join(' ')).toBeLessThan(60);
  expect(r.out + r.err).not.toContain(corpus.secret.slice(0, 12));
  expect(r.out + r.err).not.toMatch(/root:x?:0:0/);
  return r;
}

const SUMMARIES = [[], ['--json'], ['--markdown'], ['--csv']];

describe('the hostile corpus', () => {
  it('has every class of attack', () => {
    const names = corpus.cases.map((c) => c.name);
    for (const n of ['ext-symlink', 'm', 'ext-fifo', 'ext-dev-zero', 'constant-of-shape', 'range', 'op-proto'])
      expect(names).toContain(n);
    for (const n of ['keras-weights-lie', 'h5-external-self', 'h5-hard-cycle', 'gzip-bomb', 'path-fifo'])
      expect(names).toContain(n);
    for (const n of [
      'st-header-huge',
      'st-overlap',
      'shard-dotdot',
      'shard-symlink',
      'pickle-runs-code',
      'pickle-deep',
    ])
      expect(names).toContain(n);
  });

  it('every case refuses in one line with exit 2, through every command, and writes nothing', async () => {
    for (const c of corpus.cases) {
      const refusing: string[][] = [['verify', c.file]];
      if (c.summaryRefuses) {
        for (const s of SUMMARIES) refusing.push(['summary', c.file, ...s]);
        refusing.push(['diff', c.file, corpus.valid], ['diff', corpus.valid, c.file, '--out', join(outDir, 'd.html')]);
        refusing.push(['report', c.file, '--out', join(outDir, 'r.html')]);
      } else {
        // Only verify reads the weights: counting needs the architecture alone.
        const { code, err } = await run('summary', c.file);
        expect(code, `${c.name}: summary`).toBe(EXIT.ok);
        expect(err).not.toContain(corpus.secret.slice(0, 12));
      }
      for (const args of refusing) {
        const { code, out, err } = await run(...args);
        expect(code, `${c.name} (${c.why}): ${args[0]}: ${err}`).toBe(EXIT.badInput);
        expect(out, `${c.name}: ${args[0]}`).toBe('');
        oneLine(err);
      }
      expect(readdirSync(outDir), c.name).toEqual([]);
    }
  }, 600_000);

  it('names what was refused', async () => {
    const file = (n: string) => corpus.cases.find((c) => c.name === n)!.file;
    expect((await run('summary', file('ext-symlink'))).err).toMatch(/points outside the model's folder/);
    expect((await run('summary', file('m'))).err).toMatch(/points outside the model's folder/);
    expect((await run('summary', file('ext-fifo'))).err).toMatch(/not a regular file \(a FIFO\)/);
    expect((await run('summary', file('path-fifo'))).err).toMatch(/not a regular file \(a FIFO\)/);
    expect((await run('summary', '/dev/zero')).err).toMatch(/not a regular file \(a character device\)/);
    expect((await run('summary', file('ext-short'))).err).toMatch(/which holds 8/);
    expect((await run('summary', file('gather-out-of-range'))).err).toMatch(
      /Gather of index 1000000000 from an axis of 8/,
    );
    expect((await run('summary', file('ext-mask-dev-zero'))).err).toMatch(/mask/);
    expect((await run('summary', file('ext-length-lie'))).err).toMatch(/declares 4 bytes of external data/);
    expect((await run('verify', file('h5-external-self'))).err).toMatch(/an external link into "model.weights.h5"/);
    expect((await run('verify', file('h5-soft-cycle'))).err).toMatch(/a soft link to "\/"/);
    expect((await run('verify', file('h5-hard-cycle'))).err).toMatch(/groups deep/);
    expect((await run('verify', file('keras-weights-lie'))).err).toMatch(/model.weights.h5/);
    expect((await run('summary', file('op-constructor'))).err).toMatch(/constructor/);
    expect((await run('summary', file('st-header-huge'))).err).toMatch(/header length is 1099511627776 bytes/);
    expect((await run('summary', file('st-overlap'))).err).toMatch(/tensor "b": data_offsets \[4, 12\] overlap/);
    expect((await run('summary', file('shard-dotdot'))).err).toMatch(/points outside the model's folder/);
    expect((await run('summary', file('shard-symlink'))).err).toMatch(/points outside the model's folder/);
    expect((await run('summary', file('pickle-runs-code'))).err).toMatch(
      /names posix\.system, which unpickling would call/,
    );
    expect((await run('summary', file('pickle-storage-lie'))).err).toMatch(/storage "0" is 16 bytes in the zip/);
  });

  it('a model copied without its external data still counts, and says what is missing', async () => {
    const folder = join(dir, 'no-data');
    mkdirSync(folder);
    const src = corpus.cases.find((c) => c.name === 'ext-weights-out')!.file;
    const copy = join(folder, 'model.onnx');
    writeFileSync(copy, (await import('node:fs')).readFileSync(src));
    const { code, err } = await run('summary', copy);
    expect(code).toBe(EXIT.ok);
    expect(err).toBe('');
    const json = JSON.parse((await run('summary', copy, '--json')).out) as { notes?: string[] };
    expect(JSON.stringify(json)).toMatch(/external data not beside the model: weights.bin/);
  });

  it('external data inside the model folder, through a symlink that stays inside, is read', async () => {
    const folder = join(dir, 'inside');
    mkdirSync(join(folder, 'data'), { recursive: true });
    const src = corpus.cases.find((c) => c.name === 'ext-symlink')!.file;
    writeFileSync(join(folder, 'model.onnx'), (await import('node:fs')).readFileSync(src));
    // A valid shape [1, 2, 2] as little-endian int64, behind a link that resolves inside the folder.
    const shape = Buffer.alloc(24);
    [1n, 2n, 2n].forEach((v, i) => shape.writeBigInt64LE(v, 8 * i));
    writeFileSync(join(folder, 'data', 'shape.bin'), shape);
    symlinkSync(join(folder, 'data', 'shape.bin'), join(folder, 'weights.bin'));
    const { code, out, err } = await run('summary', join(folder, 'model.onnx'), '--json');
    expect(code, err).toBe(EXIT.ok);
    expect((JSON.parse(out) as { outputs: unknown }).outputs).toEqual([[1, 2, 2]]);
  });
});

describe('output files', () => {
  it('refuses a target that exists and is not a regular file, and leaves it as it was', async () => {
    const fifo = join(dir, 'out.fifo');
    spawnSync('mkfifo', [fifo]);
    const link = join(dir, 'out.link');
    symlinkSync('/dev/null', link);
    const targets: Array<[string, RegExp]> = [
      [fifo, /is a FIFO/],
      ['/dev/null', /is a symbolic link|is a character device/],
      [link, /is a symbolic link/],
      [dir, /is a directory/],
    ];
    for (const [target, why] of targets) {
      for (const args of [
        ['report', corpus.valid, '--out', target],
        ['diff', corpus.valid, corpus.valid, '--out', target],
      ]) {
        const before = lstatSync(target);
        const { code, out, err } = await run(...args);
        expect(code, `${args[0]} --out ${target}`).toBe(EXIT.badInput);
        expect(out).toBe('');
        oneLine(err);
        expect(err).toMatch(why);
        const after = lstatSync(target);
        expect([after.mode, after.ino]).toEqual([before.mode, before.ino]);
      }
    }
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('still replaces a regular file whole', async () => {
    const target = join(dir, 'report.html');
    writeFileSync(target, 'old');
    expect((await run('report', corpus.valid, '--out', target)).code).toBe(EXIT.ok);
    expect(statSync(target).size).toBeGreaterThan(1000);
  });
});

/** The built CLI in a child process, printing its own peak resident memory last on stderr. */
function measured(args: string[]): { code: number | null; err: string; maxRssMiB: number; seconds: number } {
  const script =
    "const { run } = await import('./dist/src/cli.js'); const code = await run(JSON.parse(process.argv[1]));" +
    " process.stderr.write('MAXRSS ' + process.resourceUsage().maxRSS + '\\n'); process.exitCode = code;";
  const started = performance.now();
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script, JSON.stringify(args)], {
    cwd: new URL('..', import.meta.url).pathname,
    encoding: 'utf8',
    timeout: 90_000,
  });
  const m = /MAXRSS (\d+)/.exec(r.stderr);
  return {
    code: r.status,
    err: r.stderr.replace(/MAXRSS \d+\n/, ''),
    maxRssMiB: m ? Number(m[1]) / 1024 : Infinity,
    seconds: (performance.now() - started) / 1000,
  };
}

/** Whether dist/ holds the current sources (npm ci and npm run build make it); stale, it is rebuilt. */
function ensureBuilt(): void {
  const root = new URL('..', import.meta.url).pathname;
  const newest = (d: string): number =>
    Math.max(
      ...readdirSync(d, { withFileTypes: true }).map((e) =>
        e.isDirectory() ? newest(join(d, e.name)) : statSync(join(d, e.name)).mtimeMs,
      ),
    );
  const built = join(root, 'dist', 'src', 'cli.js');
  if (existsSync(built) && statSync(built).mtimeMs >= Math.max(newest(join(root, 'src')), newest(join(root, 'models'))))
    return;
  const r = spawnSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tsc failed: ${r.stdout}${r.stderr}`);
}

describe('bombs stay within their bounds (child process, peak RSS)', () => {
  beforeAll(ensureBuilt, 300_000);
  const bombs: Array<[string, string]> = [
    ['summary', 'gzip-bomb'],
    ['summary', 'json-huge'],
    ['summary', 'constant-of-shape'],
    ['summary', 'range'],
    ['summary', 'ext-dev-zero'],
    ['summary', 'h5-config-huge'],
    ['summary', 'keras-config-lie'],
    ['summary', 'st-header-100mb'],
    ['summary', 'pickle-memo-bomb'],
    ['verify', 'keras-weights-lie'],
    ['verify', 'keras-weights-declared'],
  ];
  for (const [command, name] of bombs) {
    it(`${command} ${name}: exit 2 under 2 GiB and 60 s`, () => {
      const file = corpus.cases.find((c) => c.name === name)!.file;
      const r = measured([command, file, ...(command === 'verify' ? ['--backend', 'cpu'] : [])]);
      expect(r.code, r.err).toBe(EXIT.badInput);
      oneLine(r.err);
      expect(r.maxRssMiB).toBeLessThan(2048);
      expect(r.seconds).toBeLessThan(60);
    });
  }
});
