/**
 * Escaping at every exit. Names, op types and notes come from the model file, which is untrusted: on a
 * terminal a control byte can clear the screen, retitle the window or forge lines; a bidi control can show
 * text in another order than it is; in a spreadsheet a cell can be a formula. Every formatter and the CLI's
 * writers pass file text through these, and their output is printable, so applying one twice changes nothing.
 */

/**
 * What a terminal must not receive raw: C0 and DEL, C1 (U+009B is a CSI on some terminals), the line and
 * paragraph separators, and the bidi controls (embeddings, overrides, isolates, and the implicit marks).
 */
const BEYOND_C0 = String.raw`\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069`;
const UNSAFE = new RegExp(String.raw`[\u0000-\u001f${BEYOND_C0}]`, 'g');
const UNSAFE_BUT_NEWLINE = new RegExp(String.raw`[\u0000-\u0009\u000b-\u001f${BEYOND_C0}]`, 'g');
const UNSAFE_BEYOND_C0 = new RegExp(`[${BEYOND_C0}]`, 'g');

const SHORT: Record<string, string> = { '\t': '\\t', '\n': '\\n', '\r': '\\r' };

const visible = (c: string): string => {
  const code = c.charCodeAt(0);
  return (
    SHORT[c] ?? (code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`)
  );
};

/**
 * Text for a terminal, as one line: every control byte, separator and bidi control shown as a visible escape
 * (`\x1b`, `\n`, `\u202e`). A backslash already in the text stays as it is.
 */
export const terminalText = (s: unknown): string => String(s).replace(UNSAFE, visible);

/** The last guard on what the CLI prints: as terminalText, but the newlines between lines stay. */
export const terminalLines = (s: string): string => s.replace(UNSAFE_BUT_NEWLINE, visible);

/**
 * JSON text whose strings carry no raw DEL, C1, separator or bidi control (JSON.stringify escapes only
 * U+0000-U+001F): those become \uXXXX, which only a string can hold, so JSON.parse gives back the same values.
 */
export function jsonText(value: unknown, indent: number | undefined = 2): string {
  // Not C0: JSON.stringify has escaped it in strings already, and outside them it is the indentation's newlines.
  return JSON.stringify(value, null, indent).replace(
    UNSAFE_BEYOND_C0,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/**
 * The same text as `jsonText(value)` (indent 2), in pieces: an array of more than `chunk` elements is
 * written an element at a time, so a census of a million layers never becomes one string (V8 refuses a
 * string past 2^29 characters). Depth is the contract's, not the file's: objects nest a few levels.
 */
export function* jsonChunks(value: unknown, chunk = 1000, depth = 0): Generator<string> {
  const pad = (d: number) => '  '.repeat(d);
  const whole = (v: unknown, d: number) => jsonText(v).replace(/\n/g, `\n${pad(d)}`);
  if (Array.isArray(value) && value.length > chunk) {
    yield '[\n';
    for (let i = 0; i < value.length; i++) {
      yield pad(depth + 1);
      yield* jsonChunks(value[i] === undefined || typeof value[i] === 'function' ? null : value[i], chunk, depth + 1);
      yield i < value.length - 1 ? ',\n' : `\n${pad(depth)}]`;
    }
    return;
  }
  if (
    value !== null &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    typeof (value as { toJSON?: unknown }).toJSON !== 'function'
  ) {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined && typeof v !== 'function');
    if (entries.some(([, v]) => Array.isArray(v) && v.length > chunk)) {
      yield '{\n';
      for (const [i, [k, v]] of entries.entries()) {
        yield `${pad(depth + 1)}${jsonText(k)}: `;
        yield* jsonChunks(v, chunk, depth + 1);
        yield i < entries.length - 1 ? ',\n' : `\n${pad(depth)}}`;
      }
      return;
    }
  }
  yield whole(value, depth);
}

/** A spreadsheet reads a text cell that begins with one of these as a formula (OWASP's list). */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One CSV cell, RFC 4180: a cell with a comma, a double quote, CR or LF is quoted, its quotes doubled. A text
 * cell that a spreadsheet would read as a formula gets a leading `'`; a number is written as it is.
 */
export function csvCell(v: unknown): string {
  if (typeof v === 'number') return String(v);
  let s = Array.isArray(v) ? v.join('x') : String(v);
  if (FORMULA_START.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * A Markdown table cell: one line, printable; `|` cannot end the cell, `<` cannot open raw HTML (and `&`
 * cannot start an entity), and a backslash is doubled so that it renders as itself and cannot escape a `|`.
 */
export const markdownCell = (s: unknown): string =>
  terminalText(s).replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/&/g, '&amp;').replace(/</g, '&lt;');
