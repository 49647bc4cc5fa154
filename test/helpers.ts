/** Runs the CLI in-process, capturing stdout (through run's writer) and stderr. */
import { vi } from 'vitest';
import { run } from '../src/cli.js';

export async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
    err += String(s);
    return true;
  });
  try {
    return { code: await run(argv, (s) => (out += s)), out, err };
  } finally {
    spy.mockRestore();
  }
}
