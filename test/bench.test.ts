/**
 * The benchmark's bookkeeping, on a tiny model (timings are not asserted: speed targets live in bench/).
 * Every figure must follow from the measured latencies and the census.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { runBench } from '../src/bench.js';
import { census } from '../src/census.js';
import { benchSvg } from '../src/chart.js';
import { GraphBuilder, conv, dense, flatten, input, maxPool, relu } from '../src/graph.js';

const tiny = (() => {
  const g = new GraphBuilder({ name: 'tiny', description: 'tiny', source: 'test', framework: 'keras' });
  g.add('in', input([32, 32, 3]));
  g.add('c1', conv(8, 3, { pad: 1 }));
  g.add('r1', relu);
  g.add('p1', maxPool(2, 2));
  g.add('f', flatten);
  g.add('fc', dense(10));
  return g.build();
})();

describe('bench', () => {
  it('reports percentiles, throughput and GFLOP/s consistent with the census, and leaves no tensor behind', async () => {
    const before = tf.memory().numTensors;
    const r = await runBench([tiny], {
      backends: ['cpu'],
      batches: [1, 2],
      warmup: 1,
      runs: 3,
      maxRunSeconds: 60,
      peers: false,
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(r.rows).toHaveLength(2);
    for (const row of r.rows) {
      expect(row.status).toBe('ok');
      expect(row.timesMs).toHaveLength(3);
      const sorted = [...row.timesMs].sort((a, b) => a - b);
      expect(row.medianMs).toBe(sorted[1]);
      expect(row.p10Ms).toBeLessThanOrEqual(row.medianMs);
      expect(row.p90Ms).toBeGreaterThanOrEqual(row.medianMs);
      expect(row.flopsPerImage).toBe(2 * census(tiny).totals.macs);
      expect(row.gflops).toBeCloseTo((row.flopsPerImage * row.batch) / (row.medianMs / 1000) / 1e9, 9);
      expect(row.imagesPerSec).toBeCloseTo(row.batch / (row.medianMs / 1000), 9);
      expect(row.leakedTensors).toBe(0);
      expect(row.memory.peakRssBytes).toBeGreaterThan(0);
    }
    expect(r.peaks.map((p) => p.backend)).toEqual(['cpu']);
    expect(r.peaks[0]!.gflops).toBeGreaterThan(0);
    // Targets concern vgg16 and resnet50 only.
    expect(r.targets).toEqual([]);
    const svg = benchSvg(r);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg.match(/<rect x="190"/g)).toHaveLength(2);
  });

  it('skips, with the reason, a configuration estimated beyond the time limit', async () => {
    const r = await runBench([tiny], {
      backends: ['cpu'],
      batches: [64],
      warmup: 0,
      runs: 1,
      maxRunSeconds: 0,
      peers: false,
    });
    expect(r.rows[0]!.status).toBe('skipped');
    expect(r.rows[0]!.reason).toMatch(/estimated .* s per run at this backend's measured .* GFLOP\/s \(limit 0 s\)/);
  });
});
