package io.sluice.ffi.libc;

/**
 * A failed native call on the control path. The message names the call, what it was
 * called on, and the errno with its symbolic name and text, so a person can act on it.
 */
public final class NativeException extends RuntimeException
{
    private final String call;
    private final int errno;

    public NativeException(final String call, final String subject, final int errno)
    {
        super(call + (subject == null || subject.isEmpty() ? "" : " (" + subject + ")") +
            " failed: " + Errno.describe(errno));
        this.call = call;
        this.errno = errno;
    }

    public NativeException(final String message, final String call, final int errno, final Throwable cause)
    {
        super(message, cause);
        this.call = call;
        this.errno = errno;
    }

    /** The libc or kernel call that failed, e.g. {@code bind} or {@code bpf(BPF_LINK_CREATE)}. */
    public String call()
    {
        return call;
    }

    /** The errno the call returned. */
    public int errno()
    {
        return errno;
    }
}
