/**
 * The command line. Commands parse options, call the library, and print; results go to stdout, progress
 * and diagnostics to stderr. A NetcensusError becomes one line and its exit code, never a stack trace.
 * Each command lives in src/cli/; this file assembles them and owns the exits.
 */
import { Command, CommanderError } from 'commander';
import { EXIT, NetcensusError } from './errors.js';
import { fitTablesTo } from './format/table.js';
import { jsonChunks, terminalLines, terminalText } from './format/escape.js';
import { addBench } from './cli/bench.js';
import { addDiff } from './cli/diff.js';
import { addList } from './cli/list.js';
import { addReport } from './cli/report.js';
import { addSetup } from './cli/setup.js';
import { VERSION, type Io } from './cli/shared.js';
import { addSummary } from './cli/summary.js';
import { addMain, addVerify } from './cli/verify.js';

export function buildProgram(write: (s: string) => void = (s) => process.stdout.write(s)): Command {
  // The last guard at the exits: text printable but for its newlines, JSON with its strings' controls escaped.
  // The formatters escape the file's names already, and escaping twice changes nothing.
  const io: Io = {
    print: (s) => write(terminalLines(s)),
    printJson: (value) => {
      // Pieces gathered into writes of about a megabyte: neither one huge string nor a million writes.
      let buffered = '';
      for (const piece of jsonChunks(value)) {
        buffered += piece;
        if (buffered.length > 2 ** 20) (write(buffered), (buffered = ''));
      }
      write(buffered + '\n');
    },
  };
  const program = new Command('netcensus')
    .description(
      'Exact parameter, neuron, MAC and memory census of convolutional networks, verified by execution in TensorFlow.js',
    )
    .version(VERSION)
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: io.print,
      writeErr: (s) => process.stderr.write(terminalLines(s)),
      // commander's usage errors get the prefix netcensus' own errors have.
      outputError: (s, write) => write(s.replace(/^error: /, 'netcensus: ')),
    });
  program.option('--wide', "tables as wide as their cells, whatever the terminal's width");
  // Tables fit the terminal they are printed on (or $COLUMNS); a pipe or a file gets them whole.
  program.hook('preAction', () => {
    const width = process.stdout.isTTY ? process.stdout.columns : Number(process.env.COLUMNS) || undefined;
    fitTablesTo(program.opts<{ wide?: boolean }>().wide ? undefined : width);
  });
  for (const add of [addList, addSummary, addDiff, addReport, addVerify, addMain, addBench, addSetup]) add(program, io);
  return program;
}

/** Runs the CLI; returns the exit code instead of exiting, so tests can call it in-process. */
export async function run(argv: string[], write?: (s: string) => void): Promise<number> {
  const program = buildProgram(write);
  program.exitOverride();
  for (const cmd of program.commands) cmd.exitOverride();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here too, with code 0; their text is already printed.
      return err.exitCode === 0 ? EXIT.ok : EXIT.badInput;
    }
    if (err instanceof NetcensusError) {
      // One line, printable: file contents can end up quoted in a message.
      process.stderr.write(`netcensus: ${terminalText(err.message)}\n`);
      return err.exitCode;
    }
    const e = err as Error;
    process.stderr.write(
      `netcensus: internal error: ${terminalText(e?.message ?? String(err))}${process.env.NETCENSUS_DEBUG ? `\n${terminalLines(String(e?.stack))}` : ' (set NETCENSUS_DEBUG=1 for a stack trace)'}\n`,
    );
    return EXIT.internal;
  }
}
