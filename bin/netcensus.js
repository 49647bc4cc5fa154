#!/usr/bin/env node
// Thin launcher: the CLI is compiled from src/cli.ts by `npm install` (the prepare script).
import { run } from '../dist/src/cli.js';

process.exitCode = await run(process.argv.slice(2));
