#!/usr/bin/env node
/**
 * Pictures of reports, for people to look at.
 *
 *   node scripts/report-screenshot.mjs
 *     regenerates docs/report.png, the README's picture of a report: seed 000's AlexNet with its missing
 *     Flatten selected. Run `npm run test:browser` first (it writes the report to .cache/report-browser/).
 *   node scripts/report-screenshot.mjs REPORT.html...
 *     shoots each report as a phone (390 x 844) and a desktop (1400 x 900) see it: the top of the page and
 *     its layers (or, for a diff, the side-by-side view), into .cache/report-browser/shots/, and prints
 *     the page's width at each (wider than the window: something overflows).
 *
 * Chromium at /usr/bin/chromium or $CHROMIUM_PATH.
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const files = process.argv.slice(2);
const report = join(root, '.cache/report-browser/alexnet-keras-seed.html');
for (const f of files.length ? files : [report])
  if (!existsSync(f)) {
    console.error(`report-screenshot: ${f} is missing${files.length ? '' : '; run npm run test:browser first'}`);
    process.exit(1);
  }
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox'],
});
/** A page opened offline: anything but file:, data: and blob: is refused, as the browser tests do. */
async function open(file, viewport, deviceScaleFactor = 1) {
  const page = await browser.newPage({ viewport, deviceScaleFactor });
  await page.route('**/*', (route) =>
    /^(file|data|blob):/.test(route.request().url()) ? route.continue() : route.abort(),
  );
  await page.goto(pathToFileURL(resolve(file)).href);
  await page.waitForSelector('body[data-ready=true]');
  return page;
}

if (files.length) {
  const dir = join(root, '.cache/report-browser/shots');
  mkdirSync(dir, { recursive: true });
  for (const file of files)
    for (const viewport of [
      { width: 390, height: 844 },
      { width: 1400, height: 900 },
    ]) {
      const page = await open(file, viewport);
      const stem = join(dir, `${basename(file, '.html')}-${viewport.width}`);
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      await page.screenshot({ path: `${stem}-top.png` });
      await page.evaluate(() =>
        (document.getElementById('layers') ?? document.getElementById('pairs'))?.scrollIntoView(),
      );
      await page.waitForTimeout(100);
      await page.screenshot({ path: `${stem}-layers.png` });
      console.log(`${stem}-{top,layers}.png: page ${width} px wide in a ${viewport.width} px window`);
      await page.close();
    }
} else {
  // A tall page at a scale below 1: header, diagnostic, totals, charts and the layers in one picture.
  const page = await open(report, { width: 1440, height: 1640 }, 0.6);
  await page.click('.alert[data-diagnostic="dense-on-feature-map"] button.goto');
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.mouse.move(0, 0);
  const out = join(root, 'docs/report.png');
  await page.screenshot({ path: out });
  console.log(`wrote ${out} (${(statSync(out).size / 1024).toFixed(0)} KiB)`);
}
await browser.close();
