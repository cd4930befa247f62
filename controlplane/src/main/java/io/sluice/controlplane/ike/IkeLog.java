package io.sluice.controlplane.ike;

import java.util.function.Consumer;

/**
 * Where an IKE engine writes: events a operator always sees (tunnel up and down, rejected
 * messages with their reason) and the {@code debug crypto isakmp} trace (state transitions, what
 * was received and sent). Implementations decide where lines go; the engines never pass keys,
 * nonces, DH values or pre-shared keys to either.
 */
public interface IkeLog
{
    /** An event: {@code %CRYPTO-5-SESSION_STATUS: ...}, an authentication failure, a dropped message. */
    void event(String line);

    /** A {@code debug crypto isakmp} line. */
    void debug(String line);

    /** True if {@link #debug} lines are kept: callers skip building them otherwise. */
    default boolean debugEnabled()
    {
        return true;
    }

    /** Both kinds of line to one consumer, debug ones only when {@code debug}. */
    static IkeLog to(final Consumer<String> sink, final boolean debug)
    {
        final Switchable log = new Switchable(sink);
        log.debug(debug);
        return log;
    }

    /** Both kinds of line to one consumer; {@code debug crypto isakmp} / {@code undebug all} turn debug lines on and off. */
    final class Switchable implements IkeLog
    {
        private final Consumer<String> sink;
        private volatile boolean debug;

        public Switchable(final Consumer<String> sink)
        {
            this.sink = sink;
        }

        public void debug(final boolean on)
        {
            debug = on;
        }

        @Override
        public void event(final String line)
        {
            sink.accept(line);
        }

        @Override
        public void debug(final String line)
        {
            if (debug)
            {
                sink.accept(line);
            }
        }

        @Override
        public boolean debugEnabled()
        {
            return debug;
        }
    }
}
