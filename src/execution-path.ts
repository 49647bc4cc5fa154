/**
 * The words of the bench's execution paths, apart from src/fused.ts so that what reads them (the bench's
 * result types, the report, the library's census entry) loads no TensorFlow.js types.
 */
export type ExecutionPath = 'eager' | 'fused' | 'graph';
export const EXECUTION_PATHS: readonly ExecutionPath[] = ['eager', 'fused', 'graph'];

/**
 * The agreement a fast form must reach with the model as built, on the same input:
 * max |fast - built| <= FAST_PATH_RTOL x max |built|, over every output element. Folding a BatchNorm
 * rounds its scale into the kernel once instead of at every element; the graph's oneDNN kernels add in
 * another order: measured differences on the zoo are around 1e-6 of the largest output.
 */
export const FAST_PATH_RTOL = 1e-4;

export interface OutputDifference {
  maxAbsDiff: number;
  maxAbsOutput: number;
  /** maxAbsDiff / maxAbsOutput (0 where both are 0). */
  relative: number;
  tolerance: number;
  ok: boolean;
}

/** What a fast form does differently from the eager model, in figures. */
export interface FormFacts {
  foldedNorms: number;
  fusedActivations: number;
  ownCalls: Record<string, number>;
  graphOps?: number;
}
