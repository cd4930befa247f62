/**
 * Benchmarks: the end-to-end harness's baselines (C reference programs in src/main/c) and JMH.
 */
package io.sluice.perf;
