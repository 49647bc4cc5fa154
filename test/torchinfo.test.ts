/**
 * The torchinfo view against torchinfo 1.8's own tables (test/fixtures/torchinfo/tables.json, printed by
 * torchinfo itself: scripts/fixtures/make_torchinfo_tables.py): torchvision's models as the zoo builds
 * them, and the pattern models as PyTorch exported them.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { census } from '../src/census.js';
import { formatTorchinfo } from '../src/format/torchinfo.js';
import { resolveModel } from '../src/resolve.js';

interface Table {
  depth: number;
  table: string;
}
const tables = JSON.parse(readFileSync('test/fixtures/torchinfo/tables.json', 'utf8')) as {
  zoo: Record<string, Table>;
  patterns: Record<string, Table>;
};
const figures = (
  JSON.parse(readFileSync('test/fixtures/onnx/patterns/figures.json', 'utf8')) as {
    fixtures: Record<string, { batch?: number; pruned_zeros?: number }>;
  }
).fixtures;

// torchinfo 1.8 under Python 3.11+ prints its unit enum's name, "(Units.GIGABYTES)", for "(G)".
const unitBug = (s: string): string => s.replace(/\(Units\.(GIGA|MEGA|TERA)BYTES\)/, (_, u: string) => `(${u[0]})`);

/** A table's module rows: class, depth-idx, output shape, Param #. */
function rows(text: string, maxDepth = Infinity): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^[│ ]*[├└]─(.+?): (\d+)-(\d+)\s+(\[[^\]]*\]|--)\s*(.*)$/.exec(line);
    if (m && Number(m[2]) <= maxDepth) out.push(`${m[1]}: ${m[2]}-${m[3]} ${m[4]} ${m[5]}`);
  }
  return out;
}
const footer = (text: string, key: string): string => text.split('\n').find((l) => l.startsWith(key)) ?? '';

// Small models whose every module runs as an ONNX node: the whole table must be torchinfo's.
const SMALL = Object.keys(tables.patterns).filter(
  (k) => figures[`${k}_dynamo`] && !/^(clip|whisper|convnext|edgenext|levit|swin|efficientvit)/.test(k),
);

describe("the torchinfo view equals torchinfo 1.8's own table", () => {
  for (const [name, t] of Object.entries(tables.zoo)) {
    it(`zoo ${name} (depth ${t.depth}): every character`, async () => {
      const c = census(await resolveModel(name.split('@')[0]!));
      expect(formatTorchinfo(c, { depth: t.depth })).toBe(unitBug(t.table));
    });
  }

  for (const way of ['dynamo', 'dynamo_nofold']) {
    for (const name of SMALL) {
      it(`${name}_${way}.onnx: every character${name === 'pruned' ? ', but the pruned weights' : ''}`, async () => {
        const f = figures[`${name}_${way}`]!;
        // A file traced at a static batch is counted at it, as torchinfo ran it.
        const c = census(await resolveModel(`test/fixtures/onnx/patterns/${name}_${way}.onnx`), { batch: f.batch });
        const ours = formatTorchinfo(c, { depth: tables.patterns[name]!.depth });
        const theirs = unitBug(tables.patterns[name]!.table);
        if (name !== 'pruned') {
          expect(ours).toBe(theirs);
          return;
        }
        // torchinfo counts a pruned weight by its mask's ones (what the values are, not the architecture).
        const total = (s: string): number => Number(footer(s, 'Total params:').replace(/\D/g, ''));
        expect(total(ours) - total(theirs)).toBe(f.pruned_zeros);
        expect(f.pruned_zeros).toBeGreaterThan(0);
        const keep = (s: string): string[] => rows(s).filter((r) => !r.startsWith('Conv2d'));
        expect(keep(ours)).toEqual(keep(theirs));
      });
    }
  }

  // timm's and transformers' models as dynamo exported them: the exporter folds BatchNorms into convs,
  // drops Identity and Dropout modules and stores a frozen table as a constant, so the rows under them
  // differ; the model and its top-level calls do not. (A container never called, an nn.ModuleList, has no
  // output in torchinfo and no class in the export.)
  for (const name of Object.keys(tables.patterns).filter((k) => !SMALL.includes(k))) {
    const file = `test/fixtures/onnx/patterns/${name}_dynamo.onnx`;
    it(`${name}_dynamo.onnx: the model's class and its top-level modules`, async () => {
      const c = census(await resolveModel(file));
      const ours = formatTorchinfo(c, { depth: 1 });
      const theirs = unitBug(tables.patterns[name]!.table);
      const label = (s: string): string => s.split('\n')[3]!.split(/\s+/)[0]!;
      expect(label(ours)).toBe(label(theirs));
      const top = (s: string): string[] =>
        rows(s, 1)
          .filter((r) => !/ -- /.test(r) && !/\(\d[\d,]*\)$/.test(r))
          .map((r) => r.split(':')[0]!)
          .filter((k) => !['Identity', 'Dropout'].includes(k));
      expect(top(ours)).toEqual(top(theirs));
    });
  }
});

describe('the torchinfo view', () => {
  it('fits a narrower terminal by its content, and every figure is the census', async () => {
    const c = census(await resolveModel('resnet50'));
    const text = formatTorchinfo(c, { width: 80 });
    for (const line of text.split('\n')) expect([...line].length).toBeLessThanOrEqual(80);
    expect(footer(text, 'Total params:')).toBe(
      `Total params: ${c.byConvention.params.pytorch.toLocaleString('en-US')}`,
    );
  });

  it('shows frozen parameters in parentheses and a module the model calls again as (recursive)', async () => {
    const c = census(await resolveModel('test/fixtures/onnx/patterns/twins_dynamo.onnx'));
    expect(c.moduleCalls!.filter((k) => k.recursive)).toEqual([]);
    const loop = census(await resolveModel('test/fixtures/onnx/patterns/loop_ts_nofold.onnx'));
    // TorchScript names the later calls fc_1, fc_2; the weights they share say they are fc again.
    expect(rows(formatTorchinfo(loop)).filter((r) => r.endsWith('(recursive)'))).toHaveLength(2);
    const frozen = census(await resolveModel('test/fixtures/keras/frozen_transfer.keras'));
    expect(frozen.moduleCalls).toBeUndefined();
  });
});
