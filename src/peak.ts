/**
 * The CPU's measured FMA peak: its widest vector ISA (AVX-512F, then AVX2 + FMA, then SSE; NEON on Arm),
 * the FMA loop of assets/fma-peak.c run with it, the clock the cores actually run at, and the theoretical
 * figure with its formula (cores x lanes x 2 x FMA units x clock). Used by the benchmark; no TensorFlow.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import { assetPath, cacheDir } from './paths.js';

export type VectorIsa = 'avx512f' | 'avx2' | 'sse' | 'neon' | 'scalar';

export interface FmaPeak {
  /** The ISA the loop measured: the CPU's widest (AVX-512F, then AVX2 + FMA, then SSE; NEON on Arm). */
  isa: VectorIsa | null;
  /** What the CPU reports it has, widest first. */
  supported: VectorIsa[];
  /** float32 lanes per vector of that ISA: 16 AVX-512, 8 AVX2, 4 SSE and NEON. */
  lanes: number | null;
  /** FMA units per core the theoretical figure assumes, and why. */
  fmaUnits: number;
  fmaUnitsWhy: string;
  /** Physical cores the loop's threads run on (at most one thread each counted). */
  cores: number;
  threads: number;
  clock: {
    /** From a chain of dependent adds, one per cycle, on every thread at once (by thread CPU time). */
    measuredGhz: number | null;
    /** What the operating system reports (often the base clock, not the boost clock the cores run at). */
    reportedGhz: number | null;
  };
  /** The loop's FLOPs over each thread's CPU time: what the cores do while they run it, whatever else runs. */
  measuredGflops: number | null;
  /** The same over wall time: lower when other processes took turns on the cores. */
  measuredWallGflops: number | null;
  /** One thread alone, by its CPU time. */
  oneThreadGflops: number | null;
  theoreticalGflops: number | null;
  /** cores x lanes x 2 (an FMA is a multiply and an add) x FMA units x clock, with the figures used. */
  theoreticalFormula: string;
  /** measured / (cores x lanes x 2 x clock): the FMA units per core the measurement implies. */
  impliedFmaUnits: number | null;
  how: string;
}

export interface CpuFacts {
  arch: string;
  vendor: string;
  family: number | null;
  model: number | null;
  name: string;
  flags: string[];
  physicalCores: number;
  reportedGhz: number | null;
}

export function cpuFacts(cpuinfo?: string, arch: string = process.arch): CpuFacts {
  let text = cpuinfo;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/cpuinfo', 'utf8');
    } catch {
      text = '';
    }
  }
  const field = (name: string): string | undefined => new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm').exec(text)?.[1]?.trim();
  const flags = (field('flags') ?? field('Features') ?? '').split(/\s+/).filter(Boolean);
  // Physical cores: distinct (physical id, core id) pairs; SMT siblings share one core's FMA units.
  const pairs = new Set<string>();
  for (const block of text.split(/\n\s*\n/)) {
    const core = /^core id\s*:\s*(\d+)/m.exec(block)?.[1];
    if (core !== undefined) pairs.add(`${/^physical id\s*:\s*(\d+)/m.exec(block)?.[1] ?? 0}:${core}`);
  }
  const mhz = Number(field('cpu MHz') ?? 0) || os.cpus()[0]?.speed || 0;
  const num = (s: string | undefined): number | null => (s === undefined || s === '' ? null : Number(s));
  return {
    arch,
    vendor: field('vendor_id') ?? field('CPU implementer') ?? '',
    family: num(field('cpu family')),
    model: num(field('model')),
    name: field('model name') ?? os.cpus()[0]?.model?.trim() ?? 'unknown CPU',
    flags,
    physicalCores: pairs.size || os.availableParallelism?.() || os.cpus().length,
    reportedGhz: mhz ? mhz / 1000 : null,
  };
}

/** The vector ISAs the CPU has, widest first (AVX-512F, AVX2 with FMA, SSE; NEON on 64-bit Arm). */
export function supportedIsas(cpu: Pick<CpuFacts, 'arch' | 'flags'>): VectorIsa[] {
  const has = (f: string): boolean => cpu.flags.includes(f);
  const out: VectorIsa[] = [];
  if (cpu.arch === 'x64' || cpu.arch === 'ia32') {
    if (has('avx512f')) out.push('avx512f');
    if (has('avx2') && has('fma')) out.push('avx2');
    if (has('sse2') || has('sse')) out.push('sse');
  } else if (cpu.arch === 'arm64') {
    out.push('neon');
  }
  out.push('scalar');
  return out;
}

export const LANES: Record<VectorIsa, number> = { avx512f: 16, avx2: 8, sse: 4, neon: 4, scalar: 1 };

/**
 * FMA units per core for the theoretical peak: how many FMAs of the measured width a core starts per
 * cycle. Documented figures by microarchitecture where the CPU says which; 2 otherwise, said as assumed.
 * NETCENSUS_FMA_UNITS overrides it.
 */
export function fmaUnitsAssumed(isa: VectorIsa, cpu: CpuFacts): { units: number; why: string } {
  const override = Number(process.env.NETCENSUS_FMA_UNITS);
  if (Number.isSafeInteger(override) && override > 0) return { units: override, why: 'NETCENSUS_FMA_UNITS' };
  const amd = cpu.vendor === 'AuthenticAMD';
  const intel = cpu.vendor === 'GenuineIntel';
  if (isa === 'avx512f') {
    if (amd && cpu.family === 0x19)
      return { units: 1, why: 'AMD Zen 4 (family 19h): a 512-bit FMA occupies both 256-bit FMA pipes' };
    if (amd && (cpu.family ?? 0) >= 0x1a) return { units: 2, why: 'AMD Zen 5 (family 1Ah): two 512-bit FMA pipes' };
    if (intel && /\b(Silver|Bronze)\b/.test(cpu.name))
      return { units: 1, why: 'Intel Xeon Silver/Bronze: one 512-bit FMA unit' };
    return {
      units: 2,
      why: 'assumed: two 512-bit FMA units (Intel Xeon Gold/Platinum and later; some parts have one)',
    };
  }
  if (isa === 'avx2') {
    if (amd && cpu.family === 0x17 && (cpu.model ?? 0) < 0x30)
      return { units: 1, why: 'AMD Zen 1 (family 17h, model < 30h): a 256-bit FMA occupies both 128-bit pipes' };
    return { units: 2, why: 'two 256-bit FMA units (Intel since Haswell, AMD since Zen 2)' };
  }
  if (isa === 'neon')
    return {
      units: 2,
      why: 'assumed: two 128-bit FMA pipes (Neoverse N1/N2, Cortex-A76 and later; V1/V2 and Apple cores have four)',
    };
  if (isa === 'sse') return { units: 2, why: 'assumed: two multiply and two add pipes (no FMA instruction)' };
  return { units: 2, why: 'assumed: two scalar FMA pipes' };
}

const MAX_PLAUSIBLE_GHZ = 7;

/** The theoretical peak with its formula; null where the clock is unknown. */
export function theoreticalPeak(
  isa: VectorIsa,
  cores: number,
  units: number,
  clockGhz: number | null,
  clockWhat: string,
): { gflops: number | null; formula: string } {
  const lanes = LANES[isa];
  if (!clockGhz) return { gflops: null, formula: `theoretical peak unknown (no clock figure)` };
  const gflops = cores * lanes * 2 * units * clockGhz;
  return {
    gflops,
    formula: `${cores} core${cores === 1 ? '' : 's'} x ${lanes} fp32 lanes (${isa}) x 2 (FMA: multiply + add) x ${units} FMA units x ${clockGhz.toFixed(2)} GHz (${clockWhat}) = ${gflops.toFixed(0)} GFLOP/s`,
  };
}

/** The FMA loop's executable: compiled once per source version into the cache. */
function fmaExecutable(): { exe?: string; error?: string } {
  const src = assetPath('fma-peak.c');
  const hash = createHash('sha256').update(readFileSync(src)).digest('hex').slice(0, 12);
  const exe = join(cacheDir('bench'), `fma-peak-${process.arch}-${hash}`);
  if (existsSync(exe)) return { exe };
  // No -m flags: each ISA's loop carries its own target attribute, and the binary picks at run time.
  const cc = spawnSync(process.env.CC || 'cc', ['-O3', '-pthread', src, '-o', exe], { encoding: 'utf8' });
  if (cc.status !== 0) return { error: `cc failed: ${(cc.stderr || cc.error?.message || '').split('\n')[0]}` };
  return { exe };
}

/** Compiles and runs assets/fma-peak.c with the CPU's widest ISA on `threads` threads. */
export function fmaPeak(threads: number, cpu: CpuFacts = cpuFacts()): FmaPeak {
  const supported = supportedIsas(cpu);
  const isa = supported[0]!;
  const cores = Math.min(threads, cpu.physicalCores);
  const { units, why } = fmaUnitsAssumed(isa, cpu);
  const base: FmaPeak = {
    isa: null,
    supported,
    lanes: null,
    fmaUnits: units,
    fmaUnitsWhy: why,
    cores,
    threads,
    clock: { measuredGhz: null, reportedGhz: cpu.reportedGhz },
    measuredGflops: null,
    measuredWallGflops: null,
    oneThreadGflops: null,
    theoreticalGflops: null,
    theoreticalFormula: '',
    impliedFmaUnits: null,
    how: '',
  };
  const fallback = theoreticalPeak(isa, cores, units, cpu.reportedGhz, 'reported');
  const { exe, error } = fmaExecutable();
  if (!exe)
    return {
      ...base,
      theoreticalGflops: fallback.gflops,
      theoreticalFormula: fallback.formula,
      how: `FMA loop not measured (${error})`,
    };
  const r = spawnSync(exe, [String(threads), isa], { encoding: 'utf8', timeout: 120_000 });
  let j: {
    isa: VectorIsa;
    lanes: number;
    gflops: number;
    gflopsWall: number;
    gflopsOneThread: number;
    clockGhz: number | null;
    reps: number;
    chains: number;
  };
  try {
    j = JSON.parse(r.stdout) as typeof j;
  } catch {
    return {
      ...base,
      theoreticalGflops: fallback.gflops,
      theoreticalFormula: fallback.formula,
      how: `FMA loop failed to run (${(r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n')[0]})`,
    };
  }
  // No CPU core runs above ~6.5 GHz: a faster "clock" means the add chain did not take a cycle per add.
  const measuredGhz = j.clockGhz !== null && j.clockGhz > 0 && j.clockGhz <= MAX_PLAUSIBLE_GHZ ? j.clockGhz : null;
  const clock = measuredGhz ?? cpu.reportedGhz;
  const theory = theoreticalPeak(
    j.isa,
    cores,
    units,
    clock,
    measuredGhz
      ? 'measured'
      : j.clockGhz
        ? `reported; the add chain read an implausible ${j.clockGhz.toFixed(1)} GHz`
        : 'reported',
  );
  return {
    ...base,
    isa: j.isa,
    lanes: j.lanes,
    clock: { measuredGhz, reportedGhz: cpu.reportedGhz },
    measuredGflops: j.gflops,
    measuredWallGflops: j.gflopsWall,
    oneThreadGflops: j.gflopsOneThread,
    theoreticalGflops: theory.gflops,
    theoreticalFormula: theory.formula,
    impliedFmaUnits: clock ? j.gflops / (cores * j.lanes * 2 * clock) : null,
    how:
      `assets/fma-peak.c: ${threads} thread${threads === 1 ? '' : 's'} of ${j.chains} independent ${j.isa} FMA chains, best of ${j.reps}, ` +
      `FLOPs over each thread's CPU time (over wall time: ${j.gflopsWall.toFixed(1)} GFLOP/s); ` +
      `clock from a dependent-add chain on every thread`,
  };
}
