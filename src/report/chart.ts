/**
 * The benchmark chart: achieved GFLOP/s by model and batch, one bar per backend and per peer (peers drawn
 * hatched), with the measured peaks as dashed lines. Plain SVG: a few dozen rectangles do not need a
 * charting library.
 */
import type { BenchResult } from '../bench.js';

const COLORS: Record<string, string> = {
  tensorflow: '#1f77b4',
  wasm: '#2ca02c',
  cpu: '#9467bd',
  pytorch: '#d62728',
  'bare-tfjs-node': '#ff7f0e',
};
const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function benchSvg(r: BenchResult): string {
  type Bar = { label: string; series: string; value: number; peer: boolean };
  const groups = new Map<string, Bar[]>();
  for (const row of r.rows.filter((x) => x.status === 'ok')) {
    const key = `${row.model} batch ${row.batch}`;
    groups.set(key, [
      ...(groups.get(key) ?? []),
      { label: `${row.backend} ${row.path}`, series: row.backend, value: row.gflops, peer: false },
    ]);
  }
  for (const p of r.peers.filter((x) => x.status === 'ok')) {
    const key = `${p.model} batch ${p.batch}`;
    groups.set(key, [
      ...(groups.get(key) ?? []),
      {
        label: `${p.peer} (peer${p.sameNetwork === false ? ', other network' : ''})`,
        series: p.peer,
        value: p.gflops,
        peer: true,
      },
    ]);
  }
  const peakLines = [
    ...r.peaks.map((p) => ({ label: `${p.backend} matmul peak`, value: p.gflops })),
    ...(r.fma.measuredGflops ? [{ label: `FMA peak (${r.fma.isa ?? 'measured'})`, value: r.fma.measuredGflops }] : []),
  ];
  const max = Math.max(1, ...[...groups.values()].flat().map((b) => b.value), ...peakLines.map((p) => p.value));
  const left = 190;
  const width = 980;
  const plot = width - left - 90;
  const barH = 16;
  const x = (v: number): number => left + (v / max) * plot;
  const out: string[] = [];
  let y = 60;
  for (const [group, bars] of groups) {
    out.push(`<text x="10" y="${y + 12}" font-weight="bold">${esc(group)}</text>`);
    y += barH;
    for (const b of bars) {
      out.push(`<text x="${left - 6}" y="${y + 12}" text-anchor="end">${esc(b.label)}</text>`);
      out.push(
        `<rect x="${left}" y="${y}" width="${Math.max(1, x(b.value) - left).toFixed(1)}" height="${barH - 3}" ` +
          `fill="${b.peer ? 'url(#hatch-' + b.series + ')' : (COLORS[b.series] ?? '#777')}" stroke="${COLORS[b.series] ?? '#777'}"/>`,
      );
      out.push(`<text x="${(x(b.value) + 4).toFixed(1)}" y="${y + 11}">${b.value.toFixed(1)}</text>`);
      y += barH;
    }
    y += 10;
  }
  const height = y + 30;
  const lines = peakLines.map(
    (p, i) =>
      `<line x1="${x(p.value).toFixed(1)}" y1="45" x2="${x(p.value).toFixed(1)}" y2="${y}" stroke="#444" stroke-dasharray="4 3"/>` +
      `<text x="${x(p.value).toFixed(1)}" y="${40 - (i % 2) * 12}" text-anchor="middle" font-size="10">${esc(p.label)} ${p.value.toFixed(0)}</text>`,
  );
  const hatches = Object.entries(COLORS).map(
    ([k, c]) =>
      `<pattern id="hatch-${k}" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">` +
      `<rect width="6" height="6" fill="white"/><line x1="0" y1="0" x2="0" y2="6" stroke="${c}" stroke-width="3"/></pattern>`,
  );
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<defs>${hatches.join('')}</defs>`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="18" font-size="14" font-weight="bold">Effective GFLOP/s (2 x direct-convolution MACs per image / median latency); peers hatched</text>`,
    `<text x="10" y="${height - 10}" font-size="10">${esc(`${r.host.cpu}, ${r.host.threads} threads, ${r.date.slice(0, 10)}`)}</text>`,
    ...lines,
    ...out,
    '</svg>',
  ].join('\n');
}
