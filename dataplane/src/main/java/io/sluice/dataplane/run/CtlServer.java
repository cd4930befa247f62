package io.sluice.dataplane.run;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Function;

/**
 * A process's command socket: one command per connection, a line in, text out, then the
 * connection closes. The first line of the answer is {@code ok} or {@code error}. A thread of
 * its own; commands run one at a time.
 */
public final class CtlServer implements AutoCloseable
{
    private final Path path;
    private final ServerSocketChannel server;
    private final Thread thread;

    public CtlServer(final Path path, final Function<String, String> handler) throws IOException
    {
        this.path = path;
        Files.deleteIfExists(path);
        this.server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(path));
        this.thread = Thread.ofPlatform().name("ctl " + path.getFileName()).daemon().start(() -> serve(handler));
    }

    private void serve(final Function<String, String> handler)
    {
        while (server.isOpen())
        {
            try (SocketChannel ch = server.accept())
            {
                final String command = readAll(ch).trim();
                String answer;
                try
                {
                    answer = "ok\n" + handler.apply(command);
                }
                catch (final RuntimeException e)
                {
                    answer = "error\n" + (e.getMessage() == null ? e.toString() : e.getMessage()) + "\n";
                }
                final ByteBuffer out = ByteBuffer.wrap(answer.getBytes(StandardCharsets.UTF_8));
                while (out.hasRemaining())
                {
                    ch.write(out);
                }
            }
            catch (final IOException e)
            {
                if (!server.isOpen())
                {
                    return;
                }
            }
        }
    }

    static String readAll(final SocketChannel ch) throws IOException
    {
        final java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
        final ByteBuffer b = ByteBuffer.allocate(8192);
        while (ch.read(b) >= 0)
        {
            b.flip();
            all.write(b.array(), 0, b.limit());
            b.clear();
        }
        return all.toString(StandardCharsets.UTF_8);
    }

    /** Sends one command to the socket at {@code path} and returns the answer (first line ok/error included). */
    public static String call(final Path path, final String command) throws IOException
    {
        try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(path)))
        {
            final ByteBuffer out = ByteBuffer.wrap((command + "\n").getBytes(StandardCharsets.UTF_8));
            while (out.hasRemaining())
            {
                ch.write(out);
            }
            ch.shutdownOutput();
            return readAll(ch);
        }
    }

    @Override
    public void close() throws IOException
    {
        server.close();
        Files.deleteIfExists(path);
        try
        {
            thread.join(1000);
        }
        catch (final InterruptedException e)
        {
            Thread.currentThread().interrupt();
        }
    }
}
