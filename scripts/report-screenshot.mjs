#!/usr/bin/env node
/**
 * Regenerates docs/report.png, the README's picture of a report: seed 000's AlexNet with its missing
 * Flatten selected. Run `npm run test:browser` first (it writes the report to .cache/report-browser/).
 * Usage: node scripts/report-screenshot.mjs   (Chromium at /usr/bin/chromium or $CHROMIUM_PATH)
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const report = join(root, '.cache/report-browser/alexnet-keras-seed.html');
if (!existsSync(report)) {
  console.error(`report-screenshot: ${report} is missing; run npm run test:browser first`);
  process.exit(1);
}
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox'],
});
// A tall page at a scale below 1: header, diagnostic, totals, charts and the layers in one picture.
const page = await browser.newPage({ viewport: { width: 1440, height: 1640 }, deviceScaleFactor: 0.6 });
await page.route('**/*', (route) =>
  /^(file|data|blob):/.test(route.request().url()) ? route.continue() : route.abort(),
);
await page.goto(pathToFileURL(report).href);
await page.waitForSelector('body[data-ready=true]');
await page.click('.alert[data-diagnostic="dense-on-feature-map"] button.goto');
await page.evaluate(() => window.scrollTo(0, 0));
await page.mouse.move(0, 0);
const out = join(root, 'docs/report.png');
await page.screenshot({ path: out });
await browser.close();
console.log(`wrote ${out} (${(statSync(out).size / 1024).toFixed(0)} KiB)`);
