/** The library as a program uses it: the two views of a census, the backend it picks, PyTorch's count by default. */
import { describe, expect, it } from 'vitest';
import { census, reportHtml, summaryText } from '../src/index.js';
import { formatSummary } from '../src/format/summary.js';
import { loadModelFile, zooModel } from '../src/resolve.js';
import { diagnose } from '../src/diagnose.js';
import { publishedVerdicts } from '../src/published.js';
import { ZOO } from '../models/index.js';
import { tableColumns } from '../src/format/table.js';

const width = (l: string): number => [...l].length;

describe('summaryText', () => {
  it('is what summary prints: the formatter given the diagnostics and published figures', () => {
    const c = census(zooModel('resnet18'));
    const expected = formatSummary(c, publishedVerdicts(c, c.graph.published ?? []), diagnose(c, { zoo: ZOO }));
    expect(summaryText(c)).toBe(expected);
  });
  it('fits every line to the width asked, and leaves the width of later tables as it was', () => {
    const before = tableColumns();
    const text = summaryText(census(zooModel('resnet50')), { width: 80 });
    for (const line of text.split('\n')) expect(width(line), line).toBeLessThanOrEqual(80);
    // The whole text is there: wrapping only moves words to the next line.
    expect(text.replace(/\s+/g, ' ')).toContain("torchinfo 1.8's view: params under the pytorch convention");
    expect(tableColumns()).toBe(before);
  });
});

describe('reportHtml', () => {
  it('is one self-contained page carrying the census', () => {
    const c = census(zooModel('alexnet'));
    const html = reportHtml(c);
    expect(html).toMatch(/^<!DOCTYPE html>/i);
    expect(html).toContain('60,965,224');
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href="http/i);
  });
});

describe("a PyTorch export is counted under PyTorch's convention unless asked otherwise", () => {
  it('BatchNorm running statistics are buffers there, as torchinfo counts', async () => {
    const { graph } = await loadModelFile('test/fixtures/onnx/norms_zoo.onnx');
    const byDefault = census(graph);
    expect(byDefault.conventions.params).toBe('pytorch');
    const keras = census(graph, { params: 'keras' });
    expect(keras.totals.params - byDefault.totals.params).toBe(keras.totals.nonTrainableParams);
    expect(keras.totals.nonTrainableParams).toBeGreaterThan(0);
    // The zoo's torchvision models are PyTorch's; a Keras model is Keras'.
    expect(census(zooModel('resnet18')).conventions.params).toBe('pytorch');
    expect(census(zooModel('alexnet-keras-seed')).conventions.params).toBe('keras');
  });
  it('the exported input (`input.1`) is no module of the tree --depth shows', async () => {
    const { graph } = await loadModelFile('test/fixtures/onnx/norms_zoo.onnx');
    const c = census(graph);
    expect(c.layers[0]!.name).toBe('input.1');
    expect(c.layers[0]!.parents).toEqual([]);
    expect(c.containers.map((k) => k.name)).not.toContain('input');
  });
});

describe('verifyGraph in a program that chose no backend', () => {
  it('runs on the best available one (native TensorFlow where it is set up), not tfjs’ pure-JS default', async () => {
    const { verifyGraph } = await import('../src/verify.js');
    const r = await verifyGraph(zooModel('resnet18'), { input: [64, 64] });
    expect(r.ok).toBe(true);
    expect(r.backend).toBe(process.env.NETCENSUS_SKIP_NATIVE === '1' ? 'wasm' : 'tensorflow');
    expect(r.device).toMatch(process.env.NETCENSUS_SKIP_NATIVE === '1' ? /WebAssembly/ : /native TensorFlow/);
  });
});
