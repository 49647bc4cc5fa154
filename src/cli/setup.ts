import type { Command } from 'commander';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { EXIT, NetcensusError } from '../errors.js';
import { packageRoot } from '../paths.js';
import type { Io } from './shared.js';

/**
 * `netcensus setup`: the install's native step again (scripts/setup-native.mjs, strict), for an install that
 * skipped scripts or a cache that was cleared. Its progress goes to stderr as it comes.
 */
export function addSetup(program: Command, { print }: Io): void {
  program
    .command('setup')
    .description(
      "set up native TensorFlow and ONNX Runtime in the user's cache (what the install does; builds from the tensorflow-cpu wheel where the download is out of reach)",
    )
    .option('--where', 'print where each native package is loaded from, and set up nothing')
    .option('--webgpu', "also TensorFlow.js' WebGPU backend and Dawn's WebGPU for Node (--backend webgpu)")
    .option(
      '--software-adapter',
      "with --webgpu: Mesa's lavapipe, a Vulkan driver on the CPU, for a machine without a GPU (Debian's apt mirror)",
    )
    .action(async (opts: { where?: boolean; webgpu?: boolean; softwareAdapter?: boolean }) => {
      const args = [
        join(packageRoot(), 'scripts', 'setup-native.mjs'),
        opts.where ? '--where' : '--strict',
        ...(opts.webgpu ? ['--webgpu'] : []),
        ...(opts.softwareAdapter ? ['--software-adapter'] : []),
      ];
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      if (out) print(out);
      if (code !== 0)
        throw new NetcensusError(
          'setup: a native package or the adapter asked for is unavailable (the line above says why)',
          EXIT.backendUnavailable,
        );
    });
}
