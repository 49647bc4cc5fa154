/** The one table style every command prints: cli-table3, no rules between body rows. */
import Table from 'cli-table3';
import { terminalText } from './escape.js';

const plain = { head: [] as string[], border: [] as string[] };

/** No rule between body rows: the tables stay as dense as Keras' and torchinfo's. */
const chars = { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' };

/** Rows per cli-table3 render: it spreads a table's rows into calls, which a million rows overflow. */
const BLOCK = 4000;

/** Display width, as cli-table3 measures a cell (wide characters count twice). */
const width = (s: string): number =>
  [...s].reduce(
    (w, ch) =>
      w +
      (/[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/.test(ch)
        ? 2
        : 1),
    0,
  );

/** The terminal's width the tables fit (set by the CLI); undefined: each table as wide as its cells. */
let columns: number | undefined;

/** Fits every table printed from now on to `width` columns (a terminal's), or none. */
export function fitTablesTo(width: number | undefined): void {
  columns = width !== undefined && Number.isFinite(width) && width >= 40 ? Math.floor(width) : undefined;
}

/** The width tables fit now (fitTablesTo), for text laid out beside them. */
export const tableColumns = (): number | undefined => columns;

/**
 * Text around the tables, fitted to the same width: a line longer than it breaks at spaces, its
 * continuation indented two past its own indent; tables (already fitted) and unbroken words stay whole.
 */
export function fitProse(text: string): string {
  const w = columns;
  if (w === undefined) return text;
  const out: string[] = [];
  for (const line of text.split('\n')) {
    if (width(line) <= w || /^[┌│├└╭]/.test(line)) {
      out.push(line);
      continue;
    }
    const indent = ' '.repeat((/^ */.exec(line)?.[0].length ?? 0) + 2);
    let cur = '';
    for (const word of line.split(/(?<=\S) (?=\S)/)) {
      // A word wider than the line (a file's path) breaks after its slashes, each piece on a line of its own.
      const [first, ...rest] = width(word) + indent.length > w ? breakAtSlashes(word, w - indent.length) : [word];
      if (cur && width(cur) + 1 + width(first!.trimStart()) > w) {
        out.push(cur);
        cur = indent + first!.trimStart();
      } else cur = cur ? `${cur} ${first}` : first!;
      for (const piece of rest) {
        out.push(cur);
        cur = indent + piece;
      }
    }
    out.push(cur);
  }
  return out.join('\n');
}

/** A path cut into pieces of at most `w` after its slashes (a piece without one stays whole). */
function breakAtSlashes(word: string, w: number): string[] {
  const pieces: string[] = [];
  for (const part of word.split(/(?<=\/)/)) {
    const last = pieces.at(-1);
    if (last !== undefined && width(last) + width(part) <= w) pieces[pieces.length - 1] = last + part;
    else pieces.push(part);
  }
  return pieces;
}

/** The narrowest a text column is wrapped to: a word of a type or a sentence stays readable. */
const MIN_TEXT = 12;
/** The narrowest a column of names (no spaces: `layer4.1.conv2`) is cut to, its tail kept. */
const MIN_NAME = 24;

const isNames = (body: string[][], i: number): boolean => body.every((r) => !(r[i] ?? '').includes(' '));

/**
 * Column widths (cell padding included) that fit `columns`: the column with most room above its floor
 * gives a character first. Text wraps down to MIN_TEXT, names are cut to MIN_NAME keeping their tail, and
 * numbers keep the width of the widest (their heading wraps), so no figure is split.
 */
function fitted(
  h: string[],
  body: string[][],
  align: Array<'left' | 'right'>,
  widths?: Array<number | null>,
): number[] | undefined {
  const natural = h.map((_, i) =>
    Math.min(widths?.[i] ?? Infinity, body.reduce((m, r) => Math.max(m, width(r[i] ?? '')), width(h[i] ?? '')) + 2),
  );
  if (columns === undefined) return undefined;
  const cols = [...natural];
  const total = () => cols.reduce((a, b) => a + b, 0) + cols.length + 1;
  // Numbers keep the width of the widest (their heading wraps); text wraps, names are cut, to a floor.
  const word = (x: string) => Math.max(0, ...x.split(' ').map(width));
  const widest = h.map((x, i) => body.reduce((m, r) => Math.max(m, width(r[i] ?? '')), word(x)) + 2);
  const floor = h.map((_, i) =>
    align[i] === 'right' ? widest[i]! : Math.min(natural[i]!, isNames(body, i) ? MIN_NAME : MIN_TEXT),
  );
  while (total() > columns) {
    let at = -1;
    cols.forEach((w, i) => {
      if (w > floor[i]! && (at < 0 || w - floor[i]! > cols[at]! - floor[at]!)) at = i;
    });
    if (at < 0) break;
    cols[at]! -= 1;
  }
  return cols.some((w, i) => w !== natural[i]) || widths ? cols : undefined;
}

/** A name longer than its column keeps its tail, the part that tells rows apart (`…SelfAttention.q`). */
const tail = (s: string, w: number): string =>
  width(s) <= w || s.includes(' ') ? s : `…${[...s].slice(-(w - 1)).join('')}`;

/**
 * A table; where it is fitted to a terminal and still too wide, the columns in `optional` are left out,
 * first to last, until it fits (the full table: --wide, or a pipe).
 */
export function table(
  head: string[],
  rows: string[][],
  alignAll: Array<'left' | 'right'>,
  givenAll?: Array<number | null>,
  optional: number[] = [],
): string {
  // Escaped before cli-table3 measures the cells: it would count an ANSI sequence as zero columns.
  let keep = head.map((_, i) => i);
  const pick = <T>(xs: readonly T[]) => keep.map((i) => xs[i]!);
  const all = rows.map((r) => r.map(terminalText));
  let h = head.map(terminalText);
  let body = all;
  let align = alignAll;
  let given = givenAll;
  let fit = fitted(h, body, align, given);
  for (const drop of optional) {
    const sum = (fit ?? []).reduce((a, b) => a + b, 0) + (fit?.length ?? 0) + 1;
    if (!fit || columns === undefined || sum <= columns) break;
    keep = keep.filter((i) => i !== drop);
    h = pick(head.map(terminalText));
    body = all.map((r) => pick(r));
    align = pick(alignAll);
    given = givenAll && pick(givenAll);
    fit = fitted(h, body, align, given);
  }
  const widths = fit ?? given;
  if (fit) for (const r of body) r.forEach((c, i) => (r[i] = tail(c, fit[i]! - 2)));
  const render = (part: string[][], withHead: boolean, colWidths?: Array<number | null>): string => {
    const t = new Table({
      head: withHead ? h : [],
      style: plain,
      colAligns: align,
      chars,
      ...(colWidths ? { colWidths, wordWrap: widths !== undefined, wrapOnWordBoundary: true } : {}),
    });
    for (const r of part) t.push(r);
    return t.toString();
  };
  if (body.length <= BLOCK) return render(body, true, widths);
  // A long table: one width per column for all its rows, computed here.
  const natural = (i: number): number => body.reduce((m, r) => Math.max(m, width(r[i] ?? '')), width(h[i] ?? '')) + 2;
  const cols = h.map((_, i) => widths?.[i] ?? natural(i));
  // cli-table3 takes about a second per few thousand rows: past the first block, rows that need no
  // wrapping are drawn here in its style (padding 1, '│' between cells), the test holding the two equal.
  const first = render(body.slice(0, BLOCK), true, cols).split('\n');
  const lines = first.slice(0, -1);
  for (let at = BLOCK; at < body.length; at += BLOCK) {
    const part = body.slice(at, at + BLOCK);
    if (part.every((r) => r.every((c, i) => width(c) <= cols[i]! - 2)))
      for (const r of part)
        lines.push(
          `│${r.map((c, i) => ` ${align[i] === 'right' ? ' '.repeat(cols[i]! - 2 - width(c)) + c : c + ' '.repeat(cols[i]! - 2 - width(c))} `).join('│')}│`,
        );
    else lines.push(...render(part, false, cols).split('\n').slice(1, -1));
  }
  lines.push(first.at(-1)!);
  return lines.join('\n');
}
