/** The fixture sets that suites run on every backend: the Keras models and the PyTorch pattern exports. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const KERAS_DIR = new URL('./fixtures/keras/', import.meta.url).pathname;
export const PATTERNS_DIR = new URL('./fixtures/onnx/patterns/', import.meta.url).pathname;

export interface KerasFigure {
  input: Array<number | null>;
  count_params: number;
  format_files: string[];
}

/** Every Keras fixture with its figures (test/fixtures/keras/figures.json, written by Keras). */
export const kerasModels = (): Array<[string, KerasFigure]> =>
  Object.entries(
    (JSON.parse(readFileSync(join(KERAS_DIR, 'figures.json'), 'utf8')) as { models: Record<string, KerasFigure> })
      .models,
  );

/** Every PyTorch pattern export by name (test/fixtures/onnx/patterns/figures.json). */
export const patternNames = (): string[] =>
  Object.keys(
    (JSON.parse(readFileSync(join(PATTERNS_DIR, 'figures.json'), 'utf8')) as { fixtures: Record<string, unknown> })
      .fixtures,
  );
