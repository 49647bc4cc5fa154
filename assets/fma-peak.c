/*
 * Measured FMA peak of this CPU, with its widest vector ISA. Every thread runs independent chains of fused
 * multiply-adds (enough chains to hide the FMA latency on two FMA units), and the best of a few
 * repetitions is reported in GFLOP/s (one FMA on L float32 lanes = 2 x L FLOPs).
 *
 * One source, every x86 variant compiled in with per-function target attributes and chosen at run time
 * with the CPU's own feature bits (__builtin_cpu_supports, which also checks that the OS saves the wider
 * registers): AVX-512F (16 lanes), then AVX2 + FMA (8 lanes), then SSE2 (4 lanes; no FMA instruction, so a
 * multiply and an add, the same 2 FLOPs per lane). On 64-bit Arm: NEON (4 lanes, FMLA). Anything else: a
 * scalar loop. An ISA named on the command line is measured instead of the widest, if the CPU has it.
 *
 * It also measures the clock the cores actually run at, the way a frequency counter would: a chain of
 * dependent integer adds retires one add per cycle, so adds per second = cycles per second (all threads at
 * once, as under the FMA load). Each add takes a register, not an immediate: Intel's Golden Cove and later
 * cores fold chains of immediate adds at register renaming, several per cycle (a "21 GHz" clock). Compiled and run by `netcensus bench`; prints one JSON line.
 * Usage: fma-peak THREADS [avx512f|avx2|sse|neon|scalar]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define X86 1
#elif defined(__aarch64__)
#include <arm_neon.h>
#define ARM64 1
#endif

#define CHAINS 12
#define ITERS 40000000L
#define REPS 5
#define CLOCK_ADDS 200000000L

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

typedef struct {
  const char *name;
  int lanes;
  int fma; /* 1: one FMA instruction per lane step; 0: a multiply and an add */
  void *(*work)(void *);
} Isa;

/* Each work function keeps CHAINS accumulators in registers and stores one lane of each into *out. */
#ifdef X86
__attribute__((target("avx512f"))) static void *work_avx512(void *out) {
  __m512 acc[CHAINS];
  const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
  for (int c = 0; c < CHAINS; c++) acc[c] = _mm512_set1_ps((float)c);
  for (long i = 0; i < ITERS; i++)
    for (int c = 0; c < CHAINS; c++) acc[c] = _mm512_fmadd_ps(acc[c], a, b);
  float sink = 0;
  for (int c = 0; c < CHAINS; c++) sink += _mm512_cvtss_f32(acc[c]);
  *(float *)out = sink;
  return NULL;
}

__attribute__((target("avx2,fma"))) static void *work_avx2(void *out) {
  __m256 acc[CHAINS];
  const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
  for (int c = 0; c < CHAINS; c++) acc[c] = _mm256_set1_ps((float)c);
  for (long i = 0; i < ITERS; i++)
    for (int c = 0; c < CHAINS; c++) acc[c] = _mm256_fmadd_ps(acc[c], a, b);
  float sink = 0;
  for (int c = 0; c < CHAINS; c++) sink += _mm256_cvtss_f32(acc[c]);
  *(float *)out = sink;
  return NULL;
}

__attribute__((target("sse2"))) static void *work_sse(void *out) {
  __m128 acc[CHAINS];
  const __m128 a = _mm_set1_ps(0.999999f), b = _mm_set1_ps(1e-7f);
  for (int c = 0; c < CHAINS; c++) acc[c] = _mm_set1_ps((float)c);
  for (long i = 0; i < ITERS; i++)
    for (int c = 0; c < CHAINS; c++) acc[c] = _mm_add_ps(_mm_mul_ps(acc[c], a), b);
  float sink = 0;
  for (int c = 0; c < CHAINS; c++) sink += _mm_cvtss_f32(acc[c]);
  *(float *)out = sink;
  return NULL;
}
#endif

#ifdef ARM64
static void *work_neon(void *out) {
  float32x4_t acc[CHAINS];
  const float32x4_t a = vdupq_n_f32(0.999999f), b = vdupq_n_f32(1e-7f);
  for (int c = 0; c < CHAINS; c++) acc[c] = vdupq_n_f32((float)c);
  for (long i = 0; i < ITERS; i++)
    for (int c = 0; c < CHAINS; c++) acc[c] = vfmaq_f32(b, acc[c], a);
  float sink = 0;
  for (int c = 0; c < CHAINS; c++) sink += vgetq_lane_f32(acc[c], 0);
  *(float *)out = sink;
  return NULL;
}
#endif

static void *work_scalar(void *out) {
  volatile float seed = 0.999999f;
  float acc[CHAINS], a = seed, b = 1e-7f;
  for (int c = 0; c < CHAINS; c++) acc[c] = (float)c;
  for (long i = 0; i < ITERS; i++)
    for (int c = 0; c < CHAINS; c++) acc[c] = acc[c] * a + b;
  float sink = 0;
  for (int c = 0; c < CHAINS; c++) sink += acc[c];
  *(float *)out = sink;
  return NULL;
}

/* One add per cycle: each add depends on the one before. The loop's own counter runs beside the chain.
   The addend is a register the compiler cannot see the value of, so no core can fold the chain. */
static void *clock_work(void *out) {
  long x = 0;
  volatile long one_v = 1;
  long one = one_v;
  for (long i = 0; i < CLOCK_ADDS / 100; i++) {
#if defined(__x86_64__)
    __asm__ volatile(".rept 100\n\taddq %1, %0\n\t.endr" : "+r"(x) : "r"(one));
#elif defined(__aarch64__)
    __asm__ volatile(".rept 100\n\tadd %0, %0, %1\n\t.endr" : "+r"(x) : "r"(one));
#else
    x += 100;
#endif
  }
  *(long *)out = x;
  return NULL;
}

/* A thread's own CPU time: what it ran, not what it waited while other processes had the core. */
static double thread_cpu(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

typedef struct {
  void *(*fn)(void *);
  void *sink;
  double cpu;
} Job;

static void *timed(void *arg) {
  Job *j = arg;
  double t0 = thread_cpu();
  j->fn(j->sink);
  j->cpu = thread_cpu() - t0;
  return NULL;
}

typedef struct {
  double wall; /* shortest wall time of a repetition, seconds */
  double cpu;  /* shortest mean per-thread CPU time of a repetition, seconds */
} Times;

/* Runs fn on `threads` threads at once, REPS times; the best wall time and the best mean per-thread CPU time. */
static Times best_time(void *(*fn)(void *), int threads, void *sinks, size_t sink_size) {
  pthread_t *ts = malloc(sizeof(pthread_t) * threads);
  Job *jobs = malloc(sizeof(Job) * threads);
  Times best = {1e30, 1e30};
  for (int rep = 0; rep < REPS; rep++) {
    double t0 = now();
    for (int t = 0; t < threads; t++) {
      jobs[t] = (Job){fn, (char *)sinks + t * sink_size, 0};
      pthread_create(&ts[t], NULL, timed, &jobs[t]);
    }
    for (int t = 0; t < threads; t++) pthread_join(ts[t], NULL);
    double wall = now() - t0, cpu = 0;
    for (int t = 0; t < threads; t++) cpu += jobs[t].cpu / threads;
    if (wall < best.wall) best.wall = wall;
    if (cpu < best.cpu) best.cpu = cpu;
  }
  free(ts);
  free(jobs);
  return best;
}

int main(int argc, char **argv) {
  int threads = argc > 1 ? atoi(argv[1]) : 1;
  if (threads < 1 || threads > 1024) threads = 1;
  const char *want = argc > 2 ? argv[2] : NULL;

  Isa isas[4];
  int n = 0;
  const char *supported[4];
  int ns = 0;
#ifdef X86
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) isas[n++] = (Isa){"avx512f", 16, 1, work_avx512};
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) isas[n++] = (Isa){"avx2", 8, 1, work_avx2};
  if (__builtin_cpu_supports("sse2")) isas[n++] = (Isa){"sse", 4, 0, work_sse};
#endif
#ifdef ARM64
  isas[n++] = (Isa){"neon", 4, 1, work_neon};
#endif
  isas[n++] = (Isa){"scalar", 1, 0, work_scalar};
  for (int i = 0; i < n; i++) supported[ns++] = isas[i].name;

  Isa isa = isas[0];
  if (want) {
    int found = 0;
    for (int i = 0; i < n; i++)
      if (strcmp(isas[i].name, want) == 0) isa = isas[i], found = 1;
    if (!found) {
      fprintf(stderr, "fma-peak: this CPU has no %s\n", want);
      return 2;
    }
  }

  float *sinks = calloc(threads, sizeof(float));
  long *adds = calloc(threads, sizeof(long));
  const double flops_per_thread = (double)ITERS * CHAINS * isa.lanes * 2;
  Times all = best_time(isa.work, threads, sinks, sizeof(float));
  Times one = threads > 1 ? best_time(isa.work, 1, sinks, sizeof(float)) : all;
  Times clock = best_time(clock_work, threads, adds, sizeof(long));
#if defined(__x86_64__) || defined(__aarch64__)
  const int has_clock = 1;
#else
  const int has_clock = 0;
#endif

  printf("{\"isa\": \"%s\", \"lanes\": %d, \"fmaInstruction\": %s, \"supported\": [", isa.name, isa.lanes,
         isa.fma ? "true" : "false");
  for (int i = 0; i < ns; i++) printf("%s\"%s\"", i ? ", " : "", supported[i]);
  /* gflops: by each thread's CPU time (what a core does while it runs the loop, whatever else the machine
     runs); gflopsWall: by wall time (lower when other processes took turns on the cores). */
  printf("], \"threads\": %d, \"chains\": %d, \"reps\": %d, \"gflops\": %.2f, \"gflopsWall\": %.2f, "
         "\"gflopsOneThread\": %.2f, ",
         threads, CHAINS, REPS, threads * flops_per_thread / all.cpu / 1e9, threads * flops_per_thread / all.wall / 1e9,
         flops_per_thread / one.cpu / 1e9);
  if (has_clock)
    printf("\"clockGhz\": %.3f, \"clockGhzWall\": %.3f, ", CLOCK_ADDS / clock.cpu / 1e9, CLOCK_ADDS / clock.wall / 1e9);
  else
    printf("\"clockGhz\": null, \"clockGhzWall\": null, ");
  printf("\"sink\": %g}\n", (double)sinks[0] + (double)(adds[0] & 1));
  free(sinks);
  free(adds);
  return 0;
}
