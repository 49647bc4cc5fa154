#!/usr/bin/env node
// Thin launcher: the CLI is compiled from src/cli.ts by `npm install` (the prepare script).
import { run } from '../dist/src/cli.js';

// A reader that stops early (`| head`) closes the pipe: the output it wanted is written, so end quietly.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
}

process.exitCode = await run(process.argv.slice(2));
