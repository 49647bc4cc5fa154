/** Exit codes, documented in the README. */
export const EXIT = {
  ok: 0,
  mismatch: 1,
  badInput: 2,
  backendUnavailable: 3,
  internal: 70,
} as const;

/**
 * An error the user caused (bad model, bad option, impossible shape). The CLI prints its message as one
 * line and exits with `exitCode`; anything else is a bug and keeps its stack trace.
 */
export class NetcensusError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number = EXIT.badInput) {
    super(message);
    this.name = 'NetcensusError';
    this.exitCode = exitCode;
  }
}

/** Raised while building or counting a graph; the message always names the layer. */
export class ShapeError extends NetcensusError {
  constructor(layer: string, kind: string, detail: string) {
    super(`layer "${layer}" (${kind}): ${detail}`);
    this.name = 'ShapeError';
  }
}
