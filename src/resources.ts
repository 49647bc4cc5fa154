/**
 * Refuses, before anything is allocated, to execute a model whose weights and activations cannot fit in
 * the memory this process can get. The estimate is the census' own float32 figures.
 */
import * as os from 'node:os';
import type { Census } from './census.js';
import { NetcensusError } from './errors.js';

const GIB = 2 ** 30;

/** Free memory, bounded by a cgroup limit where there is one. */
export function availableMemoryBytes(): number {
  // process.constrainedMemory (Node >= 19.6) is not in every @types/node; 0 or a huge value means no limit.
  const limit = (process as { constrainedMemory?: () => number }).constrainedMemory?.() ?? 0;
  return limit > 0 ? Math.min(os.freemem(), limit) : os.freemem();
}

export interface MemoryEstimate {
  bytes: number;
  paramBytes: number;
  activationBytes: number;
  inputBytes: number;
}

/** Verification keeps every layer's output alive to read its shape, so all activations count at once. */
export function executionEstimate(c: Census): MemoryEstimate {
  const paramBytes = c.byConvention.memory.paramBytes.keras;
  const activationBytes = c.totals.activationBytes;
  const inputBytes = c.byConvention.memory.inputBytes;
  // A quarter on top for backend workspace (im2col buffers, temporaries).
  return {
    bytes: Math.ceil((paramBytes + activationBytes + inputBytes) * 1.25),
    paramBytes,
    activationBytes,
    inputBytes,
  };
}

export function assertFitsInMemory(c: Census, what: 'verify' | 'bench', available = availableMemoryBytes()): void {
  const e = executionEstimate(c);
  if (e.bytes > available) {
    throw new NetcensusError(
      `${what}: model "${c.model}" at input ${c.input.join('x')} needs about ${(e.bytes / GIB).toFixed(1)} GiB ` +
        `(weights ${(e.paramBytes / GIB).toFixed(1)} GiB, activations ${(e.activationBytes / GIB).toFixed(1)} GiB, float32) ` +
        `but only ${(available / GIB).toFixed(1)} GiB are available; refusing before allocating anything`,
    );
  }
}
