/**
 * The diff report's page script (serialised and inlined like `modelClient`: self-contained). Hovering a
 * pair's curve, box or table row shows its deltas by cause and highlights both ends.
 */
import type { PairDiff } from '../diff.js';

export function diffClient(data: { pairs: PairDiff[] }): void {
  const esc = (s: unknown): string => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const int = (v: number): string => v.toLocaleString('en-US');
  const signed = (v: number): string => (v > 0 ? `+${int(v)}` : int(v));
  const tip = document.getElementById('tip') as HTMLElement;
  let lit: Element[] = [];
  function light(k: number | null): void {
    lit.forEach((e) => e.classList.remove('lit'));
    lit = k === null ? [] : Array.from(document.querySelectorAll(`[data-pair="${k}"]`));
    lit.forEach((e) => e.classList.add('lit'));
  }
  function show(k: number, ev: MouseEvent): void {
    const p = data.pairs[k]!;
    const causes = (r: Record<string, number | undefined>): string =>
      Object.entries(r)
        .map(([c, v]) => `<tr><td>${esc(c)}</td><td>${esc(signed(v ?? 0))}</td></tr>`)
        .join('') || '<tr><td colspan="2">no change</td></tr>';
    tip.innerHTML =
      `<div class="tipname">${esc(p.a ?? '(none)')} &rarr; ${esc(p.b ?? '(none)')}</div><table>` +
      `<tr><td>kind</td><td>${esc(p.kind)}</td></tr><tr><td>params</td><td>${esc(int(p.paramsA))} &rarr; ${esc(int(p.paramsB))} (${esc(signed(p.paramsB - p.paramsA))})</td></tr>` +
      `<tr><td>MACs (weights)</td><td>${esc(int(p.macsA))} &rarr; ${esc(int(p.macsB))} (${esc(signed(p.macsB - p.macsA))})</td></tr>` +
      `<tr><td colspan="2"><b>params by cause</b></td></tr>${causes(p.params)}<tr><td colspan="2"><b>MACs by cause</b></td></tr>${causes(p.macs)}</table>`;
    tip.hidden = false;
    const r = tip.getBoundingClientRect();
    tip.style.left = `${ev.clientX + 14 + r.width > innerWidth ? ev.clientX - r.width - 14 : ev.clientX + 14}px`;
    tip.style.top = `${ev.clientY + 14 + r.height > innerHeight ? Math.max(4, ev.clientY - r.height - 14) : ev.clientY + 14}px`;
  }
  document.addEventListener('mouseover', (ev) => {
    const el = (ev.target as Element).closest('[data-pair]') as HTMLElement | SVGElement | null;
    if (!el) {
      light(null);
      tip.hidden = true;
      return;
    }
    const k = Number(el.dataset.pair);
    light(k);
    show(k, ev);
  });
  const box = document.getElementById('show-same') as HTMLInputElement;
  box.addEventListener('change', () => {
    document.querySelectorAll<HTMLTableRowElement>('tr.same').forEach((tr) => (tr.hidden = !box.checked));
  });
  document.body.dataset.ready = 'true';
}
