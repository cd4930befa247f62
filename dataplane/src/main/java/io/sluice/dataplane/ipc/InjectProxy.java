package io.sluice.dataplane.ipc;

import io.aeron.ExclusivePublication;
import io.sluice.dataplane.ipc.codecs.InjectKind;
import io.sluice.dataplane.ipc.codecs.InjectPacketEncoder;
import io.sluice.dataplane.ipc.codecs.MessageHeaderEncoder;
import org.agrona.DirectBuffer;

/**
 * The control process's writer of the inject stream: packets for the dataplane to send. Encoded
 * into one reusable buffer, nothing allocated per packet; a refused offer is retried up to the
 * send timeout, then {@link IpcException}. One thread uses a proxy.
 */
public final class InjectProxy implements AutoCloseable
{
    private final StreamPublisher out;
    private final InjectPacketEncoder inject = new InjectPacketEncoder();

    InjectProxy(final ExclusivePublication publication, final long sendTimeoutNs)
    {
        this.out = new StreamPublisher(publication, "inject", sendTimeoutNs, 1);
    }

    public boolean isConnected()
    {
        return out.isConnected();
    }

    /** See {@link InjectHandler#onInject} for what {@code kind}, {@code interfaceName} and {@code nextHop} mean. */
    public void inject(final InjectKind kind, final CharSequence interfaceName, final int nextHop,
        final DirectBuffer packet, final int offset, final int length)
    {
        out.checkLength(MessageHeaderEncoder.ENCODED_LENGTH + InjectPacketEncoder.BLOCK_LENGTH + 4 +
            interfaceName.length() + length);
        inject.wrapAndApplyHeader(out.buffer, 0, out.header)
            .kind(kind)
            .nextHop(nextHop)
            .interfaceName(interfaceName)
            .putPacket(packet, offset, length);
        out.send(MessageHeaderEncoder.ENCODED_LENGTH + inject.encodedLength());
    }

    public void inject(final InjectKind kind, final CharSequence interfaceName, final int nextHop,
        final byte[] packet)
    {
        out.checkLength(MessageHeaderEncoder.ENCODED_LENGTH + InjectPacketEncoder.BLOCK_LENGTH + 4 +
            interfaceName.length() + packet.length);
        inject.wrapAndApplyHeader(out.buffer, 0, out.header)
            .kind(kind)
            .nextHop(nextHop)
            .interfaceName(interfaceName)
            .putPacket(packet, 0, packet.length);
        out.send(MessageHeaderEncoder.ENCODED_LENGTH + inject.encodedLength());
    }

    public long sent()
    {
        return out.sent();
    }

    @Override
    public void close()
    {
        out.close();
    }
}
