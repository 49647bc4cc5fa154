/**
 * TensorFlow.js for this process, loaded with require(): an ESM import of its CommonJS bundle makes Node
 * lex the whole bundle for its named exports, about a tenth of a second at every start of a command that
 * executes networks. It is the same module object either way: Node caches a CommonJS module by its path,
 * so tfjs-node, the kinds (which get it through their build context) and this share one engine.
 */
import { createRequire } from 'node:module';
import type * as TF from '@tensorflow/tfjs';

export const tf = createRequire(import.meta.url)('@tensorflow/tfjs') as typeof TF;
