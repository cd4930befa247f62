package io.sluice.tools.ikebench;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A client of strongSwan's vici protocol (its {@code libcharon/plugins/vici/README.md}): packets
 * of a 32-bit length and a type byte over a UNIX socket; named requests carry a message of key/value
 * pairs, lists and sections. Messages are maps here: String values, {@code List<String>} lists,
 * nested maps for sections. One connection serves one thread; blocking requests (an
 * {@code initiate} with a timeout) wait on their own connection.
 */
final class Vici implements AutoCloseable
{
    private static final int CMD_REQUEST = 0;
    private static final int CMD_RESPONSE = 1;
    private static final int CMD_UNKNOWN = 2;
    private static final int EVENT_REGISTER = 3;
    private static final int EVENT_UNREGISTER = 4;
    private static final int EVENT_CONFIRM = 5;
    private static final int EVENT_UNKNOWN = 6;
    private static final int EVENT = 7;

    private static final int SECTION_START = 1;
    private static final int SECTION_END = 2;
    private static final int KEY_VALUE = 3;
    private static final int LIST_START = 4;
    private static final int LIST_ITEM = 5;
    private static final int LIST_END = 6;

    private final SocketChannel channel;
    private final Path socket;

    private Vici(final SocketChannel channel, final Path socket)
    {
        this.channel = channel;
        this.socket = socket;
    }

    static Vici connect(final Path socket) throws IOException
    {
        final SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        try
        {
            ch.connect(UnixDomainSocketAddress.of(socket));
            return new Vici(ch, socket);
        }
        catch (final IOException e)
        {
            ch.close();
            throw new IOException("cannot connect to charon's vici socket " + socket + ": " + e.getMessage(), e);
        }
    }

    /** A command and its response message; events that arrive meanwhile are skipped. */
    Map<String, Object> request(final String command, final Map<String, ?> message) throws IOException
    {
        return request(command, message, null, null);
    }

    /** The messages of every {@code event} a streaming command ({@code list-sas}) sends before its response. */
    List<Map<String, Object>> collect(final String command, final Map<String, ?> message, final String event)
        throws IOException
    {
        write(EVENT_REGISTER, event, null);
        expect(EVENT_CONFIRM, "registering for " + event);
        final List<Map<String, Object>> events = new ArrayList<>();
        request(command, message, event, events);
        write(EVENT_UNREGISTER, event, null);
        expect(EVENT_CONFIRM, "unregistering from " + event);
        return events;
    }

    private Map<String, Object> request(final String command, final Map<String, ?> message, final String event,
        final List<Map<String, Object>> events) throws IOException
    {
        write(CMD_REQUEST, command, message);
        while (true)
        {
            final ByteBuffer p = read();
            final int type = p.get() & 0xff;
            switch (type)
            {
                case CMD_RESPONSE ->
                {
                    return decode(p);
                }
                case CMD_UNKNOWN -> throw new IOException("charon (" + socket + ") does not know the vici command " +
                    command);
                case EVENT ->
                {
                    final String name = name(p);
                    if (events != null && name.equals(event))
                    {
                        events.add(decode(p));
                    }
                }
                default -> throw new IOException("unexpected vici packet type " + type + " answering " + command);
            }
        }
    }

    private void expect(final int type, final String what) throws IOException
    {
        final ByteBuffer p = read();
        final int got = p.get() & 0xff;
        if (got != type)
        {
            throw new IOException("vici: " + what + " answered with packet type " + got +
                (got == EVENT_UNKNOWN ? " (unknown event)" : ""));
        }
    }

    private void write(final int type, final String name, final Map<String, ?> message) throws IOException
    {
        final ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(type);
        final byte[] n = name.getBytes(StandardCharsets.US_ASCII);
        body.write(n.length);
        body.write(n, 0, n.length);
        if (message != null)
        {
            encode(body, message);
        }
        final byte[] b = body.toByteArray();
        final ByteBuffer out = ByteBuffer.allocate(4 + b.length).putInt(b.length).put(b).flip();
        while (out.hasRemaining())
        {
            channel.write(out);
        }
    }

    private static void encode(final ByteArrayOutputStream out, final Map<String, ?> message)
    {
        for (final Map.Entry<String, ?> e : message.entrySet())
        {
            final byte[] key = e.getKey().getBytes(StandardCharsets.US_ASCII);
            switch (e.getValue())
            {
                case Map<?, ?> section ->
                {
                    out.write(SECTION_START);
                    out.write(key.length);
                    out.write(key, 0, key.length);
                    @SuppressWarnings("unchecked")
                    final Map<String, ?> inner = (Map<String, ?>)section;
                    encode(out, inner);
                    out.write(SECTION_END);
                }
                case List<?> list ->
                {
                    out.write(LIST_START);
                    out.write(key.length);
                    out.write(key, 0, key.length);
                    for (final Object item : list)
                    {
                        value(out, String.valueOf(item));
                    }
                    out.write(LIST_END);
                }
                default ->
                {
                    out.write(KEY_VALUE);
                    out.write(key.length);
                    out.write(key, 0, key.length);
                    value(out, String.valueOf(e.getValue()));
                }
            }
        }
    }

    private static void value(final ByteArrayOutputStream out, final String value)
    {
        final byte[] v = value.getBytes(StandardCharsets.UTF_8);
        out.write(v.length >>> 8);
        out.write(v.length);
        out.write(v, 0, v.length);
    }

    private ByteBuffer read() throws IOException
    {
        final ByteBuffer len = ByteBuffer.allocate(4);
        fill(len);
        final int n = len.flip().getInt();
        if (n <= 0 || n > 16 << 20)
        {
            throw new IOException("vici: bad packet length " + n);
        }
        final ByteBuffer p = ByteBuffer.allocate(n);
        fill(p);
        return p.flip();
    }

    private void fill(final ByteBuffer b) throws IOException
    {
        while (b.hasRemaining())
        {
            if (channel.read(b) < 0)
            {
                throw new IOException("charon closed its vici socket " + socket);
            }
        }
    }

    private static String name(final ByteBuffer p)
    {
        final byte[] n = new byte[p.get() & 0xff];
        p.get(n);
        return new String(n, StandardCharsets.US_ASCII);
    }

    private static Map<String, Object> decode(final ByteBuffer p)
    {
        final List<Map<String, Object>> stack = new ArrayList<>();
        stack.add(new LinkedHashMap<>());
        List<String> list = null;
        while (p.hasRemaining())
        {
            final int element = p.get() & 0xff;
            switch (element)
            {
                case SECTION_START ->
                {
                    final Map<String, Object> section = new LinkedHashMap<>();
                    stack.getLast().put(name(p), section);
                    stack.add(section);
                }
                case SECTION_END -> stack.removeLast();
                case KEY_VALUE ->
                {
                    final String key = name(p);
                    stack.getLast().put(key, text(p));
                }
                case LIST_START ->
                {
                    list = new ArrayList<>();
                    stack.getLast().put(name(p), list);
                }
                case LIST_ITEM -> list.add(text(p));
                case LIST_END -> list = null;
                default -> throw new IllegalStateException("vici: unknown message element " + element);
            }
        }
        return stack.getFirst();
    }

    private static String text(final ByteBuffer p)
    {
        final byte[] v = new byte[p.getShort() & 0xffff];
        p.get(v);
        return new String(v, StandardCharsets.UTF_8);
    }

    @Override
    public void close()
    {
        try
        {
            channel.close();
        }
        catch (final IOException ignored)
        {
            // closing: nothing left to do
        }
    }
}
