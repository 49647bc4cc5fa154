/**
 * The benchmark's bookkeeping, on a tiny model (timings are not asserted: speed targets live in bench/).
 * Every figure must follow from the measured latencies and the census.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import {
  compareRuns,
  cpuFacts,
  FAST_PATH_RTOL,
  fmaUnitsAssumed,
  interleave,
  parseOnednnVerbose,
  roundOrder,
  runBench,
  supportedIsas,
  theoreticalPeak,
  type Competitor,
  type CpuFacts,
} from '../src/bench.js';
import { formatBench, formatBenchMarkdown, shareText } from '../src/format/bench.js';
import { census } from '../src/census.js';
import { benchSvg } from '../src/report/chart.js';
import { cli } from './helpers.js';
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
      repeat: 2,
      threads: 1,
      maxRunSeconds: 60,
      peers: false,
      paths: ['eager'],
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(r.rows).toHaveLength(2);
    expect(r.rows.map((row) => row.path)).toEqual(['eager', 'eager']);
    expect(r.method).toMatchObject({ threads: 1, runs: 3, repeat: 2, warmup: 1 });
    for (const row of r.rows) {
      expect(row.status).toBe('ok');
      // Every timed run of both repeats; each repeat summarised on its own.
      expect(row.timesMs).toHaveLength(6);
      expect(row.repeats).toHaveLength(2);
      const sorted = [...row.timesMs].sort((a, b) => a - b);
      expect(row.medianMs).toBeCloseTo((sorted[2]! + sorted[3]!) / 2, 9);
      expect(row.p10Ms).toBeLessThanOrEqual(row.q1Ms);
      expect(row.q1Ms).toBeLessThanOrEqual(row.medianMs);
      expect(row.q3Ms).toBeGreaterThanOrEqual(row.medianMs);
      expect(row.p90Ms).toBeGreaterThanOrEqual(row.q3Ms);
      for (const [k, rep] of row.repeats.entries()) {
        const own = row.timesMs.slice(3 * k, 3 * k + 3).sort((a, b) => a - b);
        expect(rep.medianMs).toBe(own[1]);
      }
      expect(row.cpuShare).toBeGreaterThan(0);
      expect(row.flopsPerImage).toBe(2 * census(tiny).totals.macs);
      expect(row.gflops).toBeCloseTo((row.flopsPerImage * row.batch) / (row.medianMs / 1000) / 1e9, 9);
      expect(row.imagesPerSec).toBeCloseTo(row.batch / (row.medianMs / 1000), 9);
      expect(row.leakedTensors).toBe(0);
      expect(row.memory.peakRssBytes).toBeGreaterThan(0);
    }
    expect(r.peaks.map((p) => p.backend)).toEqual(['cpu']);
    // The FMA loop measures the CPU's widest ISA, where a C compiler is at hand, and says which.
    expect(r.fma.supported).toEqual(supportedIsas(cpuFacts()));
    if (r.fma.measuredGflops !== null) {
      expect(r.fma.isa).toBe(r.fma.supported[0]);
      expect(r.fma.lanes).toBe({ avx512f: 16, avx2: 8, sse: 4, neon: 4, scalar: 1 }[r.fma.isa!]);
      expect(r.fma.threads).toBe(1);
      expect(r.fma.theoreticalFormula).toMatch(
        /^1 core x \d+ fp32 lanes \(\w+\) x 2 \(FMA: multiply \+ add\) x \d FMA units x [\d.]+ GHz/,
      );
    }
    expect(r.convention).toMatch(/^effective GFLOP\/s = 2 x direct-convolution/);
    // No printed share of a peak above 100% without its note.
    const above = {
      ...r,
      rows: r.rows.map((row) => ({ ...row, shareOfFmaPeak: 1.76, aboveFmaPeakNote: 'fast algorithm' })),
    };
    const text = formatBench(above);
    expect(text).not.toContain('176%');
    expect(text).toContain('above peak[1]');
    expect(text).toContain('[1] fast algorithm');
    expect(text).toContain(r.fma.isa ?? 'ISAs of this CPU');
    expect(r.peaks[0]!.gflops).toBeGreaterThan(0);
    // Targets concern vgg16 and resnet50 only.
    expect(r.targets).toEqual([]);
    const svg = benchSvg(r);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg.match(/<rect x="190"/g)).toHaveLength(2);
  });

  it('times each execution path as its own row, in the same rounds, after checking its output against eager', async () => {
    const before = tf.memory().numTensors;
    const r = await runBench([tiny], {
      backends: ['cpu'],
      batches: [2],
      warmup: 1,
      runs: 3,
      threads: 1,
      maxRunSeconds: 60,
      peers: false,
      algorithms: false,
    });
    expect(tf.memory().numTensors).toBe(before);
    // The default: the fastest form ('fast': fused off native TensorFlow) and the model as built.
    expect(r.method.paths).toEqual(['fast', 'eager']);
    expect(r.method.tolerance.relative).toBe(FAST_PATH_RTOL);
    expect(r.rows.map((row) => [row.path, row.requested])).toEqual([
      ['fused', 'fast'],
      ['eager', undefined],
    ]);
    const [fast, eager] = r.rows;
    expect(fast!.status).toBe('ok');
    expect(fast!.timesMs).toHaveLength(3);
    expect(fast!.agreement).toMatchObject({ ok: true, tolerance: FAST_PATH_RTOL });
    expect(fast!.agreement!.relative).toBeLessThanOrEqual(FAST_PATH_RTOL);
    expect(fast!.form).toMatchObject({ foldedNorms: 0, fusedActivations: 1 });
    expect(eager!.agreement).toBeUndefined();
    expect(fast!.leakedTensors).toBe(0);
    // The fast path against eager, round by round.
    expect(r.comparisons).toEqual([
      expect.objectContaining({ model: 'tiny', batch: 2, path: 'fused', peer: 'eager', rounds: 3 }),
    ]);
    const text = formatBench(r);
    expect(text).toContain('fused (fast)');
    expect(text).toContain('agrees with eager');
    expect(text).toContain('netcensus eager');
    const md = formatBenchMarkdown(r);
    expect(md).toMatch(/\| tiny \| cpu \| fused \(fast\) \| 2 \|/);
    expect(md).toMatch(/\| tiny \| cpu \| eager \| 2 \|/);
    expect(md).toMatch(/\| tiny \| 2 \| fused \| netcensus eager \| [\d.]+x \|/);
    // The graph form needs native TensorFlow: asked for on cpu, its row says so.
    const g = await runBench([tiny], {
      backends: ['cpu'],
      batches: [1],
      warmup: 0,
      runs: 1,
      threads: 1,
      maxRunSeconds: 60,
      peers: false,
      algorithms: false,
      paths: ['graph'],
    });
    expect(g.rows[0]).toMatchObject({
      path: 'graph',
      status: 'skipped',
      reason: expect.stringMatching(/needs native TensorFlow/),
    });
  });

  it('refuses an unknown execution path in one line', async () => {
    const r = await cli('bench', 'resnet18', '--path', 'fast,turbo');
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toContain('expected a comma-separated list of eager, fused, graph, fast, got "turbo"');
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

  it('interleaves the competitors round by round, the first of each round rotating', async () => {
    const calls: string[] = [];
    const fake = (label: string, ms: number): Competitor => ({
      label,
      once: async () => {
        calls.push(label);
        return { ms, cpuShare: 1 };
      },
      dispose: () => undefined,
    });
    const samples = await interleave([fake('A', 10), fake('B', 8), fake('C', 20)], 1, 3, 'test');
    expect(calls).toEqual(['A', 'B', 'C', 'A', 'B', 'C', 'B', 'C', 'A', 'C', 'A', 'B']);
    expect(samples.get('A')!.map((t) => t.ms)).toEqual([10, 10, 10]);
  });

  it('changes who follows whom from block to block of rounds, each competitor starting once per block', () => {
    for (const n of [1, 2, 3, 4, 5, 6]) {
      const follows = new Set<string>();
      for (let round = 0; round < n * 8; round++) {
        const order = roundOrder(n, round);
        expect([...order].sort((a, b) => a - b)).toEqual([...Array(n).keys()]);
        expect(order[0]).toBe(round % n);
        order.slice(1).forEach((k, i) => follows.add(`${order[i]}>${k}`));
      }
      // Prime n: every competitor follows every other one; otherwise at least both directions.
      if ([2, 3, 5].includes(n)) expect(follows.size).toBe(n * (n - 1));
      if (n > 2) expect(follows.has('1>0')).toBe(true);
    }
    expect(roundOrder(5, 5)).toEqual([0, 2, 4, 1, 3]);
  });

  it('takes ratios run against run within a round, and their range over repeats', () => {
    const rep = (a: number[], b: number[]) =>
      new Map([
        ['netcensus', a.map((ms) => ({ ms, cpuShare: 1 }))],
        ['bare', b.map((ms) => ({ ms, cpuShare: 1 }))],
      ]);
    const c = compareRuns([rep([10, 12, 11], [10, 10, 10]), rep([9, 9, 9], [10, 10, 10])], 'netcensus', 'bare')!;
    expect(c.byRepeat).toEqual([1.1, 0.9]);
    expect(c.range).toEqual([0.9, 1.1]);
    expect(c.rounds).toBe(6);
    expect(c.ratio).toBeCloseTo(0.95, 9);
    expect(compareRuns([rep([10], [])], 'netcensus', 'bare')).toBeUndefined();
  });

  it('detects the widest vector ISA and states the theoretical peak with lanes, FMA and FMA units', () => {
    const cpu = (flags: string, vendor = 'GenuineIntel', family = 6, arch = 'x64'): CpuFacts => ({
      arch,
      vendor,
      family,
      model: 1,
      name: 'test CPU',
      flags: flags.split(' '),
      physicalCores: 2,
      reportedGhz: 2.6,
    });
    expect(supportedIsas(cpu('sse sse2 avx avx2 fma avx512f'))).toEqual(['avx512f', 'avx2', 'sse', 'scalar']);
    // AVX2 without FMA cannot run the FMA loop's 256-bit variant.
    expect(supportedIsas(cpu('sse sse2 avx avx2'))).toEqual(['sse', 'scalar']);
    expect(supportedIsas(cpu('fp asimd', '0x41', 0, 'arm64'))).toEqual(['neon', 'scalar']);
    expect(fmaUnitsAssumed('avx512f', cpu('avx512f', 'AuthenticAMD', 0x19)).units).toBe(1);
    expect(fmaUnitsAssumed('avx512f', cpu('avx512f', 'AuthenticAMD', 0x1a)).units).toBe(2);
    expect(fmaUnitsAssumed('avx2', cpu('avx2 fma', 'AuthenticAMD', 0x19)).units).toBe(2);
    // 16 lanes for AVX-512, 8 for AVX2, 4 for SSE and NEON; x2 for the FMA; x units x cores x clock.
    expect(theoreticalPeak('avx512f', 2, 2, 3.6, 'measured').gflops).toBeCloseTo(2 * 16 * 2 * 2 * 3.6, 9);
    expect(theoreticalPeak('avx2', 2, 2, 2.6, 'reported').gflops).toBeCloseTo(2 * 8 * 2 * 2 * 2.6, 9);
    expect(theoreticalPeak('neon', 4, 2, 3, 'reported').gflops).toBeCloseTo(4 * 4 * 2 * 2 * 3, 9);
    expect(theoreticalPeak('sse', 1, 2, null, 'reported').gflops).toBeNull();
    const facts = cpuFacts(
      'processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 26\nmodel\t\t: 2\nmodel name\t: AMD EPYC\ncpu MHz\t\t: 2596.124\nphysical id\t: 0\ncore id\t\t: 0\nflags\t\t: sse sse2 fma avx2 avx512f\n\n' +
        'processor\t: 1\nvendor_id\t: AuthenticAMD\ncpu family\t: 26\nmodel\t\t: 2\nmodel name\t: AMD EPYC\ncpu MHz\t\t: 2596.124\nphysical id\t: 0\ncore id\t\t: 1\nflags\t\t: sse sse2 fma avx2 avx512f\n',
      'x64',
    );
    expect(facts).toMatchObject({ vendor: 'AuthenticAMD', family: 26, physicalCores: 2, name: 'AMD EPYC' });
    expect(facts.reportedGhz).toBeCloseTo(2.596, 3);
    expect(supportedIsas(facts)[0]).toBe('avx512f');
  });

  it('never prints a share of a peak above 100% as a bare figure', () => {
    expect(shareText(0.79)).toBe('79%');
    expect(shareText(1)).toBe('100%');
    expect(shareText(1.76, '[1]')).toBe('above peak[1]');
    expect(shareText(null)).toBe('--');
  });

  it("reads oneDNN's verbose lines: implementation and algorithm of each primitive in the second pass", () => {
    const exec = (alg: string, ms: number, mb = 1) =>
      `onednn_verbose,v1,primitive,exec,cpu,convolution,brg_conv_fwd:avx512_core,forward_training,src:f32::blocked:acdb::f0 dst:f32::blocked:acdb::f0,attr-scratchpad:user,alg:${alg},mb${mb}_ic64oc64_ih56oh56kh3sh1dh0ph1_iw56ow56kw3sw1dw0pw1,${ms}`;
    const text = [
      'onednn_verbose,v1,info,cpu,runtime:threadpool,nthr:2',
      'NETCENSUS_PROBE {"batch":1,"pass":1}',
      exec('convolution_direct', 9),
      'NETCENSUS_PROBE {"batch":1,"pass":2}',
      exec('convolution_direct', 2),
      exec('convolution_direct', 3),
      exec('convolution_winograd', 1),
      'onednn_verbose,v1,primitive,exec,cpu,matmul,brg_matmul:avx512_core,undef,src:f32::blocked:ab::f0,attr-scratchpad:user,,256x256:256x256,0.5',
      'NETCENSUS_PROBE {"batch":1,"pass":3}',
      exec('convolution_direct', 7),
    ].join('\n');
    const { threads, byBatch } = parseOnednnVerbose(text);
    expect(threads).toBe(2);
    expect(byBatch.get(1)).toEqual([
      {
        primitive: 'convolution',
        implementation: 'brg_conv_fwd:avx512_core',
        algorithm: 'convolution_direct',
        executions: 2,
        ms: 5,
      },
      {
        primitive: 'convolution',
        implementation: 'brg_conv_fwd:avx512_core',
        algorithm: 'convolution_winograd',
        executions: 1,
        ms: 1,
      },
      { primitive: 'matmul', implementation: 'brg_matmul:avx512_core', algorithm: '', executions: 1, ms: 0.5 },
    ]);
  });
});
