/**
 * The native packages (native TensorFlow, ONNX Runtime) as netcensus finds them: through
 * scripts/native-loader.cjs, which the setup script shares, so both agree on where they live.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { packageRoot } from './paths.js';

export type NativePackage =
  | '@tensorflow/tfjs-node'
  | '@tensorflow/tfjs-node-gpu'
  | 'onnxruntime-node'
  | 'webgpu'
  | '@tensorflow/tfjs-backend-webgpu';

interface NativeLoader {
  /** Loads the package: the user's own copy where netcensus resolves one, else the cache's; throws one line. */
  requireNative(name: NativePackage): unknown;
  /** Its folder, or undefined where it is not installed. */
  packageDir(name: NativePackage): string | undefined;
  /** The per-user cache folder (NETCENSUS_CACHE, else the platform's). */
  cacheRoot(): string;
}

let loader: NativeLoader | undefined;
export function native(): NativeLoader {
  loader ??= createRequire(import.meta.url)(join(packageRoot(), 'scripts', 'native-loader.cjs')) as NativeLoader;
  return loader;
}
