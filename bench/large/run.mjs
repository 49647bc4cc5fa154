#!/usr/bin/env node
/**
 * Large files: `summary` reads metadata only, so a 500 MB .h5 or .keras costs no more than its config.
 * Target: under 2 s and under 300 MB peak RSS per `summary --json`, process start included.
 * Usage: node bench/large/run.mjs [PYTHON]   PYTHON: one with keras and torch (default .cache/bench-venv)
 * It makes .cache/large/vgg16_weights.{h5,keras} with Keras (once), then times 5 interleaved runs of each.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const out = join(root, '.cache', 'large');
const python = process.argv[2] ?? join(root, '.cache', 'bench-venv', 'bin', 'python');
const files = ['h5', 'keras'].map((ext) => join(out, `vgg16_weights.${ext}`));
if (!files.every(existsSync)) {
  if (!existsSync(python)) {
    process.stderr.write(
      `no Python with Keras at ${python}: python3 -m venv .cache/bench-venv && .cache/bench-venv/bin/pip install keras torch numpy h5py\n`,
    );
    process.exit(2);
  }
  const r = spawnSync(python, [join(root, 'bench', 'large', 'make_large_files.py'), out], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

/** One `summary --json` in a fresh process: wall time and peak RSS (GNU time's %M, in KiB). */
function once(file) {
  const t0 = performance.now();
  const r = spawnSync(
    '/usr/bin/time',
    ['-f', '%M', process.execPath, join(root, 'bin', 'netcensus.js'), 'summary', file, '--json'],
    {
      encoding: 'utf8',
      maxBuffer: 256 * 2 ** 20,
    },
  );
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`summary ${file} failed: ${r.stderr}`);
  const rssKiB = Number(r.stderr.trim().split('\n').at(-1));
  return { ms, rssMB: (rssKiB * 1024) / 1e6, params: JSON.parse(r.stdout).totals.params };
}

const runs = Object.fromEntries(files.map((f) => [f, []]));
for (let i = 0; i < 5; i++) for (const f of files) runs[f].push(once(f));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = files.map((f) => {
  const r = runs[f];
  return {
    file: f.replace(root + '/', ''),
    sizeMB: Number((statSync(f).size / 1e6).toFixed(1)),
    params: r[0].params,
    medianMs: Math.round(median(r.map((x) => x.ms))),
    maxMs: Math.round(Math.max(...r.map((x) => x.ms))),
    peakRssMB: Number(Math.max(...r.map((x) => x.rssMB)).toFixed(1)),
  };
});
for (const row of rows) {
  row.met = row.maxMs < 2000 && row.peakRssMB < 300;
}
process.stdout.write(
  JSON.stringify(
    { date: new Date().toISOString(), target: 'under 2 s and 300 MB (10^6 bytes) peak RSS', rows },
    null,
    2,
  ) + '\n',
);
