package io.sluice.dataplane.ipc;

/** A message could not be sent over IPC; the message says why and what to look at. */
public final class IpcException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    public IpcException(final String message)
    {
        super(message);
    }
}
