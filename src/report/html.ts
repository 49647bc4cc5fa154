/** HTML building blocks shared by the model and diff reports: escaping, embedded data, number formats. */
import { createHash } from 'node:crypto';

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for element content and quoted attribute values. */
export const esc = (s: unknown): string => String(s).replace(/[&<>"']/g, (c) => ENTITIES[c]!);

/**
 * JSON for a `<script type="application/json">`: every '<' becomes \u003c, so no '</script>' or '<!--'
 * in a layer name can end the element; U+2028/2029 are escaped for old parsers. JSON.parse reads it back.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** Inline script source: a client function serialised and called with the embedded data. */
export function inlineScript(fn: (...args: never[]) => void, dataId: string): string {
  // esbuild (vitest) can wrap functions in __name(); the page has no such helper, so define a no-op.
  const src = `var __name = function (f) { return f; };\n(${fn.toString()})(JSON.parse(document.getElementById(${JSON.stringify(dataId)}).textContent));`;
  // A function's source cannot contain '</script' unless a string literal does; guard regardless. The
  // parser turns CR and CRLF into LF before the CSP hashes the text: do so first, or the hash cannot match.
  return src.replace(/<\/(script)/gi, '<\\/$1').replace(/\r\n?/g, '\n');
}

/** A CSP source that allows exactly this inline text: the base64 SHA-256 of its UTF-8 bytes. */
export const cspHash = (text: string): string =>
  `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/**
 * The report's policy: nothing fetched, and only the page's own script and style element run, each pinned by
 * its hash, so markup that one escaping slip lets in stays inert. Style attributes (the charts' swatches and
 * the client's SVG) still need 'unsafe-inline', kept to attributes by style-src-attr where the browser knows
 * it; style-src is the fallback of a browser that does not (CSP 2), and a hash there would cancel it.
 */
export function contentSecurityPolicy(script: string, style: string): string {
  return [
    "default-src 'none'",
    `script-src ${cspHash(script)}`,
    "style-src 'unsafe-inline'",
    `style-src-elem ${cspHash(style)}`,
    "style-src-attr 'unsafe-inline'",
    'img-src data:',
    // Not covered by default-src: no injected <base> or <form> can redirect or post anything.
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

// The page writes numbers as the terminal does.
export { int, si, signed } from '../format/numbers.js';

/** Bytes as MB (10^6) and MiB (2^20), both labelled. */
export const mbMib = (bytes: number): { mb: string; mib: string } => ({
  mb: `${(bytes / 1e6).toFixed(2)} MB`,
  mib: `${(bytes / 2 ** 20).toFixed(2)} MiB`,
});

export const shapeText = (s: readonly number[]): string => `[${s.join(', ')}]`;

/** The document around a report: inlined style and scripts only, no external resource of any kind. */
export function page(opts: {
  title: string;
  style: string;
  body: string;
  data: unknown;
  client: (...args: never[]) => void;
  generator: string;
}): string {
  const script = inlineScript(opts.client, 'report-data');
  const style = opts.style.replace(/\r\n?/g, '\n');
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    // No network at all: a mailed or offline copy behaves the same, and nothing can leak from it.
    `<meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy(script, style)}">`,
    `<meta name="generator" content="${esc(opts.generator)}">`,
    `<title>${esc(opts.title)}</title>`,
    `<style>${style}</style>`,
    '</head>',
    '<body>',
    opts.body,
    `<script type="application/json" id="report-data">${jsonForScript(opts.data)}</script>`,
    `<script>${script}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
