package io.sluice.dataplane.counters;

/**
 * Whether the process that wrote a counters file is still the one running under its pid. A file
 * whose writer is gone was left by a crash (a clean close deletes it): its values are the last
 * ones written and will not move.
 */
public enum WriterStatus
{
    /** The writer's pid is running and started when the writer did. */
    ALIVE,
    /** No process runs under the writer's pid. */
    EXITED,
    /** A process runs under the writer's pid but started at another time: the pid was reused. */
    PID_REUSED;

    public boolean isAlive()
    {
        return this == ALIVE;
    }
}
