/**
 * The model report's page script. `modelClient` is serialised with Function.prototype.toString and
 * inlined, so it must be self-contained: no imports, no references outside its own body (types are
 * erased and may be used). It draws the charts, the table and the graph from the embedded data and
 * keeps one selected layer across all three.
 */

/**
 * Per-layer verification: [ok, census shape, executed shape, census params, countParams(), census trainable,
 * framework trainable].
 */
export type VerifyCell = [boolean, number[], number[], number, number, number, number];

export interface ModelPageData {
  paramsConvention: string;
  batch: number;
  totals: { params: number; macs: number; activationBytes: number };
  /** Column names of `rows`; a row is one census layer. */
  cols: string[];
  rows: unknown[][];
  /** Enclosing scope groups of each layer, outermost first. */
  groups: string[][];
  diag: Record<string, Array<{ code: string; message: string }>>;
  verify: Record<string, VerifyCell> | null;
  /** Per layer, what its details show beyond the table's columns. */
  info: NodeInfo[];
  graph: {
    width: number;
    height: number;
    nodeH: number;
    /** Top left of each node. */
    nodes: Array<[number, number]>;
    widths: number[];
    /** Name and type lines, already cut to the node's width. */
    labels: Array<[string, string]>;
    /** [from, to, x0, y0, x1, y1, ...]. */
    edges: number[][];
    /** The shape each edge carries, e.g. "1×56×56×64"; '' when unknown. */
    edgeShapes: string[];
  };
}

export interface NodeInfo {
  /** The layer's configuration as read from the file: [key, value as text]; none when the census has no inference. */
  attrs: Array<[string, string]>;
  /** [reference as the file writes it, producing layer's index or -1, shape batch first: null where unknown or the producer's output shape]. */
  inputs: Array<[string, number, number[] | null]>;
  /** Every output's shape, batch first; none where the layer's one output is its outputShape. */
  outputs: number[][];
  /** Weight tensors the layer owns: [name, shape, role]. */
  tensors: Array<[string, number[], string]>;
}

export function modelClient(data: ModelPageData): void {
  type Layer = {
    i: number;
    name: string;
    scope: string;
    type: string;
    kind: string;
    detail: string;
    outputShape: number[];
    params: number;
    nonTrainableParams: number;
    macs: number;
    neurons: number;
    paramBytes: number;
    activationBytes: number;
    counted?: boolean;
    [k: string]: unknown;
  };
  const $ = <T extends Element = HTMLElement>(sel: string, root: ParentNode = document): T =>
    root.querySelector(sel) as T;
  const esc = (s: unknown): string => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const L: Layer[] = data.rows.map((r, i) => {
    const o: Record<string, unknown> = { i };
    data.cols.forEach((c, k) => (o[c] = r[k]));
    return o as Layer;
  });
  const n = L.length;
  const conv = data.paramsConvention;
  // One formatter for all: toLocaleString builds a new one per call, slow over thousands of cells.
  const nf = new Intl.NumberFormat('en-US');
  const int = (v: number): string => nf.format(v);
  const si = (v: number): string => {
    const a = Math.abs(v);
    return a >= 1e12
      ? `${(v / 1e12).toFixed(2)}T`
      : a >= 1e9
        ? `${(v / 1e9).toFixed(2)}G`
        : a >= 1e6
          ? `${(v / 1e6).toFixed(2)}M`
          : a >= 1e3
            ? `${(v / 1e3).toFixed(1)}K`
            : `${v}`;
  };
  // Decimal units (kB = 10^3, MB = 10^6 bytes), as the column headers say; tooltips add MiB.
  const bytes = (v: number): string =>
    v >= 1e9
      ? `${(v / 1e9).toFixed(2)} GB`
      : v >= 1e6
        ? `${(v / 1e6).toFixed(2)} MB`
        : v >= 1e3
          ? `${(v / 1e3).toFixed(1)} kB`
          : `${v} B`;
  const counted = (l: Layer): boolean => l.counted !== false;
  const pct = (v: number, total: number): string =>
    total > 0 ? `${((100 * v) / total).toFixed(v / total < 0.001 && v > 0 ? 3 : 1)}%` : '--';
  const typeText = (l: Layer): string => (l.detail ? `${l.type} ${l.detail}` : l.type);
  const shapeText = (s: number[]): string => `[${s.join(', ')}]`;
  const diagOf = (l: Layer) => data.diag[l.name] ?? [];
  const ver = (l: Layer) => (data.verify ? data.verify[l.name] : undefined);

  // ---- tooltip -------------------------------------------------------------------------------------
  const tip = $('#tip');
  function tipRows(l: Layer): string {
    const rows: Array<[string, string]> = [
      ['type', esc(typeText(l))],
      ['output shape', `${esc(shapeText(l.outputShape))} (N, H, W, C)`],
    ];
    if (!counted(l)) rows.push(['figures', '<i>not counted</i>']);
    else {
      rows.push([`params (${esc(conv)})`, `${int(l.params)} (${pct(l.params, data.totals.params)} of total)`]);
      if (l.nonTrainableParams) rows.push(['non-trainable', int(l.nonTrainableParams)]);
      rows.push(['MACs (weights)', `${int(l.macs)} (${pct(l.macs, data.totals.macs)} of total)`]);
      rows.push(['neurons (seed 002)', int(l.neurons)]);
      rows.push([
        'activation (float32)',
        `${int(l.activationBytes)} bytes = ${(l.activationBytes / 1e6).toFixed(3)} MB = ${(l.activationBytes / 2 ** 20).toFixed(3)} MiB`,
      ]);
    }
    const v = ver(l);
    if (v)
      rows.push([
        'verify',
        v[0]
          ? '<b style="color:#7ee29a">ok</b>'
          : `<b style="color:#ffb4b8">mismatch</b>: executed ${esc(shapeText(v[2]))}, countParams() ${int(v[4])}`,
      ]);
    const d = diagOf(l)
      .map((x) => `<div class="tipdiag">&#9888; ${esc(x.code)}: ${esc(x.message)}</div>`)
      .join('');
    return `<div class="tipname">${esc(l.name)}</div><table>${rows.map(([k, v]) => `<tr><td>${k}</td><td>${v}</td></tr>`).join('')}</table>${d}`;
  }
  function showTip(l: Layer, ev: MouseEvent): void {
    tip.innerHTML = tipRows(l);
    tip.dataset.layer = l.name;
    tip.hidden = false;
    const r = tip.getBoundingClientRect();
    const x = ev.clientX + 14 + r.width > innerWidth ? ev.clientX - r.width - 14 : ev.clientX + 14;
    const y = ev.clientY + 14 + r.height > innerHeight ? Math.max(4, ev.clientY - r.height - 14) : ev.clientY + 14;
    tip.style.left = `${x}px`;
    tip.style.top = `${y}px`;
  }
  const hideTip = (): void => {
    tip.hidden = true;
  };

  // ---- charts --------------------------------------------------------------------------------------
  type Metric = { key: 'params' | 'macs' | 'activationBytes'; total: number; fmt: (v: number) => string };
  const METRICS: Metric[] = [
    { key: 'params', total: data.totals.params, fmt: si },
    { key: 'macs', total: data.totals.macs, fmt: si },
    { key: 'activationBytes', total: data.totals.activationBytes, fmt: bytes },
  ];
  let scale: 'linear' | 'log' = 'linear';
  let selected = -1;
  const charts = new Map<string, { svg: SVGSVGElement; left: number; bw: number; top: number; ph: number }>();

  function drawChart(m: Metric): void {
    const host = $(`#chart-${m.key} .plot`);
    // As wide as its pane, so a phone shows the whole chart; below 240 px bars would be unreadable anyway.
    const W = Math.max(240, host.clientWidth);
    const H = 150;
    const left = 58;
    const top = 10;
    const ph = H - top - 20;
    const bw = (W - left - 6) / n;
    const vals = L.map((l) => (counted(l) ? l[m.key] : 0));
    const max = Math.max(1, ...vals);
    const logMax = Math.log10(Math.max(10, max));
    const h = (v: number): number =>
      v <= 0
        ? 0
        : scale === 'log'
          ? Math.max(1, (Math.log10(v) / logMax) * ph)
          : Math.max(v > 0 ? 0.5 : 0, (v / max) * ph);
    const out: string[] = [];
    // Axis: three linear ticks, or the powers of ten.
    const ticks =
      scale === 'log'
        ? Array.from({ length: Math.floor(logMax) + 1 }, (_, k) => 10 ** k).filter(
            (_, k, a) => a.length <= 7 || k % 2 === a.length % 2 || k === a.length - 1,
          )
        : [0, max / 2, max];
    for (const t of ticks) {
      const y = top + ph - (scale === 'log' ? (t <= 1 ? 0 : (Math.log10(t) / logMax) * ph) : (t / max) * ph);
      out.push(
        `<line class="grid" x1="${left}" x2="${W - 6}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}"/><text class="ticklab" x="${left - 4}" y="${(y + 3).toFixed(1)}" text-anchor="end">${esc(m.fmt(t).replace(/\.0+(?=\D|$)/, ''))}</text>`,
      );
    }
    for (let i = 0; i < n; i++) {
      const l = L[i]!;
      const cls = ['bar'];
      if (m.key === 'activationBytes' && l.kind === 'input') cls.push('input');
      if (diagOf(l).length) cls.push('diag');
      const x = left + i * bw;
      if (!counted(l)) {
        out.push(
          `<rect class="bar nc" style="fill:url(#nc-${m.key})" data-i="${i}" data-value="" x="${x.toFixed(2)}" y="${top}" width="${Math.max(bw - 0.3, 0.6).toFixed(2)}" height="${ph}"/>`,
        );
        continue;
      }
      const hh = h(vals[i]!);
      out.push(
        `<rect class="${cls.join(' ')}" data-i="${i}" data-value="${vals[i]}" x="${x.toFixed(2)}" y="${(top + ph - hh).toFixed(2)}" width="${Math.max(bw - (bw > 3 ? 1 : 0.2), 0.6).toFixed(2)}" height="${hh.toFixed(2)}"/>`,
      );
      if (diagOf(l).length)
        out.push(
          `<path class="diagmark" d="M${(x + bw / 2).toFixed(1)} ${(top + ph - hh - 2).toFixed(1)} l-5 -8 h10 z"/>`,
        );
    }
    out.push(`<line class="axis" x1="${left}" x2="${W - 6}" y1="${top + ph}" y2="${top + ph}"/>`);
    out.push(
      `<text class="ticklab" x="${left}" y="${H - 5}">first layer</text><text class="ticklab" x="${W - 6}" y="${H - 5}" text-anchor="end">last layer (${n} layers, in graph order)</text>`,
    );
    out.push(
      `<rect class="hov" x="0" y="${top}" width="0" height="${ph}"/><rect class="selmark" x="0" y="${top}" width="0" height="${ph}"/>`,
    );
    host.innerHTML = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" role="img"><defs><pattern id="nc-${m.key}" width="5" height="5" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="5" height="5" fill="#fff"/><line x1="0" y1="0" x2="0" y2="5" stroke="#9a5b00" stroke-width="2"/></pattern></defs>${out.join('')}</svg>`;
    const svg = host.querySelector('svg') as SVGSVGElement;
    charts.set(m.key, { svg, left, bw, top, ph });
    const at = (ev: MouseEvent): number => {
      const x = ev.clientX - svg.getBoundingClientRect().left - left;
      const i = Math.floor(x / bw);
      return i >= 0 && i < n ? i : -1;
    };
    const hov = svg.querySelector('.hov') as SVGRectElement;
    svg.addEventListener('mousemove', (ev) => {
      const i = at(ev);
      if (i < 0) {
        hov.setAttribute('width', '0');
        return hideTip();
      }
      // At least 3 px wide, so the hovered column shows even when bars are thinner.
      hov.setAttribute('x', (left + i * bw + Math.min(0, bw - 3) / 2).toFixed(2));
      hov.setAttribute('width', Math.max(bw, 3).toFixed(2));
      showTip(L[i]!, ev);
    });
    svg.addEventListener('mouseleave', () => {
      hov.setAttribute('width', '0');
      hideTip();
    });
    svg.addEventListener('click', (ev) => {
      const i = at(ev);
      if (i >= 0) select(i, 'chart');
    });
    if (selected >= 0) markChart(m.key, selected);
  }
  function markChart(key: string, i: number): void {
    const c = charts.get(key);
    if (!c) return;
    c.svg.querySelector('.bar.sel')?.classList.remove('sel');
    const mark = c.svg.querySelector('.selmark') as SVGRectElement;
    if (i < 0) return mark.setAttribute('width', '0');
    c.svg.querySelector(`.bar[data-i="${i}"]`)?.classList.add('sel');
    mark.setAttribute('x', (c.left + i * c.bw - 1).toFixed(2));
    mark.setAttribute('width', Math.max(c.bw + 2, 3).toFixed(2));
  }
  const drawCharts = (): void => METRICS.forEach(drawChart);
  // Charts are drawn before the table and graph exist: reading their width forces a layout, cheap while
  // the page is still short.
  drawCharts();
  performance.mark('netcensus:charts');
  // The graph pane's width, read while the layout is still clean (the table is not built yet).
  const graphPaneWidth = ($('#graph-pane') as HTMLElement).clientWidth;
  for (const b of Array.from(document.querySelectorAll<HTMLButtonElement>('#scale button'))) {
    b.addEventListener('click', () => {
      scale = b.dataset.scale as 'linear' | 'log';
      document.querySelectorAll('#scale button').forEach((x) => x.setAttribute('aria-pressed', String(x === b)));
      drawCharts();
    });
  }

  // ---- table ---------------------------------------------------------------------------------------
  type Col = {
    key: string;
    label: string;
    sub?: string;
    num?: boolean;
    cell: (l: Layer) => string;
    sort: (l: Layer) => number | string;
  };
  const figure =
    (key: 'params' | 'nonTrainableParams' | 'macs' | 'neurons', f = int) =>
    (l: Layer): string =>
      !counted(l) ? '<span class="nc">not counted</span>' : l[key] === 0 ? '<span class="dz">0</span>' : f(l[key]);
  const figSort =
    (key: string) =>
    (l: Layer): number =>
      counted(l) ? (l[key] as number) : -1;
  const COLS: Col[] = [
    { key: 'i', label: '#', num: true, cell: (l) => String(l.i), sort: (l) => l.i },
    {
      key: 'name',
      label: 'Layer',
      cell: (l) =>
        `<span class="ind"></span><span title="${esc(l.name)}">${esc(l.name)}</span>${
          diagOf(l).length
            ? ` <span class="flag" title="${esc(
                diagOf(l)
                  .map((d) => d.code)
                  .join(', '),
              )}">&#9888;</span>`
            : ''
        }`,
      sort: (l) => l.name,
    },
    { key: 'type', label: 'Type', cell: (l) => esc(typeText(l)), sort: (l) => typeText(l) },
    {
      key: 'outputShape',
      label: 'Output shape',
      sub: '(N, H, W, C)',
      cell: (l) => esc(shapeText(l.outputShape)),
      sort: (l) => l.outputShape.reduce((a, b) => a * b, 1),
    },
    { key: 'params', label: 'Params', sub: `(${conv})`, num: true, cell: figure('params'), sort: figSort('params') },
    {
      key: 'nonTrainableParams',
      label: 'Non-train.',
      sub: 'params',
      num: true,
      cell: figure('nonTrainableParams'),
      sort: figSort('nonTrainableParams'),
    },
    { key: 'macs', label: 'MACs', sub: '(weights)', num: true, cell: figure('macs'), sort: figSort('macs') },
    {
      key: 'neurons',
      label: 'Neurons',
      sub: '(seed 002)',
      num: true,
      cell: figure('neurons'),
      sort: figSort('neurons'),
    },
    {
      key: 'paramBytes',
      label: 'Param mem.',
      sub: '(float32)',
      num: true,
      cell: (l) =>
        counted(l)
          ? l.paramBytes
            ? bytes(l.paramBytes)
            : '<span class="dz">0 B</span>'
          : '<span class="nc">not counted</span>',
      sort: figSort('paramBytes'),
    },
    {
      key: 'activationBytes',
      label: 'Activations',
      sub: '(float32)',
      num: true,
      cell: (l) => (counted(l) ? bytes(l.activationBytes) : '<span class="nc">not counted</span>'),
      sort: figSort('activationBytes'),
    },
  ];
  if (data.verify) {
    COLS.push(
      {
        key: 'verify',
        label: 'Verify',
        cell: (l) => {
          const v = ver(l);
          return !v
            ? '<span class="dz">--</span>'
            : v[0]
              ? '<span class="vok">ok</span>'
              : '<span class="vbad">mismatch</span>';
        },
        sort: (l) => {
          const v = ver(l);
          return v ? (v[0] ? 1 : 0) : 2;
        },
      },
      {
        key: 'executed',
        label: 'Executed shape',
        sub: '(tfjs)',
        cell: (l) => {
          const v = ver(l);
          return v
            ? v[1].join() === v[2].join()
              ? esc(shapeText(v[2]))
              : `<span class="vbad">${esc(shapeText(v[2]))}</span>`
            : '';
        },
        sort: (l) => ver(l)?.[2].reduce((a, b) => a * b, 1) ?? -1,
      },
      {
        key: 'countParams',
        label: 'countParams()',
        sub: '(tfjs)',
        num: true,
        cell: (l) => {
          const v = ver(l);
          return v ? (v[3] === v[4] ? int(v[4]) : `<span class="vbad">${int(v[4])}</span>`) : '';
        },
        sort: (l) => ver(l)?.[4] ?? -1,
      },
    );
  }
  COLS.push({
    key: 'notes',
    label: 'Diagnostics',
    cell: (l) =>
      diagOf(l)
        .map((d) => `<span class="flag">${esc(d.code)}</span>`)
        .join(' '),
    sort: (l) => diagOf(l).length,
  });

  // Groups from scopes, in order of first appearance; each group lists its member layers.
  type Group = { id: string; depth: number; members: number[]; parent: string | null };
  const groups = new Map<string, Group>();
  for (const l of L) {
    const gs = data.groups[l.i] ?? [];
    gs.forEach((g, d) => {
      if (!groups.has(g)) groups.set(g, { id: g, depth: d, members: [], parent: d ? gs[d - 1]! : null });
      groups.get(g)!.members.push(l.i);
    });
  }
  const maxDepth = Math.max(0, ...Array.from(groups.values(), (g) => g.depth + 1));
  // Tree order: a group stands where its first member stands; its members follow it.
  type Item = { group?: Group; layer?: Layer; depth: number };
  const treeOrder: Item[] = [];
  {
    const children = new Map<string, Array<{ group?: Group; layer?: Layer }>>();
    const kids = (id: string) => children.get(id) ?? (children.set(id, []), children.get(id)!);
    const seen = new Set<string>();
    for (const l of L) {
      const gs = data.groups[l.i] ?? [];
      gs.forEach((g, d) => {
        if (!seen.has(g)) {
          seen.add(g);
          kids(d ? gs[d - 1]! : '').push({ group: groups.get(g)! });
        }
      });
      kids(gs.at(-1) ?? '').push({ layer: l });
    }
    const walk = (id: string, depth: number): void => {
      for (const c of children.get(id) ?? []) {
        treeOrder.push({ ...c, depth });
        if (c.group) walk(c.group.id, depth + 1);
      }
    };
    walk('', 0);
  }

  const table = $('#layer-table') as HTMLTableElement;
  const thead = table.createTHead();
  thead.innerHTML = `<tr>${COLS.map((c) => `<th tabindex="0" data-key="${c.key}" class="${c.num ? 'num' : ''} c-${c.key}" title="sort by ${esc(c.label)}${c.sub ? ` ${esc(c.sub)}` : ''}">${esc(c.label)}${c.sub ? `<div class="sub">${esc(c.sub)}</div>` : ''}</th>`).join('')}</tr>`;
  const tbody = table.createTBody();
  const ncol = COLS.length;
  // Each row is built once; sorting, filtering and collapsing only reorder or hide them.
  const rowHtml = (l: Layer): string =>
    `<tr class="layer${diagOf(l).length ? ' diag' : ''}" data-i="${l.i}">${COLS.map((c) => `<td class="${c.num ? 'num' : ''} c-${c.key}">${c.cell(l)}</td>`).join('')}</tr>`;
  const share = (g: Group, key: 'params' | 'macs'): string =>
    pct(
      g.members.reduce((s, i) => s + (counted(L[i]!) ? L[i]![key] : 0), 0),
      data.totals[key],
    );
  const notCounted = (g: Group): number => g.members.filter((i) => !counted(L[i]!)).length;
  const groupHtml = (g: Group): string =>
    `<tr class="grp" tabindex="0" data-g="${esc(g.id)}"><td colspan="${ncol}"><span class="gstick"><span class="ind"></span><span class="twisty">&#9662;</span>${esc(g.id)} <span class="muted small">${g.members.length} layers &middot; share of params (${esc(conv)}) ${share(g, 'params')} &middot; share of MACs (weights) ${share(g, 'macs')}${notCounted(g) ? ` &middot; <span class="nc">${notCounted(g)} not counted</span>` : ''}</span></span></td></tr>`;
  tbody.innerHTML = L.map(rowHtml).join('') + Array.from(groups.values(), groupHtml).join('');
  const layerRows = Array.from(tbody.querySelectorAll<HTMLTableRowElement>('tr.layer'));
  const groupRows = new Map(
    Array.from(tbody.querySelectorAll<HTMLTableRowElement>('tr.grp'), (tr) => [tr.dataset.g!, tr]),
  );
  const collapsed = new Set<string>();
  let sortKey = 'i';
  let sortDir: 1 | -1 = 1;
  let filter = '';

  function renderTable(): void {
    const f = filter.toLowerCase();
    const match = (l: Layer): boolean =>
      !f ||
      l.name.toLowerCase().includes(f) ||
      typeText(l).toLowerCase().includes(f) ||
      l.scope.toLowerCase().includes(f);
    const frag = document.createDocumentFragment();
    let shown = 0;
    const tree = sortKey === 'i' && sortDir === 1;
    if (tree) {
      for (const it of treeOrder) {
        const tr = it.group ? groupRows.get(it.group.id)! : layerRows[it.layer!.i]!;
        const anc = it.group ? ancestors(it.group.parent) : ancestors(data.groups[it.layer!.i]?.at(-1) ?? null);
        // A filter shows every match, collapsed or not.
        const visible = it.group
          ? f
            ? it.group.members.some((i) => match(L[i]!))
            : !anc.some((a) => collapsed.has(a))
          : match(it.layer!) && (f !== '' || !anc.some((a) => collapsed.has(a)));
        tr.hidden = !visible;
        (tr.querySelector('.ind') as HTMLElement).style.paddingLeft = `${it.depth * 14}px`;
        if (it.group)
          (tr.querySelector('.twisty') as HTMLElement).innerHTML =
            collapsed.has(it.group.id) && !f ? '&#9656;' : '&#9662;';
        if (visible && it.layer) shown++;
        frag.appendChild(tr);
      }
    } else {
      const col = COLS.find((c) => c.key === sortKey)!;
      const keyed = L.map((l) => [col.sort(l), l.i] as const);
      keyed.sort((a, b) => (a[0] < b[0] ? -sortDir : a[0] > b[0] ? sortDir : a[1] - b[1]));
      for (const [, i] of keyed) {
        const tr = layerRows[i]!;
        tr.hidden = !match(L[i]!);
        (tr.querySelector('.ind') as HTMLElement).style.paddingLeft = '0';
        if (!tr.hidden) shown++;
        frag.appendChild(tr);
      }
      for (const tr of groupRows.values()) {
        tr.hidden = true;
        frag.appendChild(tr);
      }
    }
    tbody.appendChild(frag);
    for (const th of Array.from(thead.querySelectorAll('th'))) {
      if (th.dataset.key === sortKey) th.setAttribute('aria-sort', sortDir === 1 ? 'ascending' : 'descending');
      else th.removeAttribute('aria-sort');
    }
    $('#table-count').textContent =
      `${shown} of ${n} layers shown${tree ? '' : ' (sorted: nesting shown again when sorted by #)'}`;
  }
  function ancestors(id: string | null): string[] {
    const out: string[] = [];
    for (let g = id; g; g = groups.get(g)?.parent ?? null) out.push(g);
    return out;
  }
  thead.addEventListener('click', (ev) => {
    const th = (ev.target as Element).closest('th');
    if (!th) return;
    const key = th.dataset.key!;
    const col = COLS.find((c) => c.key === key)!;
    if (key === sortKey) sortDir = sortDir === 1 ? -1 : 1;
    else {
      sortKey = key;
      // Figures sort largest first; names and types alphabetically.
      sortDir = col.num && key !== 'i' ? -1 : 1;
    }
    renderTable();
  });
  tbody.addEventListener('click', (ev) => {
    const tr = (ev.target as Element).closest('tr');
    if (!tr) return;
    if (tr.classList.contains('grp')) {
      const g = tr.dataset.g!;
      if (collapsed.has(g)) collapsed.delete(g);
      else collapsed.add(g);
      return renderTable();
    }
    select(Number(tr.dataset.i), 'table');
  });
  // Headers and groups answer Enter and Space as a click does.
  for (const part of [thead, tbody])
    part.addEventListener('keydown', (ev) => {
      const t = ev.target as HTMLElement;
      if ((ev.key === 'Enter' || ev.key === ' ') && (t.tagName === 'TH' || t.classList.contains('grp'))) {
        ev.preventDefault();
        t.click();
      }
    });
  tbody.addEventListener('mouseover', (ev) => {
    const tr = (ev.target as Element).closest('tr.layer') as HTMLTableRowElement | null;
    graphHover(tr ? Number(tr.dataset.i) : -1);
  });
  tbody.addEventListener('mouseleave', () => graphHover(-1));
  const filterBox = $('#filter') as HTMLInputElement;
  filterBox.addEventListener('input', () => {
    filter = filterBox.value.trim();
    renderTable();
  });
  const depthSel = $('#depth') as HTMLSelectElement;
  if (maxDepth === 0) {
    depthSel.disabled = true;
    depthSel.title = 'the layer names carry no nesting (no "." module paths or "/" nested models)';
  } else {
    depthSel.innerHTML = `<option value="">all levels open</option>${Array.from({ length: maxDepth }, (_, d) => `<option value="${d}">collapse below depth ${d}</option>`).join('')}`;
  }
  depthSel.addEventListener('change', () => {
    collapsed.clear();
    if (depthSel.value !== '')
      for (const g of groups.values()) if (g.depth >= Number(depthSel.value)) collapsed.add(g.id);
    sortKey = 'i';
    sortDir = 1;
    renderTable();
  });

  // ---- graph ---------------------------------------------------------------------------------------
  const G = data.graph;
  const gpane = $('#graph-pane');
  let colourBy: 'params' | 'macs' = 'params';
  const MIN_ZOOM = 0.05;
  const MAX_ZOOM = 3;
  const fitWidth = (w: number): number => Math.max(MIN_ZOOM, Math.min(1, (w - 4) / G.width));
  // Readable from the start: the whole width when that keeps text at 70% or more, else pan sideways.
  let zoom = Math.max(0.7, fitWidth(graphPaneWidth));
  // Consumers of each layer, for walking the graph down with the keyboard.
  const consumersOf = L.map(() => [] as number[]);
  for (const e of G.edges) if (!consumersOf[e[0]!]!.includes(e[1]!)) consumersOf[e[0]!]!.push(e[1]!);
  function drawGraph(): void {
    const out: string[] = [];
    for (const e of G.edges) {
      const pts: string[] = [];
      for (let k = 2; k < e.length; k += 2) pts.push(`${e[k]},${e[k + 1]}`);
      out.push(
        `<path class="edge" data-from="${e[0]}" data-to="${e[1]}" d="M${pts.join('L')}" marker-end="url(#arrow)"/>`,
      );
    }
    // One shape label per tensor: edges from the same source that carry the same shape share it.
    const labelled = new Set<string>();
    G.edges.forEach((e, k) => {
      const s = G.edgeShapes[k];
      if (!s || labelled.has(`${e[0]}:${s}`)) return;
      labelled.add(`${e[0]}:${s}`);
      out.push(`<text class="es" data-from="${e[0]}" x="${e[2]! + 5}" y="${e[3]! + 11}">${esc(s)}</text>`);
    });
    G.nodes.forEach(([x, y], i) => {
      const l = L[i]!;
      const cls = ['node'];
      if (diagOf(l).length) cls.push('diag');
      const v = ver(l);
      if (v && !v[0]) cls.push('mismatch');
      const [nm, ty] = G.labels[i]!;
      out.push(
        `<g class="${cls.join(' ')}" data-i="${i}" transform="translate(${x},${y})"><rect width="${G.widths[i]}" height="${G.nodeH}" rx="4"/>` +
          `<text class="nm" x="6" y="14">${esc(nm)}</text><text class="ty" x="6" y="27">${esc(ty)}</text></g>`,
      );
    });
    gpane.innerHTML = `<svg xmlns="http://www.w3.org/2000/svg" id="graph-svg" viewBox="0 0 ${G.width} ${G.height}"><defs><marker id="arrow" viewBox="0 0 8 8" refX="8" refY="4" markerWidth="6" markerHeight="6" orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="#9aa5b1"/></marker><pattern id="nc-hatch-g" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#fff"/><line x1="0" y1="0" x2="0" y2="6" stroke="#9a5b00" stroke-width="2"/></pattern></defs>${out.join('')}</svg>`;
    applyZoom();
    colourNodes();
  }
  const nodeEls = (): SVGGElement[] => Array.from(gpane.querySelectorAll<SVGGElement>('g.node'));
  function colourNodes(): void {
    const vals = L.map((l) => (counted(l) ? l[colourBy] : 0));
    const max = Math.max(1, ...vals);
    const total = colourBy === 'params' ? data.totals.params : data.totals.macs;
    for (const g of nodeEls()) {
      const i = Number(g.dataset.i);
      const rect = g.firstElementChild as SVGRectElement;
      if (!counted(L[i]!)) {
        rect.setAttribute('fill', 'url(#nc-hatch-g)');
        continue;
      }
      // Square root: the few huge layers (AlexNet's fc6) would otherwise leave every other node white.
      const t = Math.sqrt(vals[i]! / max);
      const mix = (a: number, b: number): number => Math.round(a + (b - a) * t);
      rect.setAttribute('fill', vals[i] === 0 ? '#eef0f3' : `rgb(${mix(232, 23)},${mix(240, 78)},${mix(250, 150)})`);
      g.classList.toggle('dark', t > 0.55);
    }
    const top = vals.indexOf(max);
    $('#graph-legend').innerHTML =
      `Fill: share of ${colourBy === 'params' ? `params (${esc(conv)} convention)` : 'MACs (weights convention)'}, square-root scale; darkest: ${esc(L[top]!.name)}, ${pct(max, total)} of the total. Edges: the shape of the tensor they carry (batch first). ` +
      `<span class="swatch" style="background:#eef0f3;border:1px solid #ccc"></span>none <span class="swatch" style="background:#fff;border:3px solid #c0262d"></span>diagnostic` +
      (data.verify
        ? ' <span class="swatch" style="background:#fff;border:3px dashed #9a5b00"></span>verify mismatch'
        : '');
  }
  function applyZoom(): void {
    const svg = gpane.querySelector('svg')!;
    svg.setAttribute('width', String(Math.round(G.width * zoom)));
    svg.setAttribute('height', String(Math.round(G.height * zoom)));
    // Shape labels below 45% would be specks: the overview shows the nodes only.
    svg.classList.toggle('far', zoom < 0.45);
    gpane.dataset.zoom = String(zoom);
    $('#zoom-level').textContent = `${Math.round(zoom * 100)}%`;
  }
  for (const b of Array.from(document.querySelectorAll<HTMLButtonElement>('#colour-by button'))) {
    b.addEventListener('click', () => {
      colourBy = b.dataset.by as 'params' | 'macs';
      document.querySelectorAll('#colour-by button').forEach((x) => x.setAttribute('aria-pressed', String(x === b)));
      colourNodes();
    });
  }
  /** Zooms keeping the graph point under (cx, cy), client coordinates, where it was: the pane's centre by default. */
  function setZoom(z: number, cx?: number, cy?: number): void {
    const p = gpane.getBoundingClientRect();
    const px = cx ?? p.left + gpane.clientWidth / 2;
    const py = cy ?? p.top + gpane.clientHeight / 2;
    const svg = gpane.querySelector('svg')!;
    const before = svg.getBoundingClientRect();
    const gx = (px - before.left) / zoom;
    const gy = (py - before.top) / zoom;
    zoom = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, z));
    applyZoom();
    // The svg is centred while narrower than the pane: measure where it landed, then scroll the point back.
    const after = svg.getBoundingClientRect();
    gpane.scrollLeft += after.left + gx * zoom - px;
    gpane.scrollTop += after.top + gy * zoom - py;
  }
  $('#zoom-in').addEventListener('click', () => setZoom(zoom * 1.25));
  $('#zoom-out').addEventListener('click', () => setZoom(zoom / 1.25));
  const fit = (): void => {
    setZoom(fitWidth(gpane.clientWidth));
    gpane.scrollLeft = 0;
  };
  $('#zoom-fit').addEventListener('click', fit);
  // Ctrl or Cmd + wheel, and a trackpad's pinch (which arrives as ctrl + wheel), zoom at the pointer; a plain
  // wheel scrolls the pane and the page as everywhere else, so the page can still be scrolled past the graph.
  gpane.addEventListener(
    'wheel',
    (ev) => {
      if (!ev.ctrlKey && !ev.metaKey) return;
      ev.preventDefault();
      const dy = ev.deltaMode === 1 ? ev.deltaY * 16 : ev.deltaY;
      setZoom(zoom * Math.min(2, Math.max(0.5, Math.exp(-dy * 0.002))), ev.clientX, ev.clientY);
    },
    { passive: false },
  );
  // Drag to pan (a mouse; touch scrolls the pane natively). A drag is no click: it selects nothing.
  let drag: { x: number; y: number; left: number; top: number; moved: boolean } | null = null;
  let dragged = false;
  gpane.addEventListener('pointerdown', (ev) => {
    if (ev.pointerType !== 'mouse' || ev.button !== 0) return;
    drag = { x: ev.clientX, y: ev.clientY, left: gpane.scrollLeft, top: gpane.scrollTop, moved: false };
  });
  gpane.addEventListener('pointermove', (ev) => {
    if (!drag) return;
    const dx = ev.clientX - drag.x;
    const dy = ev.clientY - drag.y;
    if (!drag.moved) {
      if (Math.abs(dx) + Math.abs(dy) < 4) return;
      drag.moved = true;
      gpane.setPointerCapture(ev.pointerId);
      gpane.classList.add('panning');
      hideTip();
    }
    gpane.scrollLeft = drag.left - dx;
    gpane.scrollTop = drag.top - dy;
  });
  const endDrag = (): void => {
    if (drag?.moved) {
      dragged = true;
      setTimeout(() => (dragged = false), 0);
    }
    drag = null;
    gpane.classList.remove('panning');
  };
  gpane.addEventListener('pointerup', endDrag);
  gpane.addEventListener('pointercancel', endDrag);
  gpane.addEventListener('click', (ev) => {
    if (dragged) return;
    const g = (ev.target as Element).closest('g.node') as SVGGElement | null;
    if (g) select(Number(g.dataset.i), 'graph');
  });
  // Keyboard: walk the graph (up: the first input, down: the first consumer, left/right: graph order), zoom.
  gpane.addEventListener('keydown', (ev) => {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const cur = selected;
    let next = -1;
    if (ev.key === '+' || ev.key === '=') setZoom(zoom * 1.25);
    else if (ev.key === '-' || ev.key === '_') setZoom(zoom / 1.25);
    else if (ev.key === '0') fit();
    else if (ev.key === 'ArrowDown') next = cur < 0 ? 0 : (consumersOf[cur]![0] ?? Math.min(n - 1, cur + 1));
    else if (ev.key === 'ArrowUp')
      next = cur < 0 ? 0 : (data.info[cur]!.inputs.find((x) => x[1] >= 0)?.[1] ?? Math.max(0, cur - 1));
    else if (ev.key === 'ArrowRight') next = Math.min(n - 1, cur + 1);
    else if (ev.key === 'ArrowLeft') next = Math.max(0, cur - 1);
    else if (ev.key === 'Home') next = 0;
    else if (ev.key === 'End') next = n - 1;
    else return;
    ev.preventDefault();
    if (next >= 0) select(next, 'key');
  });
  gpane.addEventListener('mousemove', (ev) => {
    if (drag?.moved) return;
    const g = (ev.target as Element).closest('g.node') as SVGGElement | null;
    if (g) showTip(L[Number(g.dataset.i)]!, ev);
    else hideTip();
  });
  gpane.addEventListener('mouseleave', hideTip);
  let hovered: Element | null = null;
  function graphHover(i: number): void {
    hovered?.classList.remove('hover');
    hovered = i >= 0 ? gpane.querySelector(`g.node[data-i="${i}"]`) : null;
    hovered?.classList.add('hover');
  }

  // ---- node details --------------------------------------------------------------------------------
  // Built with textContent only: every name here comes from the model file.
  const details = $('#node-details');
  const el = (tag: string, cls = '', text?: string): HTMLElement => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  };
  function showDetails(i: number): void {
    const l = L[i]!;
    const info = data.info[i]!;
    const box = el('div');
    box.appendChild(el('h3', 'dname', l.name));
    box.appendChild(el('div', 'dtype', typeText(l)));
    const section = (title: string, rows: Array<[string, string | Node]>): void => {
      if (!rows.length) return;
      box.appendChild(el('h4', '', title));
      const t = el('table', 'dtable');
      for (const [k, v] of rows) {
        const tr = el('tr');
        tr.appendChild(el('th', '', k));
        const td = el('td');
        if (typeof v === 'string') td.textContent = v;
        else td.appendChild(v);
        tr.appendChild(td);
        t.appendChild(tr);
      }
      box.appendChild(t);
    };
    const link = (j: number, label: string): Node => {
      const b = el('button', 'dlink', label) as HTMLButtonElement;
      b.type = 'button';
      b.title = 'select this layer';
      b.addEventListener('click', () => select(j, 'details'));
      return b;
    };
    const shapeOr = (s: number[] | null): string => (s ? shapeText(s) : '?');
    section('Layer', [
      ['op type', l.type],
      ['kind', l.kind],
      ...(l.detail ? ([['summary', l.detail]] as Array<[string, string]>) : []),
      ...(l.scope && l.scope !== l.name ? ([['scope', l.scope]] as Array<[string, string]>) : []),
    ]);
    section('Attributes', info.attrs);
    section(
      'Inputs',
      info.inputs.map(([ref, from, s]) => {
        const cell = el('span');
        cell.appendChild(from >= 0 ? link(from, ref) : el('span', '', ref));
        cell.appendChild(document.createTextNode(` ${shapeOr(s ?? (from >= 0 ? L[from]!.outputShape : null))}`));
        return [from >= 0 ? 'from' : 'tensor', cell];
      }),
    );
    const outputs = info.outputs.length ? info.outputs : [l.outputShape];
    section('Outputs', [
      ...outputs.map((s, k): [string, string] => [outputs.length > 1 ? `output ${k}` : 'shape', shapeText(s)]),
      ...(consumersOf[i]!.length
        ? ([
            [
              'to',
              (() => {
                const c = el('span');
                consumersOf[i]!.forEach((j, k) => {
                  if (k) c.appendChild(document.createTextNode(', '));
                  c.appendChild(link(j, L[j]!.name));
                });
                return c;
              })(),
            ],
          ] as Array<[string, Node]>)
        : []),
    ]);
    const figs: Array<[string, string]> = counted(l)
      ? [
          [`params (${conv})`, `${int(l.params)} (${pct(l.params, data.totals.params)} of total)`],
          ['non-trainable', int(l.nonTrainableParams)],
          ['MACs (weights)', `${int(l.macs)} (${pct(l.macs, data.totals.macs)} of total)`],
          ['neurons (seed 002)', int(l.neurons)],
          ['param memory', bytes(l.paramBytes)],
          ['activations', bytes(l.activationBytes)],
        ]
      : [['figures', 'not counted']];
    section('Parameters and cost', [
      ...figs,
      ...info.tensors.map(([name, s, role]): [string, string] => [name, `${shapeText(s)} ${role}`]),
    ]);
    const v = ver(l);
    section('Checks', [
      ...diagOf(l).map((d): [string, string] => [d.code, d.message]),
      ...(v
        ? ([['verify', v[0] ? 'ok' : `mismatch: executed ${shapeText(v[2])}, countParams() ${int(v[4])}`]] as Array<
            [string, string]
          >)
        : []),
    ]);
    details.replaceChildren(box);
    details.dataset.layer = l.name;
    details.scrollTop = 0;
  }

  // ---- selection -----------------------------------------------------------------------------------
  /** Scrolls a pane (not the page) to show an element; table rows scroll vertically only. */
  function scrollWithin(pane: Element, el: Element, horizontal: boolean): void {
    const p = pane.getBoundingClientRect();
    const r = el.getBoundingClientRect();
    if (r.top < p.top + 40 || r.bottom > p.bottom) pane.scrollTop += r.top - p.top - p.height / 2 + r.height / 2;
    if (horizontal && (r.left < p.left || r.right > p.right))
      pane.scrollLeft += r.left - p.left - p.width / 2 + r.width / 2;
  }
  function select(i: number, from: 'table' | 'graph' | 'chart' | 'alert' | 'key' | 'details'): void {
    selected = i;
    const l = L[i]!;
    tbody.querySelector('tr.sel')?.classList.remove('sel');
    const tr = layerRows[i]!;
    tr.classList.add('sel');
    if (tr.hidden) {
      // Open the groups around it; if a filter still hides it, drop the filter.
      for (const a of ancestors(data.groups[i]?.at(-1) ?? null)) collapsed.delete(a);
      renderTable();
      if (tr.hidden) {
        filter = '';
        filterBox.value = '';
        renderTable();
      }
    }
    if (from !== 'table') scrollWithin($('#table-pane'), tr, false);
    for (const m of METRICS) markChart(m.key, i);
    gpane.querySelector('g.node.sel')?.classList.remove('sel');
    gpane.querySelectorAll('.edge.hl').forEach((e) => e.classList.remove('hl'));
    const node = gpane.querySelector(`g.node[data-i="${i}"]`);
    node?.classList.add('sel');
    gpane.querySelectorAll(`.edge[data-from="${i}"], .edge[data-to="${i}"]`).forEach((e) => e.classList.add('hl'));
    if (node && from !== 'graph') scrollWithin(gpane, node, true);
    showDetails(i);
    $('#selection').innerHTML = `Selected: <b>${esc(l.name)}</b> (${esc(typeText(l))})`;
    if (from === 'alert') $('#layers').scrollIntoView({ block: 'start' });
  }
  document.querySelectorAll<HTMLButtonElement>('button.goto').forEach((b) =>
    b.addEventListener('click', () => {
      const i = L.findIndex((l) => l.name === b.dataset.layer);
      if (i >= 0) select(i, 'alert');
    }),
  );

  // ---- first render --------------------------------------------------------------------------------
  renderTable();
  performance.mark('netcensus:table');
  drawGraph();
  // A graph wider than its pane opens on its first layer, not on its left margin.
  if (G.width * zoom > graphPaneWidth && G.nodes.length)
    gpane.scrollLeft = (G.nodes[0]![0] + G.widths[0]! / 2) * zoom - graphPaneWidth / 2;
  performance.mark('netcensus:graph');
  let resizeTimer = 0;
  addEventListener('resize', () => {
    clearTimeout(resizeTimer);
    resizeTimer = window.setTimeout(drawCharts, 120);
  });
  performance.mark('netcensus:done');
  document.body.dataset.ready = 'true';
}
