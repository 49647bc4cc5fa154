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
    expect(tip).toContain('params (keras)');
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
    await page.locator(`#pairs g.lay[data-side="b"][data-pair="${fc6}"] rect`).hover();
    await page.waitForSelector('#tip:not([hidden])');
    expect(await page.textContent('#tip')).toContain('fan-in');
    await page.screenshot({ path: join(OUT, 'diff-seed-alexnet.png'), fullPage: true });
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
    const pairs = await page.$$eval('#pairs g.lay[data-side="b"]', (gs) => gs.map((g) => g.getAttribute('data-pair')));
    expect(pairs.length).toBeGreaterThan(0);
    await page.locator(`#pairs g.lay[data-side="b"][data-pair="${pairs[1]}"] rect`).hover();
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
