import type { Command } from 'commander';
import { census } from '../census.js';
import { int, si } from '../format/numbers.js';
import { tableColumns } from '../format/table.js';
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
      // In a terminal narrower than the whole line: the keras count only, the description cut to fit.
      const columns = tableColumns();
      const narrow = columns !== undefined && columns < width + 2 + 12 + 15 + 18 + 17 + 60;
      const cut = (s: string, at: number) =>
        columns === undefined || s.length <= at ? s : `${s.slice(0, Math.max(0, at - 1))}…`;
      const pytorch = (s: string) => (narrow ? '' : ` ${s.padStart(17)}`);
      const head = `${'model'.padEnd(width)}  ${'input'.padEnd(11)} ${(narrow ? 'params' : 'params (keras)').padStart(narrow ? 12 : 15)}${pytorch('params (pytorch)')} ${(narrow ? 'MACs' : 'MACs (weights)').padStart(narrow ? 8 : 16)}  `;
      const room = columns === undefined ? Infinity : columns - head.length;
      print(`${head}description\n`);
      for (const r of rows) {
        const line = `${r.name.padEnd(width)}  ${r.input.join('x').padEnd(11)} ${int(r.params).padStart(narrow ? 12 : 15)}${pytorch(int(r.paramsPytorch))} ${si(r.macs).padStart(narrow ? 8 : 16)}  `;
        print(`${line}${cut(r.description, room)}\n`);
      }
      if (narrow) print('(params: keras convention; MACs: weights; --wide shows every column)\n');
    });
}
