import type { Command } from 'commander';
import { census } from '../census.js';
import { int, si } from '../format/numbers.js';
import { zooModel } from '../resolve.js';
import { ZOO_NAMES } from '../../models/index.js';
import type { Io } from './shared.js';

export function addList(program: Command, { print, printJson }: Io): void {
  program
    .command('list')
    .description('list the model zoo with parameter and MAC totals')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }) => {
      const rows = ZOO_NAMES.map((name) => {
        const g = zooModel(name);
        const c = census(g);
        return {
          name,
          description: g.description,
          input: c.input.slice(1),
          params: c.totals.params,
          paramsPytorch: c.byConvention.params.pytorch,
          macs: c.totals.macs,
          source: g.source,
        };
      });
      if (opts.json) return printJson(rows);
      const width = Math.max(...rows.map((r) => r.name.length));
      print(
        `${'model'.padEnd(width)}  ${'input'.padEnd(11)} ${'params (keras)'.padStart(15)} ${'params (pytorch)'.padStart(17)} ${'MACs (weights)'.padStart(16)}  description\n`,
      );
      for (const r of rows) {
        print(
          `${r.name.padEnd(width)}  ${r.input.join('x').padEnd(11)} ${int(r.params).padStart(15)} ${int(r.paramsPytorch).padStart(17)} ${si(r.macs).padStart(16)}  ${r.description}\n`,
        );
      }
    });
}
