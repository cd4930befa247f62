package io.sluice.dataplane.esp;

/**
 * SA events, as bits of {@link SecurityAssociation#events()}. Each is raised once per SA, by the
 * thread that crossed the limit (a worker, or the control agent calling
 * {@link SecurityAssociation#checkLifetime}), which then calls the SA's {@link Listener}. The
 * control side turns a soft event into a rekey and a hard one into a delete (VPP and the Linux
 * kernel do the same with their SA expiry events).
 */
public final class EspEvents
{
    /** Soft kilobyte lifetime reached: rekey now, the SA still works. */
    public static final int SOFT_BYTES = 1;
    /** Soft seconds lifetime reached: rekey now, the SA still works. */
    public static final int SOFT_TIME = 1 << 1;
    /** Hard kilobyte lifetime reached: the SA refuses every further packet. */
    public static final int HARD_BYTES = 1 << 2;
    /** Hard seconds lifetime reached: the SA refuses every further packet. */
    public static final int HARD_TIME = 1 << 3;
    /** Outbound: 15/16 of the sequence number space is used; rekey before it runs out. */
    public static final int SEQUENCE_SOFT = 1 << 4;
    /** Outbound: the sequence number space is used up; nothing more is sent on this SA. */
    public static final int SEQUENCE_EXHAUSTED = 1 << 5;

    /** Any hard event: the SA processes nothing more. */
    public static final int HARD = HARD_BYTES | HARD_TIME | SEQUENCE_EXHAUSTED;

    private EspEvents()
    {
    }

    /** Called once per SA and event, on the thread that raised it: must not block (offer to a queue). */
    @FunctionalInterface
    public interface Listener
    {
        void onEvent(SecurityAssociation sa, int event);
    }

    /** Event names, "soft-bytes|hard-time", for logs. */
    public static String names(final int events)
    {
        final StringBuilder b = new StringBuilder();
        append(b, events, SOFT_BYTES, "soft-bytes");
        append(b, events, SOFT_TIME, "soft-time");
        append(b, events, HARD_BYTES, "hard-bytes");
        append(b, events, HARD_TIME, "hard-time");
        append(b, events, SEQUENCE_SOFT, "sequence-soft");
        append(b, events, SEQUENCE_EXHAUSTED, "sequence-exhausted");
        return b.length() == 0 ? "none" : b.toString();
    }

    private static void append(final StringBuilder b, final int events, final int bit, final String name)
    {
        if ((events & bit) != 0)
        {
            b.append(b.length() == 0 ? "" : "|").append(name);
        }
    }
}
