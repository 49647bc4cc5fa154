/**
 * Escaping at every exit (issue 18): names from a model file reach the terminal, CSV, Markdown and JSON
 * printable, never as control bytes, bidi controls or spreadsheet formulas.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csvCell, jsonText, markdownCell, terminalLines, terminalText } from '../src/format/escape.js';
import { EXIT } from '../src/errors.js';
import { census } from '../src/census.js';
import { diffGraphs } from '../src/diff.js';
import { renderDiffReport, renderModelReport } from '../src/report/index.js';
import { zooModel } from '../src/resolve.js';
import { cli } from './helpers.js';
import { modelInput } from './report-input.js';

/** Every code point the guard must keep off a terminal: C0, DEL, C1, separators, bidi controls. */
const UNSAFE_POINTS = [
  ...Array.from({ length: 0x20 }, (_, i) => i),
  ...Array.from({ length: 0x21 }, (_, i) => 0x7f + i),
  0x061c,
  0x200e,
  0x200f,
  0x2028,
  0x2029,
  ...Array.from({ length: 5 }, (_, i) => 0x202a + i),
  ...Array.from({ length: 4 }, (_, i) => 0x2066 + i),
];
const ALL_UNSAFE = String.fromCodePoint(...UNSAFE_POINTS);
const RAW = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
/** Text output may hold the formatter's own newlines, nothing else raw. */
const RAW_BUT_NEWLINE =
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

describe('terminalText', () => {
  it('shows every unsafe code point as a visible escape, and nothing raw remains', () => {
    const out = terminalText(`a${ALL_UNSAFE}b`);
    expect(out).not.toMatch(RAW);
    expect(out.startsWith('a') && out.endsWith('b')).toBe(true);
    // One escape per code point: each begins with a backslash.
    expect(out.split('\\').length - 1).toBe(UNSAFE_POINTS.length);
  });

  it('writes the usual escapes', () => {
    expect(terminalText('\x1b[2J')).toBe('\\x1b[2J');
    expect(terminalText('\x1b]0;title\x07')).toBe('\\x1b]0;title\\x07');
    expect(terminalText('\x9b')).toBe('\\x9b');
    expect(terminalText('\x7f')).toBe('\\x7f');
    expect(terminalText('\u202e')).toBe('\\u202e');
    expect(terminalText('\u2066\u2069')).toBe('\\u2066\\u2069');
    expect(terminalText('\u2028')).toBe('\\u2028');
    expect(terminalText('a\nb\tc\rd')).toBe('a\\nb\\tc\\rd');
  });

  it('leaves printable text, backslashes and non-Latin scripts alone, and is idempotent', () => {
    for (const s of ['conv2d_1', 'a\\b', 'block/conv', 'Δ params', '畳み込み', 'ü', '\ufffd'])
      expect(terminalText(s)).toBe(s);
    const once = terminalText(`x${ALL_UNSAFE}\\x1b`);
    expect(terminalText(once)).toBe(once);
    expect(terminalLines(once)).toBe(once);
  });

  it('terminalLines keeps the newlines between lines and escapes the rest', () => {
    expect(terminalLines('one\x1b[31m\ntwo\u202e\n')).toBe('one\\x1b[31m\ntwo\\u202e\n');
    expect(terminalLines(`a${ALL_UNSAFE}`)).not.toMatch(RAW_BUT_NEWLINE);
  });
});

describe('jsonText', () => {
  it('escapes DEL, C1, separators and bidi controls inside strings; parses back to the same values', () => {
    const value = { name: `x${ALL_UNSAFE}y`, list: ['\u202e', 1, null], nested: { '\x9bkey': '\x7f' } };
    const text = jsonText(value);
    expect(text.replace(/\n/g, '')).not.toMatch(RAW);
    expect(text).toContain('\\u009b');
    expect(text).toContain('\\u202e');
    expect(JSON.parse(text)).toEqual(value);
    expect(JSON.parse(jsonText(value, undefined))).toEqual(value);
  });
});

describe('csvCell', () => {
  it('quotes a cell with a comma, a quote, CR or LF, doubling its quotes (RFC 4180)', () => {
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('a\nb')).toBe('"a\nb"');
    expect(csvCell('a\rb')).toBe('"a\rb"');
    expect(csvCell('plain')).toBe('plain');
  });

  it('never starts a text cell with a formula character; numbers are untouched', () => {
    for (const s of ['=1+1', '+1', '-1', '@SUM(A1)', '\t=1', '\r=1', "=cmd|' /C calc'!A0"]) {
      const cell = csvCell(s);
      // Unquoted, the cell's first character; quoted, the first character inside the quotes.
      const first = cell.startsWith('"') ? cell[1] : cell[0];
      expect(first, JSON.stringify(s)).toBe("'");
    }
    expect(csvCell("=cmd|' /C calc'!A0")).toBe("'=cmd|' /C calc'!A0");
    expect(csvCell(-5)).toBe('-5');
    expect(csvCell(1234567)).toBe('1234567');
    expect(csvCell([8, 4])).toBe('8x4');
    expect(csvCell('')).toBe('');
  });
});

describe('markdownCell', () => {
  it('keeps a cell one printable line that no | can end and no < can open HTML', () => {
    const cell = markdownCell('a|b\n<img src=x onerror=alert(1)>\x1b[2J\\');
    expect(cell).not.toMatch(RAW);
    expect(cell).not.toContain('<');
    // Every | is escaped, and no backslash before it is left unpaired.
    expect(cell.replace(/\\\\/g, '').match(/(^|[^\\])\|/)).toBeNull();
    expect(markdownCell('conv2d_1')).toBe('conv2d_1');
  });
});

/** Names a terminal must not obey, one per layer (names are unique). */
const HOSTILE = {
  model: 'model\x1b[2J\x1b]0;pwned\x07\n\tforged line \u202eevil',
  input: 'in\x1b[31m\u2066',
  dense1: "=cmd|' /C calc'!A0\x1b[2J",
  dense2: '+dense\x9b31m\u202e\nforged',
  dense3: '@dense,"q"\t\x7f|pipe',
  dense4: '-dense\r\u2028<b>|',
};

function kerasModel(units: number): unknown {
  const dense = (name: string, u: number) => ({ class_name: 'Dense', config: { name, units: u } });
  return {
    class_name: 'Sequential',
    config: {
      name: HOSTILE.model,
      layers: [
        { class_name: 'InputLayer', config: { batch_input_shape: [null, 8], name: HOSTILE.input } },
        dense(HOSTILE.dense1, units),
        dense(HOSTILE.dense2, 4),
        dense(HOSTILE.dense3, 3),
        dense(HOSTILE.dense4, 2),
      ],
    },
  };
}

let dir: string;
let fileA: string;
let fileB: string;
let unknownClass: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'netcensus-escape-'));
  fileA = join(dir, 'hostile.json');
  fileB = join(dir, 'hostile-wider.json');
  unknownClass = join(dir, 'unknown-class.json');
  writeFileSync(fileA, JSON.stringify(kerasModel(6)));
  writeFileSync(fileB, JSON.stringify(kerasModel(10)));
  // tfjs takes the model's name as it is, but not these layer names (see the verify cases below).
  const safeLayers = kerasModel(6) as { config: { layers: Array<{ config: { name: string } }> } };
  safeLayers.config.layers.forEach((l, i) => (l.config.name = `layer_${i}`));
  writeFileSync(join(dir, 'hostile-model-name.json'), JSON.stringify(safeLayers));
  writeFileSync(
    unknownClass,
    JSON.stringify({
      class_name: 'Sequential',
      config: {
        name: 'm',
        layers: [
          { class_name: 'InputLayer', config: { batch_input_shape: [null, 8], name: 'in' } },
          { class_name: 'Evil\x1b]0;title\x07\x1b[2J\u202e\x9b\nLayer', config: { name: 'x\x1b[5m' } },
        ],
      },
    }),
  );
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** No raw control byte on stderr at all, nor on stdout but the formatter's newlines. */
function expectPrintable(r: { out: string; err: string }): void {
  expect(r.out).not.toMatch(RAW_BUT_NEWLINE);
  expect(r.err).not.toMatch(RAW_BUT_NEWLINE);
  // stderr is lines, each ended by the CLI: a name's newline never starts one.
  for (const line of r.err.split('\n').filter(Boolean)) expect(line).not.toMatch(/^forged/);
}

describe('hostile names through the CLI', () => {
  it('summary (table): printable, names shown escaped, no line forged by a name', async () => {
    const r = await cli('summary', fileA);
    expect(r.code).toBe(EXIT.ok);
    expectPrintable(r);
    expect(r.out).toContain(terminalText(HOSTILE.dense1));
    expect(r.out).toContain(terminalText(HOSTILE.model));
    for (const line of r.out.split('\n')) expect(line).not.toMatch(/^\s*forged/);
    // The layer table stays aligned: its rows are as wide as its rules.
    const tableLines = r.out.split('\n').filter((l) => /^[│┌└├]/.test(l));
    expect(new Set(tableLines.slice(0, 8).map((l) => l.length)).size).toBe(1);
  });

  it("summary --markdown: printable, every row has exactly the table's cells", async () => {
    const r = await cli('summary', fileA, '--markdown');
    expect(r.code).toBe(EXIT.ok);
    expectPrintable(r);
    expect(r.out).not.toContain('<b>');
    const rows = r.out.split('\n').filter((l) => l.startsWith('| '));
    const cells = (l: string) => l.replace(/\\\\/g, '').split(/(?<!\\)\|/).length;
    const header = rows[0]!;
    const layerRows = rows.slice(0, rows.findIndex((l) => l.startsWith('| **Total')) + 1);
    expect(layerRows.length).toBeGreaterThan(5);
    for (const l of layerRows) expect(cells(l), l).toBe(cells(header));
  });

  it('summary --csv: no cell starts a formula; names read back, the layer rows have all columns', async () => {
    const r = await cli('summary', fileA, '--csv');
    expect(r.code).toBe(EXIT.ok);
    expectPrintable(r);
    const rows = parseCsv(r.out.trimEnd());
    const width = rows[0]!.length;
    for (const row of rows) {
      expect(row).toHaveLength(width);
      for (const cell of row) {
        if (Number.isFinite(Number(cell)) && cell !== '') continue;
        expect(cell, JSON.stringify(cell)).not.toMatch(/^[=+\-@\t\r]/);
      }
    }
    const names = rows.slice(1, -1).map((row) => row[0]);
    // The formula is defused by its leading quote, and is otherwise the name (terminal-escaped on stdout).
    expect(names).toContain(`'${terminalText(HOSTILE.dense1)}`);
    expect(names).toContain(`'${terminalText(HOSTILE.dense3)}`);
  });

  it('summary --json: parses back to the very names of the file, with no raw control in the text', async () => {
    const r = await cli('summary', fileA, '--json');
    expect(r.code).toBe(EXIT.ok);
    expect(r.out.replace(/\n/g, '')).not.toMatch(RAW);
    const json = JSON.parse(r.out) as { model: string; layers: Array<{ name: string }> };
    expect(json.model).toBe(HOSTILE.model);
    expect(json.layers.map((l) => l.name)).toEqual([
      HOSTILE.input,
      HOSTILE.dense1,
      HOSTILE.dense2,
      HOSTILE.dense3,
      HOSTILE.dense4,
    ]);
  });

  it('diff, as text and as JSON', async () => {
    const r = await cli('diff', fileA, fileB);
    expect(r.code).toBe(EXIT.ok);
    expectPrintable(r);
    expect(r.out).toContain(terminalText(HOSTILE.dense1));
    const j = await cli('diff', fileA, fileB, '--json');
    expect(j.code).toBe(EXIT.ok);
    expect(j.out.replace(/\n/g, '')).not.toMatch(RAW);
    const d = JSON.parse(j.out) as { a: { model: string }; pairs: Array<{ a: string | null }> };
    expect(d.a.model).toBe(HOSTILE.model);
    expect(d.pairs.map((p) => p.a)).toContain(HOSTILE.dense2);
  });

  it('an unknown layer class full of escapes: one printable line on stderr, exit 2', async () => {
    for (const command of ['summary', 'verify']) {
      const r = await cli(command, unknownClass);
      expect(r.code).toBe(EXIT.badInput);
      expect(r.out).toBe('');
      expectPrintable(r);
      expect(r.err.trimEnd().split('\n')).toHaveLength(1);
      expect(r.err).toContain('Evil\\x1b]0;title\\x07');
    }
  });

  it("an option or file name with escapes (commander's errors, a missing file): printable stderr", async () => {
    for (const args of [
      ['summary', fileA, '--bogus\x1b[2J\u202e'],
      ['summary', join(dir, 'missing\x1b]0;t\x07\n.json')],
    ]) {
      const r = await cli(...args);
      expect(r.code).toBe(EXIT.badInput);
      expectPrintable(r);
      expect(r.err).toContain('\\x1b');
    }
  });
});

describe('hostile names through verify and bench', () => {
  const verifyPrintable = async (file: string, model: string): Promise<void> => {
    const r = await cli('verify', file, '--backend', 'cpu');
    expect(r.err).not.toMatch(/Not a valid tensor name/);
    expect(r.code).toBe(EXIT.ok);
    expectPrintable(r);
    expect(r.err).toContain(`[1/1] ${terminalText(model)}: ok`);
    expect(r.out).toContain(terminalText(model));
    const j = await cli('verify', file, '--backend', 'cpu', '--json');
    expect(j.code).toBe(EXIT.ok);
    expect(j.out.replace(/\n/g, '')).not.toMatch(RAW);
    expect((JSON.parse(j.out) as Array<{ model: string }>)[0]!.model).toBe(model);
  };

  it('a hostile model name: printable progress line and table; JSON reads it back', async () => {
    await verifyPrintable(join(dir, 'hostile-model-name.json'), HOSTILE.model);
  }, 120_000);

  it('bench: printable progress lines and table; JSON reads the model name back', async () => {
    const file = join(dir, 'hostile-model-name.json');
    const args = ['bench', file, '--backend', 'cpu', '--runs', '1', '--warmup', '0', '--no-peers', '--no-algorithms'];
    const r = await cli(...args);
    expect(r.code, r.err).toBe(EXIT.ok);
    expectPrintable(r);
    expect(r.out).toContain(terminalText(HOSTILE.model));
    expect(r.err).toContain(`${terminalText(HOSTILE.model)} cpu batch 1`);
    const j = await cli(...args, '--json');
    expect(j.code).toBe(EXIT.ok);
    expect(j.out.replace(/\n/g, '')).not.toMatch(RAW);
    expect((JSON.parse(j.out) as { rows: Array<{ model: string }> }).rows[0]!.model).toBe(HOSTILE.model);
  }, 120_000);

  // tfjs would refuse these names ("Not a valid tensor name"): verify builds under names it accepts.
  it('hostile layer names: printable progress line and table; JSON reads them back', async () => {
    await verifyPrintable(fileA, HOSTILE.model);
  }, 120_000);
});

describe("the HTML reports' Content-Security-Policy", () => {
  /** The policy's directives, and the page's executable script and its style element, as a parser sees them. */
  function parts(html: string): { csp: Map<string, string[]>; scripts: string[]; styles: string[] } {
    const meta = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html);
    expect(meta).not.toBeNull();
    const csp = new Map(
      meta![1]!
        .split(';')
        .map((d) => d.trim().split(/\s+/))
        .map(([name, ...sources]) => [name!, sources] as [string, string[]]),
    );
    const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
    const styles = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => m[1]!);
    return { csp, scripts, styles };
  }
  const sha256 = (text: string): string => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

  const pages = (): Array<[string, string]> => {
    const ga = zooModel('alexnet-keras-seed');
    const gb = zooModel('alexnet');
    const d = diffGraphs(ga, gb);
    return [
      ['model report', renderModelReport(modelInput('alexnet').input)],
      [
        'diff report',
        renderDiffReport({
          diff: d,
          a: census(ga, { params: d.a.convention }),
          b: census(gb, { params: d.b.convention }),
        }),
      ],
    ];
  };

  it.each(pages())("%s: script-src pins the page's one inline script by hash, no unsafe-inline", (_, html) => {
    const { csp, scripts } = parts(html);
    expect(scripts).toHaveLength(1);
    expect(csp.get('script-src')).toEqual([sha256(scripts[0]!)]);
    expect(csp.get('default-src')).toEqual(["'none'"]);
    expect(csp.get('base-uri')).toEqual(["'none'"]);
    expect(csp.get('form-action')).toEqual(["'none'"]);
    // The data block is JSON, not executed, and needs no hash.
    expect(html).toMatch(/<script type="application\/json" id="report-data">/);
  });

  it.each(pages())('%s: the style element is pinned by hash; only style attributes keep unsafe-inline', (_, html) => {
    const { csp, styles } = parts(html);
    expect(styles).toHaveLength(1);
    expect(csp.get('style-src-elem')).toEqual([sha256(styles[0]!)]);
    expect(csp.get('style-src-attr')).toEqual(["'unsafe-inline'"]);
  });

  it('a report written by the CLI carries the hash of the script it holds', async () => {
    const out = join(dir, 'hostile.report.html');
    const r = await cli('report', fileA, '--out', out);
    expect(r.code, r.err).toBe(EXIT.ok);
    const { csp, scripts } = parts(readFileSync(out, 'utf8'));
    expect(csp.get('script-src')).toEqual([sha256(scripts[0]!)]);
  });
});

/** RFC 4180, as a spreadsheet reads it: quoted cells may hold commas, quotes ("") and newlines. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [[]];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') ((cell += '"'), i++);
      else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"' && cell === '') quoted = true;
    else if (ch === ',') (rows.at(-1)!.push(cell), (cell = ''));
    else if (ch === '\n') (rows.at(-1)!.push(cell), (cell = ''), rows.push([]));
    else cell += ch;
  }
  rows.at(-1)!.push(cell);
  return rows;
}

describe('jsonChunks', () => {
  it('writes the very text of jsonText, in pieces, for long arrays at any depth', async () => {
    const { jsonChunks } = await import('../src/format/escape.js');
    const layer = (i: number) => ({ name: `l\u009b${i}`, shape: [1, i], nested: { a: [i, null], b: undefined } });
    const values: unknown[] = [
      { model: 'm', layers: Array.from({ length: 7 }, (_, i) => layer(i)), totals: { params: 3 }, f: () => 1 },
      Array.from({ length: 5 }, (_, i) => ({ rows: Array.from({ length: 4 }, (_, j) => [i, j]) })),
      [1, undefined, 'x'],
      { empty: [], deep: { list: [[1, 2, 3, 4, 5]] } },
      'plain',
      null,
    ];
    for (const v of values) {
      const pieces = [...jsonChunks(v, 2)];
      expect(pieces.join('')).toBe(jsonText(v));
    }
    expect([...jsonChunks(values[0], 2)].length).toBeGreaterThan(7);
  });
});
