package io.sluice.dataplane.ip4.fib;

/**
 * An {@link Ip4Fib} had no free tbl8 group for a prefix longer than /24 whose /24 was not yet
 * expanded. The table is unchanged. The message says how many groups there are, how many wait
 * for readers to pass a quiescent point, and how to get more.
 */
public final class Tbl8ExhaustedException extends IllegalStateException
{
    private static final long serialVersionUID = 1L;

    private final int maxGroups;
    private final int awaitingQuiescence;

    public Tbl8ExhaustedException(final String message, final int maxGroups, final int awaitingQuiescence)
    {
        super(message);
        this.maxGroups = maxGroups;
        this.awaitingQuiescence = awaitingQuiescence;
    }

    /** The number of tbl8 groups the FIB was built with. */
    public int maxGroups()
    {
        return maxGroups;
    }

    /** Groups already released but not yet reusable: some registered reader has not passed a quiescent point since. */
    public int awaitingQuiescence()
    {
        return awaitingQuiescence;
    }
}
