/**
 * The torchinfo view of a census: torchinfo 1.8's `summary()` table (torch.nn classes, `depth-idx`, the
 * output shape in PyTorch's axis order, Param #) and its footer, for models that came from PyTorch.
 * Rows are module calls in execution order; an op PyTorch runs as a function (torch.add, torch.flatten)
 * has none, as torchinfo's hooks see none.
 */
import type { Census } from '../census.js';
import { terminalText } from './escape.js';
import { int, shape } from './numbers.js';

/** torchinfo's default depth. */
export const TORCHINFO_DEPTH = 3;

interface Row {
  /** torchinfo's depth: 0 the model, 1 its top-level modules. */
  depth: number;
  label: string;
  shape: string;
  params: string;
}

/** torchinfo's Param # cell: frozen parameters in parentheses, a module called again "(recursive)". */
function paramCell(params: number, trainable: number, recursive: boolean): string {
  if (params === 0) return '--';
  if (recursive) return '(recursive)';
  return trainable ? int(params) : `(${int(params)})`;
}

/** The census' module calls down to `depth`; a container at the last level shows what is inside it. */
function rows(c: Census, depth: number): Row[] {
  return (c.moduleCalls ?? []).map((k): Row => {
    const whole = k.leaf || k.depth === depth;
    const own = k.path.split('.').at(-1)!;
    const params = !k.counted
      ? 'not counted'
      : whole || k.recursive
        ? paramCell(k.params, k.trainableParams, k.recursive)
        : k.ownParams
          ? int(k.ownParams)
          : '--';
    const name = k.depth === 0 ? (k.torchClass ?? c.model) : (k.torchClass ?? `(${own})`);
    return {
      depth: k.depth,
      label: terminalText(name) + (k.depth ? `: ${k.depth}-${k.index}` : ''),
      shape: k.shape.length && k.called !== false ? shape(k.shape) : '--',
      params,
    };
  });
}

const tree = (r: Row): string =>
  r.depth === 0 ? r.label : `${'│    '.repeat(r.depth - 1)}${r.depth === 1 ? '├─' : '└─'}${r.label}`;

/** torchinfo's unit for mult-adds: M below 10^9, G below 10^12, T above; an exact figure without decimals. */
function readable(n: number): string {
  const [unit, v] = n >= 1e12 ? ['T', n / 1e12] : n >= 1e9 ? ['G', n / 1e9] : ['M', n / 1e6];
  return `(${unit}): ${Number.isInteger(v) ? int(v) : v.toFixed(2)}`;
}

const mb = (bytes: number): string => (bytes / 1e6).toFixed(2);

/**
 * torchinfo's table and footer. `width`: fit the columns to it (torchinfo's own are 40, 25 and 25 wide,
 * 90 in all); `depth`: levels of modules shown (torchinfo's default 3).
 */
export function formatTorchinfo(c: Census, options: { depth?: number; width?: number } = {}): string {
  const depth = options.depth ?? TORCHINFO_DEPTH;
  // torchinfo sizes the name column by every call, those below the depth shown too.
  const every = rows(c, depth);
  // Folded, not spread: a file can hold more calls than a call's arguments may.
  const widest = (xs: readonly number[]): number => xs.reduce((a, b) => Math.max(a, b), 0);
  const measured = widest(every.map((r) => [...tree(r)].length + (r.depth ? 4 : 1)));
  const all = every.filter((r) => r.depth <= depth);
  const names = all.map(tree);
  const longest = (xs: string[]): number => widest(xs.map((x) => [...x].length));
  const fit = options.width ?? Infinity;
  // torchinfo's layout: the name column 40 wide (or the longest name, rounded up to 5), columns of 25,
  // each cell followed by a space; where that does not fit, each column as wide as its content.
  // torchinfo measures a name as its title plus 5 per level and 1, rounding up to 5 from 40 on.
  let widths = [measured >= 40 ? Math.ceil(measured / 5) * 5 : 40, 25, 25];
  const fits = (w: number[]): boolean => w[0]! + w[1]! + 2 + longest(all.map((r) => r.params)) <= fit;
  if (!fits(widths)) widths = [longest(names), longest(all.map((r) => r.shape)), longest(all.map((r) => r.params))];
  const pad = (s: string, w: number): string => s + ' '.repeat(Math.max(0, w - [...s].length));
  const line = (cells: string[]): string =>
    cells
      .map((s, i) => `${pad(s, widths[i]!)} `)
      .join('')
      .trimEnd();
  const divider = '='.repeat(
    Math.min(
      fit,
      widths.reduce((a, b) => a + b),
    ),
  );
  const t = c.byConvention;
  const sizes = t.memory.torchinfo;
  const pytorch = t.params.pytorch;
  return [
    divider,
    line(['Layer (type:depth-idx)', 'Output Shape', 'Param #']),
    divider,
    ...all.map((r, i) => line([names[i]!, r.shape, r.params])),
    divider,
    `Total params: ${int(pytorch)}`,
    `Trainable params: ${int(t.trainableParams.pytorch)}`,
    `Non-trainable params: ${int(pytorch - t.trainableParams.pytorch)}`,
    `Total mult-adds ${readable(t.macs['torchinfo-1.8'])}`,
    divider,
    `Input size (MB): ${mb(sizes.inputBytes)}`,
    `Forward/backward pass size (MB): ${mb(sizes.forwardBackwardBytes)}`,
    `Params size (MB): ${mb(sizes.paramBytes)}`,
    `Estimated Total Size (MB): ${mb(sizes.totalBytes)}`,
    divider,
  ].join('\n');
}
