/**
 * The dataplane's counters, readable from outside the process while it runs, as Aeron's CnC file
 * makes the media driver's counters readable by AeronStat.
 * <p>
 * Writer side (the dataplane): {@link io.sluice.dataplane.counters.CountersFile#create} maps
 * {@code /dev/shm/sluice-<name>/counters.dat} (0600 in a 0700 directory) and hands out Agrona
 * {@link org.agrona.concurrent.status.AtomicCounter}s typed by
 * {@link io.sluice.dataplane.counters.CounterType} (PORT, STAGE, DROP, TUNNEL, SA, CAPTURE), with
 * a key (port index, stage id, tunnel id, SPI), an item (which metric, which drop reason) and a
 * label. Allocation is control-path work; each counter then has exactly one writer, a worker,
 * which calls {@code incrementRelease()} or {@code getAndAddRelease(n)}: a plain load and a
 * release store, no lock, no CAS, no allocation. A clean close deletes the file.
 * <p>
 * Reader side ({@code sluice ctl show counters}):
 * {@link io.sluice.dataplane.counters.CountersFile#openReadOnly} maps the file read-only and
 * lists {@link io.sluice.dataplane.counters.CounterSnapshot}s, non-zero ones by default; the view
 * says whether the writer still runs (pid and process start time, so that a reused pid is not
 * taken for the writer) or the file is stale, left by a crash.
 * <p>
 * Clearing: readers never write the workers' counters (a second writer would race the worker's
 * non-atomic increment, and the file would have to be writable by readers). {@code clear
 * counters} stores a baseline beside the file ({@link io.sluice.dataplane.counters.CounterBaseline}),
 * keyed by counter id and registration id and tied to the writer instance, and readers subtract
 * it. Counters stay monotonic, which rates and monitoring want.
 */
package io.sluice.dataplane.counters;
