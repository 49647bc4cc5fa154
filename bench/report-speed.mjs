#!/usr/bin/env node
/**
 * Speed and size targets of the HTML report (a benchmark, never a timed test):
 *  - writing the report for resnet152 (census + diagnostics + layout + HTML + file): under 2 s;
 *  - its first render in Chromium (navigation start to the first contentful paint, which comes after the
 *    page script has drawn everything): under 1 s;
 *  - its file size: under 2 MB.
 * Also measured for alexnet and the Keras DenseNet-121 import, and sorting the resnet152 table by a click.
 * Usage: npm run build && node bench/report-speed.mjs   (Chromium at /usr/bin/chromium or $CHROMIUM_PATH)
 * Reports land in .cache/report-bench/.
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { census } = await import(join(root, 'dist/src/census.js'));
const { diagnose } = await import(join(root, 'dist/src/diagnose.js'));
const { resolveModel } = await import(join(root, 'dist/src/resolve.js'));
const { ZOO } = await import(join(root, 'dist/models/index.js'));
const { renderModelReport, writeReport } = await import(join(root, 'dist/src/report/index.js'));

const outDir = join(root, '.cache', 'report-bench');
mkdirSync(outDir, { recursive: true });

/** What `netcensus report` does for a model, timed from the model name to the file on disk. */
async function writeFor(model, file) {
  const t0 = performance.now();
  const graph = await resolveModel(model);
  const c = census(graph);
  const diagnostics = diagnose(graph, { zoo: ZOO });
  // Verdicts do not matter for timing; the figures do: one per published figure, as the CLI passes them.
  const published = (graph.published ?? []).map((f) => ({
    source: f.source,
    text: f.text,
    value: f.value,
    actual: null,
    verdict: 'n/a',
    agrees: false,
    why: f.why,
  }));
  const t1 = performance.now();
  const html = renderModelReport({ census: c, diagnostics, published, generator: 'netcensus bench' });
  const renderMs = performance.now() - t1;
  writeReport(file, html);
  return { ms: performance.now() - t0, renderMs, bytes: statSync(file).size, layers: c.layers.length };
}

// resnet152 first, so its first (cold) write pays for the JIT warm-up as a fresh CLI process would.
const models = [
  ['resnet152', 'resnet152.html'],
  ['alexnet', 'alexnet.html'],
  [join(root, 'test/fixtures/keras/densenet121.json'), 'densenet121.html'],
];
const results = [];
for (const [model, name] of models) {
  const file = join(outDir, name);
  // First call pays for module loading and JIT; the CLI pays that too, so report both.
  const cold = await writeFor(model, file);
  const warm = [];
  for (let k = 0; k < 3; k++) warm.push(await writeFor(model, file));
  results.push({
    model: name.replace('.html', ''),
    layers: cold.layers,
    coldMs: cold.ms,
    coldRenderMs: cold.renderMs,
    warmMs: Math.min(...warm.map((w) => w.ms)),
    bytes: cold.bytes,
    file,
  });
}

const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (existsSync(chromium)) {
  const { chromium: pw } = await import('playwright-core');
  const browser = await pw.launch({ executablePath: chromium, headless: true, args: ['--no-sandbox'] });
  for (const r of results) {
    const renders = [];
    const scripts = [];
    let sortMs = NaN;
    for (let rep = 0; rep < 5; rep++) {
      const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
      await page.goto(pathToFileURL(r.file).href);
      await page.waitForSelector('body[data-ready=true]');
      // Everything is drawn synchronously by the page script before the first paint, so the first
      // contentful paint (from navigation start) is the complete first render.
      const t = await page.evaluate(async () => {
        await new Promise((res) => requestAnimationFrame(() => setTimeout(res, 0)));
        const paint = performance.getEntriesByType('paint').find((e) => e.name === 'first-contentful-paint');
        return {
          paint: paint ? paint.startTime : NaN,
          script: performance.getEntriesByName('netcensus:done')[0]?.startTime ?? NaN,
        };
      });
      renders.push(t.paint);
      scripts.push(t.script);
      if (rep === 0) {
        // Scrolling: the table pane from top to bottom in 60 animation frames; the longest frame.
        r.scrollFrameMs = await page.evaluate(async () => {
          const pane = document.getElementById('table-pane');
          pane.scrollIntoView();
          let worst = 0;
          let last = await new Promise((res) => requestAnimationFrame(res));
          for (let k = 1; k <= 60; k++) {
            pane.scrollTop = (k / 60) * (pane.scrollHeight - pane.clientHeight);
            const now = await new Promise((res) => requestAnimationFrame(res));
            worst = Math.max(worst, now - last);
            last = now;
          }
          return worst;
        });
        sortMs = await page.evaluate(async () => {
          const th = document.querySelector('th[data-key="macs"]');
          const t0 = performance.now();
          th.click();
          await new Promise((res) => requestAnimationFrame(() => setTimeout(res, 0)));
          return performance.now() - t0;
        });
      }
      await page.close();
    }
    // Median of 5 page loads: this machine is shared and single loads vary by a factor of two.
    const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
    r.firstRenderMs = median(renders);
    r.scriptDoneMs = median(scripts);
    r.sortMs = sortMs;
  }
  await browser.close();
} else {
  console.log(`(no Chromium at ${chromium}: render times not measured)`);
}

const fmt = (x) => (Number.isFinite(x) ? x.toFixed(0) : '--');
console.log(
  '| model | layers | write, cold (ms) | of which HTML + layout (ms) | write, warm (ms) | size | page script done (ms) | first render (ms) | sort by MACs (ms) | longest scroll frame (ms) |',
);
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of results) {
  console.log(
    `| ${r.model} | ${r.layers} | ${fmt(r.coldMs)} | ${fmt(r.coldRenderMs)} | ${fmt(r.warmMs)} | ${(r.bytes / 1e6).toFixed(2)} MB | ${fmt(r.scriptDoneMs)} | ${fmt(r.firstRenderMs)} | ${fmt(r.sortMs)} | ${fmt(r.scrollFrameMs)} |`,
  );
}
const rn = results.find((r) => r.model === 'resnet152');
console.log(
  `\nresnet152 targets: write ${fmt(rn.coldMs)} ms cold (< 2000: ${rn.coldMs < 2000 ? 'met' : 'MISSED'}); first render ${fmt(rn.firstRenderMs)} ms (< 1000: ${rn.firstRenderMs < 1000 ? 'met' : Number.isFinite(rn.firstRenderMs) ? 'MISSED' : 'not measured'}); size ${(rn.bytes / 1e6).toFixed(2)} MB (< 2 MB: ${rn.bytes < 2e6 ? 'met' : 'MISSED'})`,
);
