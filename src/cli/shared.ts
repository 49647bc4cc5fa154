/** What the commands share: option parsers, the backend option, progress lines and the verify loop. */
import { InvalidArgumentError, Option } from 'commander';
import { accessSync, constants, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Census } from '../census.js';
import { EXIT, NetcensusError } from '../errors.js';
import { terminalText } from '../format/escape.js';
import { int } from '../format/numbers.js';
import { packageRoot, version } from '../paths.js';
import { assertFitsInMemory } from '../resources.js';
import type { BackendChoice, BackendInfo } from '../backend.js';
import type { WeightInit } from '../tfjs/builder.js';
import type { VerifyResult } from '../verify.js';

/** The package's own version, as package.json says. */
export const VERSION: string = version();

/** Where a command prints: text through the terminal guard, JSON in pieces. */
export interface Io {
  print(s: string): void;
  printJson(value: unknown): void;
}

// TensorFlow.js loads only for the commands that execute networks: summary, diff and list stay instant.
export const useBackend = async (c: BackendChoice): Promise<BackendInfo> =>
  (await import('../backend.js')).useBackend(c);

export function parseInput(value: string): number[] {
  if (!/^\d+(x\d+){0,2}$/i.test(value.trim()))
    throw new InvalidArgumentError(`expected H, HxW or HxWxC (e.g. 224 or 227x227), got "${value}"`);
  const dims = value.trim().toLowerCase().split('x').map(Number);
  if (dims.some((d) => !Number.isSafeInteger(d) || d < 1 || d > 1_000_000))
    throw new InvalidArgumentError(`sizes must be integers from 1 to 1,000,000, got "${value}"`);
  return dims.length === 1 ? [dims[0]!, dims[0]!] : dims;
}

export function parseCount(what: string, max: number, min = 1): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(`${what} must be an integer from ${min} to ${int(max)}, got "${value}"`);
    return n;
  };
}

export function parseList(value: string): number[] {
  const parts = value.split(',').map((p) => p.trim());
  if (parts.some((p) => !/^\d+$/.test(p)) || parts.some((p) => Number(p) < 1 || Number(p) > 4096))
    throw new InvalidArgumentError(`expected a comma-separated list of integers from 1 to 4096, got "${value}"`);
  return [...new Set(parts.map(Number))];
}

export const SKIP_UNKNOWN = [
  '--skip-unknown',
  'count the rest of a model with layers netcensus cannot count (a user\'s class, a Lambda): they are marked "not counted" and the totals partial',
] as const;

export const backendOption = (): Option =>
  new Option('--backend <name>', 'TensorFlow.js backend')
    .choices(['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'])
    .default('auto');

export const paramsOption = (): Option =>
  new Option(
    '--params <convention>',
    'parameter convention (default: pytorch for a PyTorch export, as torchinfo counts; keras for every other)',
  ).choices(['keras', 'pytorch']);

export function prepareOutDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
  } catch (e) {
    throw new NetcensusError(
      `--out: cannot write to ${dir} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
}

/** One line on stderr: a newline inside it (a name from the file) is shown escaped, never obeyed. */
export const progress = (line: string): void => {
  process.stderr.write(terminalText(line) + '\n');
};

export const backendLine = (backend: BackendInfo): string =>
  `netcensus: backend ${backend.backend} (${backend.device})${backend.note ? ` - ${backend.note}` : ''}`;

/** Exit 1 naming the models whose census and execution disagree (the report is already printed). */
export function failOnMismatch(results: readonly VerifyResult[]): void {
  const bad = results.filter((r) => !r.ok).map((r) => r.model);
  if (bad.length) throw new NetcensusError(`verification failed for ${bad.join(', ')}`, EXIT.mismatch);
}

/** Verifies censuses one after another on one backend, with a progress line per model on stderr. */
export async function verifyMany(
  censuses: Census[],
  opts: { backend: BackendChoice; init: WeightInit },
): Promise<{ results: VerifyResult[]; backend: BackendInfo }> {
  // Size problems are reported before any backend starts.
  for (const c of censuses) assertFitsInMemory(c, 'verify');
  // So is a file whose stored weights cannot be read: they are read once, here, before any backend starts.
  for (const c of censuses) await c.graph.file?.storedWeights?.(c);
  const backend = await useBackend(opts.backend);
  // And so is a tensor larger than the GPU can bind, for every model before the first runs.
  if (backend.adapter) {
    const { refuseOverLimit } = await import('../verify-gpu.js');
    for (const c of censuses) refuseOverLimit(c, backend.adapter);
  }
  const { verifyCensus } = await import('../verify.js');
  const { ConstantPool } = await import('../tfjs/builder.js');
  progress(backendLine(backend));
  const results: VerifyResult[] = [];
  // Zero weights of one shape are written once for all the models (VGG's classifier recurs ten times).
  const constants = censuses.length > 1 && opts.init === 'zeros' ? new ConstantPool() : undefined;
  try {
    for (const [i, c] of censuses.entries()) {
      const r = await verifyCensus(c, { init: opts.init, device: backend.device, constants });
      results.push(r);
      progress(
        `[${i + 1}/${censuses.length}] ${c.model}: ${r.ok ? 'ok' : 'MISMATCH'} (build ${(r.timings.buildMs / 1000).toFixed(2)} s, forward ${(r.timings.forwardMs / 1000).toFixed(2)} s)`,
      );
    }
  } finally {
    constants?.dispose();
  }
  return { results, backend };
}
