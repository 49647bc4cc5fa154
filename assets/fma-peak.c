/*
 * Measured FMA peak: every thread runs independent chains of 256-bit fused multiply-adds (AVX2 + FMA),
 * enough of them to hide the FMA latency, and the best of a few repetitions is reported in GFLOP/s
 * (one FMA on 8 floats = 16 FLOPs). Compiled and run by `netcensus bench`; prints one JSON line.
 * Usage: fma-peak THREADS
 */
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define CHAINS 12
#define ITERS 20000000L

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static void *work(void *out) {
  __m256 acc[CHAINS];
  const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
  for (int c = 0; c < CHAINS; c++) acc[c] = _mm256_set1_ps((float)c);
  for (long i = 0; i < ITERS; i++)
    for (int c = 0; c < CHAINS; c++) acc[c] = _mm256_fmadd_ps(acc[c], a, b);
  float sink = 0, tmp[8];
  for (int c = 0; c < CHAINS; c++) {
    _mm256_storeu_ps(tmp, acc[c]);
    sink += tmp[0];
  }
  *(float *)out = sink; /* keeps the chains alive */
  return NULL;
}

int main(int argc, char **argv) {
  int threads = argc > 1 ? atoi(argv[1]) : 1;
  if (threads < 1 || threads > 1024) threads = 1;
  pthread_t *ts = malloc(sizeof(pthread_t) * threads);
  float *sinks = malloc(sizeof(float) * threads);
  double best = 0;
  for (int rep = 0; rep < 3; rep++) {
    double t0 = now();
    for (int t = 0; t < threads; t++) pthread_create(&ts[t], NULL, work, &sinks[t]);
    for (int t = 0; t < threads; t++) pthread_join(ts[t], NULL);
    double gflops = (double)threads * ITERS * CHAINS * 16 / (now() - t0) / 1e9;
    if (gflops > best) best = gflops;
  }
  printf("{\"threads\": %d, \"gflops\": %.2f, \"sink\": %g}\n", threads, best, (double)sinks[0]);
  return 0;
}
