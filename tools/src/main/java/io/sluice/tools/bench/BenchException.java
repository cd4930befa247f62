package io.sluice.tools.bench;

/** A benchmark that cannot run or did not complete; the message says why and what to do. */
public final class BenchException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    public BenchException(final String message)
    {
        super(message);
    }

    public BenchException(final String message, final Throwable cause)
    {
        super(message, cause);
    }
}
