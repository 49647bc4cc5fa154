/**
 * The HTML reports in a real browser: Debian's Chromium, headless, driven by playwright-core. Each report
 * is written to disk and opened from file:// with every request but file:/data:/blob: aborted; the page
 * must request nothing, log no error, and show the census' own figures (compared with `summary --json`).
 * Screenshots go to .cache/report-browser/ for people to look at.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../src/backend.js';
import { census } from '../../src/census.js';
import { diffGraphs } from '../../src/diff.js';
import { zooModel } from '../../src/resolve.js';
import { verifyGraph } from '../../src/verify.js';
import { renderDiffReport, renderModelReport, writeReport, type ModelReportInput } from '../../src/report/index.js';
import { cli } from '../helpers.js';
import { modelInput, modelInputOf, recordedBench } from '../report-input.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const OUT = resolve('.cache/report-browser');
const KERAS_FILE = 'test/fixtures/keras/densenet121.json';

let browser: Browser | undefined;
let noBrowser: Error | undefined;

beforeAll(async () => {
  mkdirSync(OUT, { recursive: true });
  // Not a skip: without Chromium every test fails with the one line that says how to get it (a throwing
  // beforeAll would have vitest report the tests as skipped).
  if (!existsSync(CHROMIUM))
    noBrowser = new Error(
      `Chromium not found at ${CHROMIUM}: run "bash scripts/ensure-chromium.sh" (or set CHROMIUM_PATH)`,
    );
  else browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
});

afterAll(async () => {
  await browser?.close();
});

interface Opened {
  page: Page;
  /** Every URL the page asked for. */
  requests: string[];
  errors: string[];
  /** Every console message, of any level. */
  messages: string[];
  /** Every alert, confirm or prompt the page opened (each dismissed). */
  dialogs: string[];
}

/**
 * Opens a written report offline: anything but file:, data: and blob: is aborted and recorded. CSP
 * violations are collected in the page as they happen (`violations(page)`); Chromium logs each as a
 * console error too.
 */
async function open(file: string, viewport = { width: 1440, height: 900 }): Promise<Opened> {
  if (!browser) throw noBrowser;
  const page = await browser.newPage({ viewport });
  const requests: string[] = [];
  const errors: string[] = [];
  const messages: string[] = [];
  const dialogs: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('console', (m) => {
    messages.push(`${m.type()}: ${m.text()}`);
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('dialog', (d) => {
    dialogs.push(`${d.type()}: ${d.message()}`);
    void d.dismiss();
  });
  // Injected by the driver (outside the page's CSP), before any of the page's own script.
  await page.addInitScript(() => {
    const w = window as unknown as { __violations: string[] };
    w.__violations = [];
    document.addEventListener('securitypolicyviolation', (e) =>
      w.__violations.push(`${e.violatedDirective} ${e.blockedURI} line ${e.lineNumber}`),
    );
  });
  await page.route('**/*', (route) =>
    /^(file|data|blob):/.test(route.request().url()) ? route.continue() : route.abort(),
  );
  await page.goto(pathToFileURL(file).href);
  await page.waitForSelector('body[data-ready=true]', { timeout: 20_000 });
  return { page, requests, errors, messages, dialogs };
}

const violations = (page: Page): Promise<string[]> =>
  page.evaluate(() => (window as unknown as { __violations: string[] }).__violations);

function expectOffline(o: Opened, file: string): void {
  // The page itself is the only request: no script, style, font or image is fetched, not even from disk.
  expect(o.requests).toEqual([pathToFileURL(file).href]);
  expect(o.errors).toEqual([]);
}

const summaryJson = async (
  model: string,
): Promise<{
  totals: Record<string, number>;
  byConvention: Record<string, Record<string, unknown>>;
  layers: unknown[];
}> => {
  const r = await cli('summary', model, '--json');
  expect(r.code).toBe(0);
  return JSON.parse(r.out);
};

/** Bars of one chart: count, sum of the counted ones (the input excluded where the chart says so). */
const bars = (page: Page, key: string) =>
  page.$$eval(`#chart-${key} rect.bar`, (rs) => ({
    count: rs.length,
    sum: rs
      .filter((r) => !r.classList.contains('input') && r.getAttribute('data-value') !== '')
      .reduce((s, r) => s + Number(r.getAttribute('data-value')), 0),
  }));

const figureValue = (page: Page, id: string) =>
  page.$eval(`[data-figure="${id}"]`, (e) => Number(e.getAttribute('data-value')));

async function write(name: string, input: ModelReportInput): Promise<string> {
  const file = join(OUT, `${name}.html`);
  writeReport(file, renderModelReport(input));
  return file;
}

const cases: Array<{ name: string; model: string; verify?: boolean }> = [
  { name: 'alexnet', model: 'alexnet', verify: true },
  { name: 'alexnet-keras-seed', model: 'alexnet-keras-seed', verify: true },
  { name: 'resnet152', model: 'resnet152' },
  { name: 'densenet121-keras', model: KERAS_FILE },
];

describe('model report', () => {
  beforeAll(async () => {
    await useBackend('auto');
  });

  for (const c of cases) {
    it(`${c.name}: offline, no errors, one bar per layer, totals and figures as summary --json`, async () => {
      if (!browser) throw noBrowser;
      const { graph, input } = await modelInputOf(c.model);
      if (c.verify) input.verify = await verifyGraph(graph);
      const file = await write(c.name, input);
      const json = await summaryJson(c.model);
      const o = await open(file);
      const { page } = o;
      const n = json.layers.length;
      for (const [key, total] of [
        ['params', json.totals.params],
        ['macs', json.totals.macs],
        ['activationBytes', json.totals.activationBytes],
      ] as const) {
        const b = await bars(page, key);
        expect(b.count, `${key} bars`).toBe(n);
        expect(b.sum, `${key} bars add up to the census total`).toBe(total);
        expect(await page.$eval(`[data-total="${key}"]`, (e) => e.textContent)).toContain(
          total!.toLocaleString('en-US'),
        );
      }
      // The header's figures, each under its named convention.
      const bc = json.byConvention as Record<string, Record<string, number>>;
      for (const k of ['keras', 'pytorch']) expect(await figureValue(page, `params.${k}`)).toBe(bc.params![k]);
      for (const k of ['weights', 'torchinfo-1.8', 'torch-summary-1.3'])
        expect(await figureValue(page, `macs.${k}`)).toBe(bc.macs![k]);
      expect(await figureValue(page, 'flops.2xMACs')).toBe(bc.flops!['2xMACs']);
      expect(await figureValue(page, 'neurons.seed002')).toBe(bc.neurons!.seed002);
      expect(await figureValue(page, 'memory.activationBytes')).toBe(
        (bc.memory as unknown as { activationBytes: number }).activationBytes,
      );
      expect(await page.$$eval('#layer-table tbody tr.layer', (rs) => rs.length)).toBe(n);
      expect(await page.$$eval('#graph-pane g.node', (gs) => gs.length)).toBe(n);
      if (c.verify) {
        expect(await page.$$eval('#layer-table tbody tr.layer .vok', (x) => x.length)).toBe(
          input.verify!.layers.length,
        );
        expect(await page.textContent('[data-verify]')).toContain('countParams()');
      }
      await page.screenshot({ path: join(OUT, `${c.name}.png`) });
      expectOffline(o, file);
      await page.close();
    });
  }

  it('resnet152: sort by a click, tooltip on hover, graph-node click selects the row and the bars', async () => {
    const file = join(OUT, 'resnet152.html');
    const o = await open(file);
    const { page } = o;
    // Sort: largest MACs first, then smallest.
    await page.click('th[data-key="macs"]');
    expect(await page.getAttribute('th[data-key="macs"]', 'aria-sort')).toBe('descending');
    const c = census(zooModel('resnet152'));
    const top = [...c.layers].sort((a, b) => b.macs - a.macs || c.layers.indexOf(a) - c.layers.indexOf(b))[0]!;
    expect(await page.$eval('#layer-table tbody tr.layer:not([hidden])', (tr) => tr.children[1]!.textContent)).toBe(
      top.name,
    );
    await page.click('th[data-key="macs"]');
    expect(await page.getAttribute('th[data-key="macs"]', 'aria-sort')).toBe('ascending');
    await page.click('th[data-key="i"]');

    // Tooltip: hover the params bar of the largest layer; the tooltip shows its row.
    const fc = c.layers.findIndex((l) => l.name === 'fc');
    // hover() scrolls the bar into view first, as a person would.
    await page.locator(`#chart-params rect.bar[data-i="${fc}"]`).hover();
    await page.waitForSelector('#tip:not([hidden])');
    const tip = await page.textContent('#tip');
    expect(tip).toContain('fc');
    expect(tip).toContain(c.layers[fc]!.params.toLocaleString('en-US'));
    expect(tip).toContain(`params (${c.conventions.params})`);
    await page.screenshot({ path: join(OUT, 'resnet152-tooltip.png') });
    await page.mouse.move(5, 5);

    // Graph: click a node deep down the graph; its table row, bars and node are selected.
    const k = c.layers.findIndex((l) => l.name === 'layer3.20.conv2');
    await page.$eval(`#graph-pane g.node[data-i="${k}"]`, (g) => g.scrollIntoView({ block: 'center' }));
    await page.click(`#graph-pane g.node[data-i="${k}"]`);
    expect(await page.getAttribute(`#layer-table tr.layer[data-i="${k}"]`, 'class')).toContain('sel');
    expect(await page.$$eval('rect.bar.sel', (rs) => rs.map((r) => r.getAttribute('data-i')))).toEqual([
      String(k),
      String(k),
      String(k),
    ]);
    // The selected row was scrolled into the table's view.
    const inView = await page.$eval(`#layer-table tr.layer[data-i="${k}"]`, (tr) => {
      const p = document.getElementById('table-pane')!.getBoundingClientRect();
      const r = tr.getBoundingClientRect();
      return r.top >= p.top && r.bottom <= p.bottom;
    });
    expect(inView).toBe(true);
    await page.screenshot({ path: join(OUT, 'resnet152-selected.png') });

    // Collapse to the top level: only groups and top-level layers remain; a click opens a group.
    await page.selectOption('#depth', '0');
    const visible = () =>
      page.$$eval('#layer-table tbody tr:not([hidden])', (rs) =>
        rs.map((r) =>
          r.classList.contains('grp') ? `g:${r.getAttribute('data-g')}` : `l:${r.children[1]!.textContent}`,
        ),
      );
    const top0 = await visible();
    expect(top0).toEqual(expect.arrayContaining(['g:layer1', 'g:layer4', 'l:conv1', 'l:fc']));
    expect(top0.length).toBeLessThan(20);
    await page.click('#layer-table tr.grp[data-g="layer2"]');
    const opened = await visible();
    expect(opened).toContain('g:layer2.0');
    expect(opened).not.toContain('g:layer3.0');
    // Filter by type.
    await page.selectOption('#depth', '');
    await page.fill('#filter', 'Dense');
    expect(
      await page.$$eval('#layer-table tbody tr.layer:not([hidden])', (rs) => rs.map((r) => r.children[1]!.textContent)),
    ).toEqual(['fc']);
    await page.fill('#filter', '');

    // Log scale keeps one bar per layer.
    await page.click('#scale button[data-scale="log"]');
    expect((await bars(page, 'macs')).count).toBe(c.layers.length);
    await page.screenshot({ path: join(OUT, 'resnet152-full.png'), fullPage: true });
    expectOffline(o, file);
    await page.close();
  });

  it('alexnet-keras-seed: the missing Flatten is marked on layer "dense" in the banner, table, graph and charts', async () => {
    const file = join(OUT, 'alexnet-keras-seed.html');
    const o = await open(file);
    const { page } = o;
    const alert = page.locator('.alert[data-diagnostic="dense-on-feature-map"]');
    expect(await alert.getAttribute('data-layer')).toBe('dense');
    expect(await alert.isVisible()).toBe(true);
    // Visible without scrolling: in the first screenful.
    expect((await alert.boundingBox())!.y).toBeLessThan(900);
    const i = await page.$eval('#layer-table tr.layer.diag', (tr) => Number(tr.getAttribute('data-i')));
    expect(await page.$eval(`#layer-table tr.layer[data-i="${i}"]`, (tr) => tr.children[1]!.textContent)).toContain(
      'dense',
    );
    expect(await page.$$eval('#layer-table tr.layer.diag', (x) => x.length)).toBe(1);
    expect(await page.getAttribute(`#graph-pane g.node[data-i="${i}"]`, 'class')).toContain('diag');
    expect(await page.$$eval('rect.bar.diag', (rs) => rs.map((r) => r.getAttribute('data-i')))).toEqual([
      String(i),
      String(i),
      String(i),
    ]);
    // The banner's button selects the layer.
    await alert.locator('button.goto').click();
    expect(await page.getAttribute(`#layer-table tr.layer[data-i="${i}"]`, 'class')).toContain('sel');
    await page.screenshot({ path: join(OUT, 'alexnet-keras-seed-top.png') });
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(OUT, 'alexnet-keras-seed-full.png'), fullPage: true });
    // Published figures carry their verdicts.
    expectOffline(o, file);
    await page.close();
  });

  it('alexnet: published figures with their verdicts', async () => {
    const o = await open(join(OUT, 'alexnet.html'));
    const rows = await o.page.$$eval('#published tbody tr', (rs) =>
      rs.map((r) => ({ agrees: r.getAttribute('data-agrees'), verdict: r.children[4]!.textContent })),
    );
    expect(rows.length).toBeGreaterThan(3);
    expect(rows.some((r) => r.agrees === 'true' && /agrees/.test(r.verdict!))).toBe(true);
    expect(rows.some((r) => r.agrees === 'false' && /differs by/.test(r.verdict!))).toBe(true);
    await o.page.close();
  });

  it('optional layer fields: a layer not counted shows as such (never 0); Keras-style nested paths fold', async () => {
    const { input } = modelInput('alexnet');
    const c = structuredClone(input.census);
    const layers = c.layers as Array<(typeof c.layers)[number] & { counted?: boolean; path?: string }>;
    const fc6 = layers.findIndex((l) => l.name === 'fc6');
    layers[fc6]!.counted = false;
    for (const l of layers)
      l.path = `alexnet_0.5/${/^(fc|relu[67]|drop|prob)/.test(l.name) ? 'classifier/' : 'features/'}${l.name}`;
    const file = await write('alexnet-nested', { ...input, census: c });
    const o = await open(file);
    const { page } = o;
    const row = page.locator(`#layer-table tr.layer[data-i="${fc6}"]`);
    expect(await row.locator('td.c-params').textContent()).toBe('not counted');
    expect(await row.locator('td.c-macs').textContent()).toBe('not counted');
    for (const key of ['params', 'macs', 'activationBytes'])
      expect(await page.getAttribute(`#chart-${key} rect.bar[data-i="${fc6}"]`, 'class')).toContain('nc');
    await page.selectOption('#depth', '1');
    const groupsShown = await page.$$eval('#layer-table tbody tr.grp:not([hidden])', (rs) =>
      rs.map((r) => r.getAttribute('data-g')),
    );
    expect(groupsShown).toEqual(['alexnet_0.5', 'alexnet_0.5/features', 'alexnet_0.5/classifier']);
    expect(await page.$$eval('#layer-table tbody tr.layer:not([hidden])', (rs) => rs.length)).toBe(0);
    await page.click('#layer-table tr.grp[data-g="alexnet_0.5/classifier"]');
    expect(await row.isVisible()).toBe(true);
    await page.$eval('#layers', (e) => e.scrollIntoView());
    await page.screenshot({ path: join(OUT, 'alexnet-nested.png') });
    expectOffline(o, file);
    await page.close();
  });

  it('resnet50 with a benchmark: the chart and the table', async () => {
    const { input } = modelInput('resnet50', { bench: recordedBench() });
    const file = await write('resnet50-bench', input);
    const o = await open(file);
    expect(await o.page.$$eval('#bench .benchsvg svg rect', (r) => r.length)).toBeGreaterThan(5);
    expect(await o.page.$$eval('#bench table tbody tr', (r) => r.length)).toBeGreaterThanOrEqual(
      input.bench!.rows.length,
    );
    await o.page.$eval('#bench', (e) => e.scrollIntoView());
    await o.page.screenshot({ path: join(OUT, 'resnet50-bench.png') });
    expectOffline(o, file);
    await o.page.close();
  });
});

describe('diff report', () => {
  it('alexnet-keras-seed vs alexnet: the waterfall steps add up to the total delta', async () => {
    const ga = zooModel('alexnet-keras-seed');
    const gb = zooModel('alexnet');
    const d = diffGraphs(ga, gb);
    const file = join(OUT, 'diff-seed-alexnet.html');
    writeReport(
      file,
      renderDiffReport({
        diff: d,
        a: census(ga, { params: d.a.convention }),
        b: census(gb, { params: d.b.convention }),
      }),
    );
    const json = JSON.parse((await cli('diff', 'alexnet-keras-seed', 'alexnet', '--json')).out);
    const o = await open(file);
    const { page } = o;
    for (const m of ['params', 'macs'] as const) {
      const wf = await page.$eval(`.wf[data-measure="${m}"]`, (f) => ({
        delta: Number(f.getAttribute('data-delta')),
        a: Number(f.getAttribute('data-a')),
        b: Number(f.getAttribute('data-b')),
        steps: Array.from(f.querySelectorAll('rect.step.cause'), (r) => Number(r.getAttribute('data-value'))),
      }));
      expect(wf.delta).toBe(json.delta[m]);
      expect(wf.steps.reduce((s, v) => s + v, 0)).toBe(json.delta[m]);
      expect(wf.a + wf.steps.reduce((s, v) => s + v, 0)).toBe(wf.b);
      expect([wf.a, wf.b]).toEqual([json.a[m], json.b[m]]);
    }
    expect(
      await page.$$eval('.wf[data-measure="params"] rect.step.cause', (rs) =>
        rs.map((r) => r.getAttribute('data-cause')).sort(),
      ),
    ).toEqual(['fan-in', 'grouping']);
    // Aligned pairs are joined; hovering one shows its causes.
    const joined = await page.$$eval('#pairs path.pair', (ps) => ps.length);
    expect(joined).toBe(
      json.pairs.filter((p: { a: string | null; b: string | null }) => p.a !== null && p.b !== null).length,
    );
    const fc6 = json.pairs.findIndex((p: { b: string }) => p.b === 'fc6');
    await page.locator(`#pairs .lay[data-side="b"][data-pair="${fc6}"]`).hover();
    await page.waitForSelector('#tip:not([hidden])');
    expect(await page.textContent('#tip')).toContain('fan-in');
    await page.screenshot({ path: join(OUT, 'diff-seed-alexnet.png'), fullPage: true });
    expectOffline(o, file);
    await page.close();
  });
});

/**
 * A phone (390 px) and a desktop (1400 px): nothing wider than the window (wide tables scroll in their own
 * box), the totals cards whole, both models of a diff side by side, the graph readable at its first zoom.
 */
describe('narrow and wide windows', () => {
  const WIDTHS = [
    { width: 390, height: 844 },
    { width: 1400, height: 900 },
  ];
  const models = [
    { name: 'wide-resnet152', model: 'resnet152' },
    { name: 'wide-googlenet-onnx', model: 'test/fixtures/onnx/googlenet.onnx' },
    { name: 'wide-densenet121-keras', model: KERAS_FILE },
  ];
  const diffs = [
    { name: 'wide-diff-seed-alexnet', a: 'alexnet-keras-seed', b: 'alexnet' },
    { name: 'wide-diff-alexnet-vgg16', a: 'alexnet', b: 'vgg16' },
  ];

  beforeAll(async () => {
    await useBackend('auto');
  });

  /** Boxes that stick out of the window (by more than half a pixel), and the page's own width. */
  const overflow = (page: Page, selector: string) =>
    page.evaluate((sel) => {
      const out = Array.from(document.querySelectorAll(sel)).flatMap((e) => {
        const r = e.getBoundingClientRect();
        return r.left < -0.5 || r.right > innerWidth + 0.5
          ? [`${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ''}.${e.className} ${r.left}..${r.right}`]
          : [];
      });
      return { scrollWidth: document.documentElement.scrollWidth, innerWidth, out };
    }, selector);

  /** Graph labels cut short ('…'), or longer than their node, as the browser measures them. */
  const badLabels = (page: Page) =>
    page.$$eval('#graph-pane g.node', (gs) =>
      gs.flatMap((g) => {
        const w = Number(g.querySelector('rect')!.getAttribute('width'));
        return Array.from(g.querySelectorAll('text'))
          .filter((t) => t.textContent!.endsWith('\u2026') || t.getComputedTextLength() + 6 > w)
          .map((t) => t.textContent!);
      }),
    );

  for (const m of models) {
    it(`${m.name}: at 390 and 1400 px no page overflow, the cards whole, the graph's labels whole`, async () => {
      if (!browser) throw noBrowser;
      const file = await write(m.name, (await modelInputOf(m.model)).input);
      for (const viewport of WIDTHS) {
        const o = await open(file, viewport);
        const { page } = o;
        const at = `${m.name} at ${viewport.width}`;
        const o1 = await overflow(page, '.cardgroup, .scroll-x, #graph-pane, #node-details, #table-pane, .plot svg');
        expect(o1.scrollWidth, at).toBeLessThanOrEqual(viewport.width);
        expect(o1.out, at).toEqual([]);
        // Every figure of every card is inside the window, not cut by its card.
        const figs = await page.$$eval(
          '.cardgroup .fig',
          (fs) =>
            fs.filter((f) => f.scrollWidth > f.clientWidth + 1 || f.getBoundingClientRect().right > innerWidth).length,
        );
        expect(figs, at).toBe(0);
        await page.$eval('#layers', (e) => e.scrollIntoView());
        expect(await badLabels(page), at).toEqual([]);
        // The layer table is wider than a phone: it scrolls inside its pane (laid out once in view).
        await page.$eval('#table-pane', (e) => e.scrollIntoView());
        const table = await page.$eval('#table-pane', (p) => ({ client: p.clientWidth, scroll: p.scrollWidth }));
        if (viewport.width === 390) expect(table.scroll, at).toBeGreaterThan(table.client);
        await page.$eval('#layers', (e) => e.scrollIntoView());
        const zoom = Number(await page.getAttribute('#graph-pane', 'data-zoom'));
        expect(zoom, at).toBeGreaterThanOrEqual(0.7);
        if (viewport.width === 1400) {
          expect(await page.$eval('#graph-pane', (p) => p.clientWidth)).toBeGreaterThanOrEqual(900);
          // Side by side with the graph, the details panel is in view at the same time.
          const d = (await page.locator('#node-details').boundingBox())!;
          expect(d.x + d.width).toBeLessThanOrEqual(viewport.width);
        }
        await page.screenshot({ path: join(OUT, `${m.name}-${viewport.width}-layers.png`) });
        await page.evaluate(() => window.scrollTo(0, 0));
        await page.screenshot({ path: join(OUT, `${m.name}-${viewport.width}.png`) });
        expectOffline(o, file);
        await page.close();
      }
    });
  }

  for (const d of diffs) {
    it(`${d.name}: at 390 and 1400 px no page overflow; both models side by side, their names readable`, async () => {
      if (!browser) throw noBrowser;
      const ga = zooModel(d.a);
      const gb = zooModel(d.b);
      const r = diffGraphs(ga, gb);
      const file = join(OUT, `${d.name}.html`);
      writeReport(
        file,
        renderDiffReport({
          diff: r,
          a: census(ga, { params: r.a.convention }),
          b: census(gb, { params: r.b.convention }),
        }),
      );
      for (const viewport of WIDTHS) {
        const o = await open(file, viewport);
        const { page } = o;
        const at = `${d.name} at ${viewport.width}`;
        const o1 = await overflow(page, '.scroll-x, figure.wf, .sbs-pane, .sbs-head, #pairs .lay');
        expect(o1.scrollWidth, at).toBeLessThanOrEqual(viewport.width);
        expect(o1.out, at).toEqual([]);
        for (const side of ['a', 'b']) {
          const head = (await page.locator(`.sbs-head[data-side="${side}"]`).boundingBox())!;
          expect(head.width, `${at}: ${side}'s heading`).toBeGreaterThan(100);
          // Each model's first layer: its box in the window, its name shown for at least 6 characters' room.
          const first = page.locator(`#pairs .lay[data-side="${side}"]`).first();
          const box = (await first.boundingBox())!;
          expect(box.x).toBeGreaterThanOrEqual(0);
          expect(box.x + box.width).toBeLessThanOrEqual(viewport.width);
          expect(await first.locator('.nm').evaluate((e) => e.clientWidth), at).toBeGreaterThan(40);
        }
        // A's column left of B's: side by side, not one below the other.
        const a = (await page.locator('.sbs-head[data-side="a"]').boundingBox())!;
        const b = (await page.locator('.sbs-head[data-side="b"]').boundingBox())!;
        expect(a.x + a.width).toBeLessThan(b.x);
        // The waterfall's bars stay inside their figure.
        const bars = await page.$$eval(
          '.wf rect.step',
          (rs) =>
            rs.filter((x) => {
              const f = x.closest('figure')!.getBoundingClientRect();
              const r = x.getBoundingClientRect();
              return r.left < f.left - 0.5 || r.right > f.right + 0.5;
            }).length,
        );
        expect(bars, at).toBe(0);
        await page.screenshot({ path: join(OUT, `${d.name}-${viewport.width}.png`) });
        await page.$eval('#pairs', (e) => e.scrollIntoView());
        await page.screenshot({ path: join(OUT, `${d.name}-${viewport.width}-pairs.png`) });
        expectOffline(o, file);
        await page.close();
      }
    });
  }

  it('the graph: zoom (buttons, Ctrl + wheel, keys, fit), pan by dragging, node details, shapes on edges', async () => {
    const file = join(OUT, 'wide-resnet152.html');
    const c = census(zooModel('resnet152'));
    const o = await open(file, WIDTHS[1]);
    const { page } = o;
    const pane = page.locator('#graph-pane');
    const zoom = async (): Promise<number> => Number(await pane.getAttribute('data-zoom'));
    await page.$eval('#layers', (e) => e.scrollIntoView());
    expect(await zoom()).toBe(1);
    const gw = await page.$eval('#graph-svg', (s) => (s as unknown as SVGSVGElement).viewBox.baseVal.width);
    // Buttons: in by 1.25, out, fit the width.
    await page.click('#zoom-in');
    expect(await zoom()).toBeCloseTo(1.25);
    expect(Number(await page.getAttribute('#graph-svg', 'width'))).toBe(Math.round(gw * 1.25));
    expect(await page.textContent('#zoom-level')).toBe('125%');
    await page.click('#zoom-out');
    await page.click('#zoom-out');
    expect(await zoom()).toBeCloseTo(0.8);
    await page.click('#zoom-fit');
    expect(Number(await page.getAttribute('#graph-svg', 'width'))).toBeLessThanOrEqual(
      await pane.evaluate((p) => p.clientWidth),
    );
    // Ctrl + wheel zooms at the pointer; a plain wheel scrolls the pane and leaves the zoom alone.
    const box = (await pane.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    const z0 = await zoom();
    await page.keyboard.down('Control');
    await page.mouse.wheel(0, -200);
    await page.keyboard.up('Control');
    await page.waitForFunction((z) => Number(document.getElementById('graph-pane')!.dataset.zoom) > z, z0);
    const z1 = await zoom();
    const top0 = await pane.evaluate((p) => p.scrollTop);
    await page.mouse.wheel(0, 300);
    await page.waitForFunction((t) => document.getElementById('graph-pane')!.scrollTop > t, top0);
    expect(await zoom()).toBe(z1);
    // Drag to pan: the pane scrolls with the mouse, and the drag selects nothing.
    const top1 = await pane.evaluate((p) => p.scrollTop);
    await page.mouse.move(box.x + 40, box.y + box.height - 40);
    await page.mouse.down();
    await page.mouse.move(box.x + 40, box.y + box.height - 140, { steps: 5 });
    await page.mouse.move(box.x + 40, box.y + box.height - 240, { steps: 5 });
    await page.mouse.up();
    expect(await pane.evaluate((p) => p.scrollTop)).toBeGreaterThanOrEqual(top1 + 190);
    expect(await page.getAttribute('#node-details', 'data-layer')).toBeNull();

    // Fit: back to 100%, as ResNet-152 is narrower than the pane. Click conv1: its details, as the census has them.
    await page.click('#zoom-fit');
    expect(await zoom()).toBe(1);
    const k = c.layers.findIndex((l) => l.name === 'conv1');
    const conv1 = c.layers[k]!;
    await page.$eval(`#graph-pane g.node[data-i="${k}"]`, (g) => g.scrollIntoView({ block: 'center' }));
    await page.click(`#graph-pane g.node[data-i="${k}"]`);
    expect(await page.getAttribute('#node-details', 'data-layer')).toBe('conv1');
    // Each section of the details as {row: value}.
    const sections = await page.$$eval('#node-details h4', (hs) =>
      Object.fromEntries(
        hs.map((h) => [
          h.textContent,
          Object.fromEntries(
            Array.from(h.nextElementSibling!.querySelectorAll('tr'), (tr) => [
              tr.children[0]!.textContent,
              tr.children[1]!.textContent,
            ]),
          ),
        ]),
      ),
    );
    const rows = { ...sections.Layer, ...sections.Attributes, ...sections.Inputs, ...sections.Outputs };
    expect(rows['op type']).toBe('Conv2D');
    expect(rows.kind).toBe('conv2d');
    expect(rows.filters).toBe('64');
    expect(rows.kernel).toBe('[7, 7]');
    expect(rows.strides).toBe('[2, 2]');
    expect(rows.from).toBe(`input [${c.layers[0]!.outputShape.join(', ')}]`);
    expect(rows.shape).toBe(`[${conv1.outputShape.join(', ')}]`);
    const cost = sections['Parameters and cost']!;
    expect(cost[`params (${c.conventions.params})`]).toContain(conv1.params.toLocaleString('en-US'));
    expect(cost.kernel).toBe('[7, 7, 3, 64] weight');
    // Its outgoing edge carries its output shape.
    expect(await page.textContent(`#graph-pane text.es[data-from="${k}"]`)).toBe(conv1.outputShape.join('\u00d7'));
    expect(await page.$$eval('#graph-pane text.es', (t) => t.length)).toBeGreaterThan(c.layers.length / 2);
    // The input's name is a link to it.
    await page.click('#node-details button.dlink');
    expect(await page.getAttribute('#node-details', 'data-layer')).toBe('input');
    expect(await page.getAttribute(`#layer-table tr.layer[data-i="0"]`, 'class')).toContain('sel');

    // Keyboard: down to a consumer, up to an input, +/- zoom, 0 fits.
    await pane.focus();
    await page.keyboard.press('ArrowDown');
    expect(await page.getAttribute('#node-details', 'data-layer')).toBe('conv1');
    await page.keyboard.press('ArrowDown');
    expect(await page.getAttribute('#node-details', 'data-layer')).toBe(c.layers[k + 1]!.name);
    await page.keyboard.press('ArrowUp');
    expect(await page.getAttribute('#node-details', 'data-layer')).toBe('conv1');
    const z2 = await zoom();
    await page.keyboard.press('+');
    expect(await zoom()).toBeCloseTo(z2 * 1.25);
    await page.keyboard.press('-');
    await page.keyboard.press('0');
    expect(Number(await page.getAttribute('#graph-svg', 'width'))).toBeLessThanOrEqual(
      await pane.evaluate((p) => p.clientWidth),
    );
    // Every control is reachable by Tab: the graph pane, the zoom buttons and the table's headers.
    expect(await pane.getAttribute('tabindex')).toBe('0');
    await page.focus('th[data-key="macs"]');
    await page.keyboard.press('Enter');
    expect(await page.getAttribute('th[data-key="macs"]', 'aria-sort')).toBe('descending');
    await page.screenshot({ path: join(OUT, 'wide-resnet152-1400-details.png') });
    expectOffline(o, file);
    await page.close();
  });

  it('on a phone: a tap on a node shows its details below the graph, inside the window', async () => {
    const file = join(OUT, 'wide-googlenet-onnx.html');
    const o = await open(file, WIDTHS[0]);
    const { page } = o;
    await page.$eval('#layers', (e) => e.scrollIntoView());
    const i = await page.$eval('#graph-pane g.node:nth-of-type(5)', (g) => {
      g.scrollIntoView({ block: 'center', inline: 'center' });
      return Number(g.getAttribute('data-i'));
    });
    await page.click(`#graph-pane g.node[data-i="${i}"]`);
    const name = await page.$eval(`#layer-table tr.layer[data-i="${i}"]`, (tr) => tr.children[1]!.textContent);
    expect(await page.getAttribute('#node-details', 'data-layer')).toBe(name);
    const d = (await page.locator('#node-details').boundingBox())!;
    const g = (await page.locator('#graph-pane').boundingBox())!;
    expect(d.y).toBeGreaterThanOrEqual(g.y + g.height);
    expect(d.x + d.width).toBeLessThanOrEqual(390);
    expect((await overflow(page, '#node-details')).scrollWidth).toBeLessThanOrEqual(390);
    await page.$eval('#node-details', (e) => e.scrollIntoView());
    await page.screenshot({ path: join(OUT, 'wide-googlenet-onnx-390-details.png') });
    expectOffline(o, file);
    await page.close();
  });
});

describe('report files', () => {
  it('the resnet152 report stays small and carries no external reference', () => {
    if (!browser) throw noBrowser;
    const html = readFileSync(join(OUT, 'resnet152.html'), 'utf8');
    expect(html.length).toBeLessThan(2e6);
    expect(html).not.toMatch(/\b(src|href)\s*=\s*["']?(https?:)?\/\//i);
  });
});

/**
 * Names from a hostile file: each payload, if it ever became markup or script, would set a window flag,
 * log "PWNED" and open an alert. The report must show them as text, run its own script and nothing else.
 */
describe('hostile names', () => {
  const PAYLOADS = {
    model: `<script>window.__pwned='model';console.log('PWNED model');alert('PWNED')</script>model`,
    input: `javascript:window.__pwned='js';alert('PWNED')`,
    img: `<img src=x onerror="window.__pwned='img';console.log('PWNED img');alert('PWNED')">`,
    script: `</script><script>window.__pwned='script';console.log('PWNED script');alert('PWNED')</script>`,
    svg: `"><svg onload="window.__pwned='svg';console.log('PWNED svg');alert('PWNED')">`,
    attr: `' autofocus onfocus='window.__pwned="attr";alert("PWNED")' x='`,
  };
  const dir = join(OUT, 'hostile');
  const keras = (units: number): string =>
    JSON.stringify({
      class_name: 'Sequential',
      config: {
        name: PAYLOADS.model,
        layers: [
          { class_name: 'InputLayer', config: { batch_input_shape: [null, 8], name: PAYLOADS.input } },
          ...[PAYLOADS.img, PAYLOADS.script, PAYLOADS.svg, PAYLOADS.attr].map((name, i) => ({
            class_name: 'Dense',
            config: { name, units: i === 0 ? units : 4 },
          })),
        ],
      },
    });

  beforeAll(() => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'hostile.json'), keras(6));
    writeFileSync(join(dir, 'hostile-wider.json'), keras(10));
  });

  /** No payload ran, none became an element or a handler, and the page's own script ran under its CSP. */
  async function expectInert(o: Opened, file: string): Promise<void> {
    const { page } = o;
    expect(await page.evaluate(() => (window as unknown as { __pwned?: string }).__pwned)).toBeUndefined();
    expect(o.dialogs).toEqual([]);
    expect(o.messages.filter((m) => m.includes('PWNED'))).toEqual([]);
    expect(await violations(page)).toEqual([]);
    const dom = await page.evaluate(() => ({
      scripts: document.querySelectorAll('script').length,
      injected: document.querySelectorAll('img, iframe, object, embed, body svg svg').length,
      handlers: Array.from(document.querySelectorAll('*')).flatMap((e) =>
        Array.from(e.attributes)
          .filter(
            (a) =>
              /^on/i.test(a.name) ||
              (/^(href|src|xlink:href|action|formaction)$/i.test(a.name) && /javascript:/i.test(a.value)),
          )
          .map((a) => `${e.tagName} ${a.name}`),
      ),
    }));
    expect(dom).toEqual({ scripts: 2, injected: 0, handlers: [] });
    expectOffline(o, file);
  }

  /** The page's text outside its scripts: what a person reads. */
  const shownText = (page: Page): Promise<string> =>
    page.evaluate(() => {
      const body = document.body.cloneNode(true) as HTMLElement;
      body.querySelectorAll('script').forEach((s) => s.remove());
      return body.textContent ?? '';
    });

  it('report --out: every name shown as text, the client script ran, nothing injected ran', async () => {
    const file = join(dir, 'hostile.report.html');
    const r = await cli('report', join(dir, 'hostile.json'), '--out', file);
    expect(r.code, r.err).toBe(0);
    const o = await open(file);
    const { page } = o;
    expect(await page.title()).toContain(PAYLOADS.model);
    // Rendered by the client script: one table row and one graph node per layer, named as in the file.
    const names = await page.$$eval('#layer-table tbody tr.layer', (rs) => rs.map((r) => r.children[1]!.textContent));
    expect(names).toEqual([PAYLOADS.input, PAYLOADS.img, PAYLOADS.script, PAYLOADS.svg, PAYLOADS.attr]);
    expect(await page.$$eval('#graph-pane g.node', (gs) => gs.length)).toBe(names.length);
    const text = await shownText(page);
    for (const p of Object.values(PAYLOADS)) expect(text).toContain(p);
    // The client's own innerHTML paths with a name: the tooltip and the selection line.
    await page.locator('#chart-params rect.bar[data-i="1"]').hover();
    await page.waitForSelector('#tip:not([hidden])');
    expect(await page.textContent('#tip')).toContain(PAYLOADS.img);
    await page.mouse.move(5, 5);
    await page.$eval('#graph-pane g.node[data-i="2"]', (g) => g.scrollIntoView({ block: 'center' }));
    await page.click('#graph-pane g.node[data-i="2"]');
    expect(await page.textContent('#selection')).toContain(PAYLOADS.script);
    // The node details: the name, and its inputs' names (links to the layers), as text.
    const details = await page.textContent('#node-details');
    expect(details).toContain(PAYLOADS.script);
    expect(details).toContain(PAYLOADS.img);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(OUT, 'hostile-report.png'), fullPage: true });
    await expectInert(o, file);
    await page.close();
  });

  it('diff --out: every name shown as text, the hover script ran, nothing injected ran', async () => {
    const file = join(dir, 'hostile.diff.html');
    const r = await cli('diff', join(dir, 'hostile.json'), join(dir, 'hostile-wider.json'), '--out', file);
    expect(r.code, r.err).toBe(0);
    const o = await open(file);
    const { page } = o;
    const text = await shownText(page);
    // The input layer is no pair: the side-by-side view shows it, cut short.
    for (const p of [PAYLOADS.model, PAYLOADS.img, PAYLOADS.script, PAYLOADS.svg, PAYLOADS.attr])
      expect(text).toContain(p);
    expect(text).toContain(PAYLOADS.input.slice(0, 20));
    const pairs = await page.$$eval('#pairs .lay[data-side="b"]', (gs) => gs.map((g) => g.getAttribute('data-pair')));
    expect(pairs.length).toBeGreaterThan(0);
    await page.locator(`#pairs .lay[data-side="b"][data-pair="${pairs[1]}"]`).hover();
    await page.waitForSelector('#tip:not([hidden])');
    expect(await page.textContent('#tip')).toContain(PAYLOADS.img);
    await page.screenshot({ path: join(OUT, 'hostile-diff.png'), fullPage: true });
    await expectInert(o, file);
    await page.close();
  });

  it('an escaping slip: markup spliced into a report stays inert under its CSP; the own script still runs', async () => {
    const { input } = modelInput('alexnet');
    const slip =
      `<script>window.__pwned='slip';alert('PWNED')</script>` +
      `<img src=x onerror="window.__pwned='slip-img';alert('PWNED')">` +
      `<svg onload="window.__pwned='slip-svg';alert('PWNED')"></svg>`;
    const html = renderModelReport(input).replace('<body>', `<body>\n${slip}`);
    expect(html).toContain(slip);
    const file = join(dir, 'slip.html');
    writeReport(file, html);
    // open() waits for the own script to mark the body ready: it ran under the pinned hash.
    const o = await open(file);
    const { page } = o;
    expect(await page.evaluate(() => (window as unknown as { __pwned?: string }).__pwned)).toBeUndefined();
    expect(o.dialogs).toEqual([]);
    expect(await page.$$eval('#layer-table tbody tr.layer', (rs) => rs.length)).toBe(input.census.layers.length);
    // Each injected piece was refused (the script and the handlers by script-src, the image's file by
    // img-src), and Chromium said so.
    const v = await violations(page);
    expect(v.filter((x) => /^script-src/.test(x)).length).toBeGreaterThanOrEqual(2);
    for (const x of v) expect(x).toMatch(/^(script-src|img-src)/);
    expect(o.errors.length).toBe(v.length);
    for (const e of o.errors) expect(e).toMatch(/Content Security Policy/);
    await page.close();
  });
});
