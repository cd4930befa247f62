package io.sluice.ffi.libc;

/**
 * Moves the calling thread into a named network namespace ({@code ip netns add NAME}) and back.
 * setns(2) acts on one thread only: sockets, interface lookups and BPF links made by this thread
 * while inside belong to that namespace, and stay there after it leaves.
 */
public final class NetNs implements AutoCloseable
{
    private final int previous;
    private final String name;
    private boolean closed;

    private NetNs(final int previous, final String name)
    {
        this.previous = previous;
        this.name = name;
    }

    /** Enters {@code /run/netns/NAME}; close the result to return to the namespace the thread was in. */
    public static NetNs enter(final String name)
    {
        final int previous = Libc.open("/proc/thread-self/ns/net", Libc.O_RDONLY | Libc.O_CLOEXEC, null);
        final int target;
        try
        {
            target = Libc.open("/run/netns/" + name, Libc.O_RDONLY | Libc.O_CLOEXEC, "network namespace " + name);
        }
        catch (final RuntimeException e)
        {
            Libc.close(previous);
            throw e;
        }
        try
        {
            Libc.setns(target, Libc.CLONE_NEWNET, "network namespace " + name);
        }
        catch (final RuntimeException e)
        {
            Libc.close(previous);
            throw e;
        }
        finally
        {
            Libc.close(target);
        }
        return new NetNs(previous, name);
    }

    public String name()
    {
        return name;
    }

    @Override
    public void close()
    {
        if (!closed)
        {
            closed = true;
            try
            {
                Libc.setns(previous, Libc.CLONE_NEWNET, "returning from network namespace " + name);
            }
            finally
            {
                Libc.close(previous);
            }
        }
    }
}
