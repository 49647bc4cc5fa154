/**
 * The HTML reports without a browser: self-contained output, the embedded data is the census' own,
 * hostile layer names cannot break out of the page, optional layer fields, and writeReport's
 * all-or-nothing writing. The browser suite (npm run test:browser) checks what the page shows.
 */
import { existsSync, mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { census, type Census } from '../src/census.js';
import { diffGraphs } from '../src/diff.js';
import { NetcensusError } from '../src/errors.js';
import { resolveModel, zooModel } from '../src/resolve.js';
import { renderDiffReport, renderModelReport, writeReport, type ModelReportInput } from '../src/report/index.js';
import { groupsOf, splitScope } from '../src/report/scopes.js';
import { layoutGraph, NODE_H, NODE_W } from '../src/report/layout.js';
import { cli } from './helpers.js';
import { modelInput, modelInputOf, publishedVerdicts } from './report-input.js';

/** The page's embedded JSON, parsed back as the page script does. */
function embedded(html: string): { cols: string[]; rows: unknown[][]; groups: string[][]; [k: string]: unknown } {
  const m = /<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/.exec(html);
  expect(m).not.toBeNull();
  return JSON.parse(m![1]!);
}

const layerObjects = (d: ReturnType<typeof embedded>): Array<Record<string, unknown>> =>
  d.rows.map((r) => Object.fromEntries(d.cols.map((c, i) => [c, r[i]])));

describe('renderModelReport', () => {
  it('is one self-contained file: no external script, style, font, image or link; a CSP that forbids fetching', () => {
    const html = renderModelReport(modelInput('alexnet').input);
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).not.toMatch(/<link\b/i);
    expect(html).not.toMatch(/<script[^>]*\bsrc=/i);
    expect(html).not.toMatch(/<img\b/i);
    expect(html).not.toMatch(/@import|url\(\s*["']?(https?:|\/\/)/i);
    expect(html).not.toMatch(/\b(src|href)\s*=\s*["']?(https?:)?\/\//i);
    expect(html).toContain(`default-src 'none'`);
  });

  it('embeds the census figures unchanged, layer by layer', () => {
    const { input } = modelInput('resnet152');
    const d = embedded(renderModelReport(input));
    const layers = layerObjects(d);
    expect(layers).toHaveLength(input.census.layers.length);
    for (const [i, l] of input.census.layers.entries()) {
      for (const k of [
        'name',
        'params',
        'macs',
        'activationBytes',
        'neurons',
        'nonTrainableParams',
        'outputShape',
      ] as const)
        expect(layers[i]![k]).toEqual(l[k]);
    }
    expect(d.totals).toEqual({
      params: input.census.totals.params,
      macs: input.census.totals.macs,
      activationBytes: input.census.totals.activationBytes,
    });
  });

  it('shows every total under every convention, each named with its unit', () => {
    const { input } = modelInput('alexnet');
    const html = renderModelReport(input);
    const b = input.census.byConvention;
    const fig = (id: string): string => {
      const m = new RegExp(`<div class="fig" data-figure="${id.replace(/[.+]/g, '\\$&')}" data-value="([^"]+)"`).exec(
        html,
      );
      expect(m, id).not.toBeNull();
      return m![1]!;
    };
    expect(Number(fig('params.keras'))).toBe(b.params.keras);
    expect(Number(fig('params.pytorch'))).toBe(b.params.pytorch);
    expect(Number(fig('macs.weights'))).toBe(b.macs.weights);
    expect(Number(fig('macs.torchinfo-1.8'))).toBe(b.macs['torchinfo-1.8']);
    expect(Number(fig('macs.torch-summary-1.3'))).toBe(b.macs['torch-summary-1.3']);
    expect(Number(fig('flops.2xMACs+biasAdds'))).toBe(b.flops['2xMACs+biasAdds']);
    expect(Number(fig('neurons.seed002WithInput'))).toBe(b.neurons.seed002WithInput);
    expect(Number(fig('memory.paramBytes.keras'))).toBe(b.memory.paramBytes.keras);
    expect(html).toContain('243.86<span class="unit">MB (10^6 B)</span>');
    expect(html).toContain('= 232.56 MiB (2^20 B)');
  });

  it('marks diagnostics and published verdicts', () => {
    const html = renderModelReport(modelInput('alexnet-keras-seed').input);
    expect(html).toMatch(/<div class="alert" data-diagnostic="dense-on-feature-map" data-layer="dense">/);
    expect(embedded(html).diag).toEqual({ dense: [expect.objectContaining({ code: 'dense-on-feature-map' })] });
    const alex = renderModelReport(modelInput('alexnet').input);
    expect(alex).toContain('differs by 10,000');
    expect(alex).toMatch(/data-agrees="true"/);
  });

  it.each(['alexnet', 'alexnet-torchvision', 'resnet152'])(
    '%s: published verdicts as summary prints them',
    async (model) => {
      const graph = zooModel(model);
      const v = publishedVerdicts(census(graph), graph.published ?? []);
      expect(v.length).toBeGreaterThan(0);
      const { out } = await cli('summary', model);
      for (const x of v)
        expect(out).toMatch(
          new RegExp(
            `${x.actual === null ? '--' : x.actual.toLocaleString('en-US')} │ ${x.verdict.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`,
          ),
        );
      if (model === 'alexnet') {
        expect(v.find((x) => x.value === 60_000_000)).toMatchObject({
          actual: 60_965_224,
          verdict: 'agrees, rounded to 10M',
          agrees: true,
        });
        expect(v.find((x) => x.value === 60_955_224)).toMatchObject({ verdict: 'differs by 10,000', agrees: false });
      }
    },
  );

  it('a layer name cannot end the script element or inject markup', () => {
    const { input } = modelInput('alexnet');
    const evil = '</script><script>alert(1)</script><!--';
    const c: Census = structuredClone(input.census);
    c.layers[1]!.name = evil;
    c.layers[1]!.scope = evil;
    c.layers[2]!.inputs = [evil];
    const html = renderModelReport({
      ...input,
      census: c,
      diagnostics: [{ code: 'dense-on-feature-map', layer: evil, message: `<b>${evil}</b>` }],
    });
    // Only the page's own two script elements open and close.
    expect(html.match(/<script\b/g)).toHaveLength(2);
    expect(html.match(/<\/script>/g)).toHaveLength(2);
    expect(html).not.toContain('<b></script>');
    expect(layerObjects(embedded(html))[1]!.name).toBe(evil);
  });

  it('tolerates optional layer fields: counted: false, path and depth', () => {
    const { input } = modelInput('alexnet');
    const c = structuredClone(input.census);
    const layers = c.layers as Array<Census['layers'][number] & { counted?: boolean; path?: string; depth?: number }>;
    layers[17]!.counted = false;
    for (const l of layers) {
      l.path = `alexnet_0.5/${l.name.startsWith('fc') ? `classifier/${l.name}` : l.name}`;
      l.depth = l.path.split('/').length - 1;
    }
    const d = embedded(renderModelReport({ ...input, census: c }));
    expect(d.cols).toEqual(expect.arrayContaining(['counted', 'path', 'depth']));
    expect(layerObjects(d)[17]!.counted).toBe(false);
    expect(d.groups[17]).toEqual(['alexnet_0.5', 'alexnet_0.5/classifier']);
    expect(d.groups[0]).toEqual(['alexnet_0.5']);
  });

  it('adds the per-layer verification and the benchmark when given', async () => {
    const { input } = modelInput('alexnet-keras-seed');
    const layers = input.census.layers.slice(1);
    const verify = {
      model: 'alexnet-keras-seed',
      backend: 'cpu',
      device: 'cpu',
      ok: false,
      input: input.census.input,
      params: { census: 25_678_184, framework: 25_678_184 },
      trainableParams: { census: 25_678_184, framework: 25_678_184 },
      nonTrainableParams: { census: 0, framework: 0 },
      layers: layers.map((l, i) => ({
        name: l.name,
        type: l.type,
        censusShape: l.outputShape,
        executedShape: i === 3 ? [1, 1, 1, 1] : l.outputShape,
        censusParams: l.params,
        frameworkParams: l.params,
        censusTrainable: l.trainableParams,
        frameworkTrainable: l.trainableParams,
        ok: i !== 3,
      })),
      mismatches: ['x'],
      timings: { censusMs: 1, buildMs: 1, forwardMs: 1 },
      leakedTensors: 0,
    };
    const html = renderModelReport({ ...input, verify } as ModelReportInput);
    expect(html).toContain('data-verify="mismatch"');
    expect(html).toContain('<h3>Layers that differ</h3>');
    const v = embedded(html).verify as Record<string, [boolean, number[], number[]]>;
    expect(v[layers[3]!.name]).toEqual([
      false,
      layers[3]!.outputShape,
      [1, 1, 1, 1],
      expect.any(Number),
      expect.any(Number),
      expect.any(Number),
      expect.any(Number),
    ]);
  });

  it('keeps resnet152 and DenseNet-121 well under 2 MB', async () => {
    for (const m of ['resnet152', 'test/fixtures/keras/densenet121.json'])
      expect(renderModelReport((await modelInputOf(m)).input).length).toBeLessThan(1e6);
  });
});

describe('renderDiffReport', () => {
  it('walks from A to B through the deltas by cause', () => {
    const ga = zooModel('alexnet-keras-seed');
    const gb = zooModel('alexnet');
    const d = diffGraphs(ga, gb);
    const html = renderDiffReport({ diff: d, a: census(ga), b: census(gb) });
    for (const m of ['params', 'macs'] as const) {
      const fig = new RegExp(`<figure class="wf" data-measure="${m}"[\\s\\S]*?</figure>`).exec(html)![0];
      const steps = [...fig.matchAll(/class="step (?:up|down) cause" data-value="(-?\d+)"/g)].map((x) => Number(x[1]));
      expect(steps.reduce((s, v) => s + v, 0)).toBe(d.delta[m]);
    }
    expect(html).toContain('balanced');
    expect(html).not.toMatch(/\b(src|href)\s*=\s*["']?(https?:)?\/\//i);
  });
});

describe('layoutGraph', () => {
  it.each(['resnet152', 'test/fixtures/keras/densenet121.json', 'alexnet'])(
    '%s: every layer placed, none overlapping, every edge drawn downwards',
    async (m) => {
      const layers = census(await resolveModel(m)).layers;
      const g = layoutGraph(layers);
      expect(g.nodes).toHaveLength(layers.length);
      const boxes = g.nodes.map(([x, y]) => ({ x, y }));
      const sorted = [...boxes].sort((p, q) => p.y - q.y);
      for (let i = 0; i < sorted.length; i++) {
        for (let j = i + 1; j < sorted.length && sorted[j]!.y < sorted[i]!.y + NODE_H; j++) {
          expect(Math.abs(sorted[j]!.x - sorted[i]!.x)).toBeGreaterThanOrEqual(NODE_W);
        }
      }
      for (const b of boxes)
        expect(b.x >= 0 && b.y >= 0 && b.x + NODE_W <= g.width && b.y + NODE_H <= g.height).toBe(true);
      expect(g.edges).toHaveLength(layers.reduce((s, l) => s + l.inputs.length, 0));
      for (const e of g.edges) {
        const [from, to] = [e[0]!, e[1]!];
        expect(layers[to]!.inputs).toContain(layers[from]!.name);
        // Starts at the bottom of its source, ends at the top of its target.
        expect([e[2], e[3]]).toEqual([g.nodes[from]![0] + NODE_W / 2, g.nodes[from]![1] + NODE_H]);
        expect([e.at(-2), e.at(-1)]).toEqual([g.nodes[to]![0] + NODE_W / 2, g.nodes[to]![1]]);
        for (let k = 5; k < e.length; k += 2) expect(e[k]!).toBeGreaterThanOrEqual(e[k - 2]!);
      }
    },
  );
});

describe('scopes', () => {
  it.each([
    ['layer1.0.conv1', ['layer1', '0', 'conv1']],
    ['features.3', ['features', '3']],
    ['mobilenetv2_0.35_96/block_1_expand', ['mobilenetv2_0.35_96', 'block_1_expand']],
    ['mobilenetv2_0.35_96', ['mobilenetv2_0.35_96']],
    ['conv2_block1_0_bn', ['conv2_block1_0_bn']],
    ['outer/inner/', ['outer', 'inner']],
  ])('%s splits into %j', (scope, segs) => {
    expect(splitScope(scope)).toEqual(segs);
  });
  it("a layer sits in its scope's proper prefixes; a path wins over the scope", () => {
    const l = census(zooModel('resnet152')).layers.find((x) => x.name === 'layer1.0.relu2')!;
    expect(groupsOf(l)).toEqual(['layer1', 'layer1.0']);
    expect(groupsOf({ ...l, path: ['a', 'b', 'c'] })).toEqual(['a', 'a.b']);
    expect(groupsOf({ ...l, path: 'm_0.5/block/conv' })).toEqual(['m_0.5', 'm_0.5/block']);
  });
});

describe('writeReport', () => {
  const dir = mkdtempSync(join(tmpdir(), 'netcensus-report-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the whole file and leaves no temporary file', () => {
    const file = join(dir, 'ok.html');
    writeReport(file, '<!DOCTYPE html><p>x</p>');
    expect(readFileSync(file, 'utf8')).toBe('<!DOCTYPE html><p>x</p>');
    expect(readdirSync(dir)).toEqual(['ok.html']);
  });

  it.each([
    ['a folder that does not exist', (d: string) => join(d, 'missing', 'r.html')],
    [
      'a directory in the way',
      (d: string) => (mkdirSync(join(d, 'taken.html'), { recursive: true }), join(d, 'taken.html')),
    ],
    ['a file where a folder should be', (d: string) => join(d, 'ok.html', 'r.html')],
  ])('%s: one-line NetcensusError (exit 2), no partial file', (_, target) => {
    const before = readdirSync(dir).sort();
    const path = target(dir);
    const entries = readdirSync(dir).sort();
    let err: unknown;
    try {
      writeReport(path, '<!DOCTYPE html>');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NetcensusError);
    expect((err as NetcensusError).exitCode).toBe(2);
    expect((err as Error).message).toMatch(/^--out: cannot write .* \(.+\)$/);
    expect((err as Error).message).not.toContain('\n');
    expect(readdirSync(dir).sort()).toEqual(entries);
    expect(before.every((f) => entries.includes(f))).toBe(true);
    if (!path.endsWith('taken.html')) expect(existsSync(path)).toBe(false);
  });
});
