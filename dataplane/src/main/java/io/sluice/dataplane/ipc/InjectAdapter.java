package io.sluice.dataplane.ipc;

import io.aeron.Subscription;
import io.sluice.dataplane.ipc.codecs.InjectKind;
import io.sluice.dataplane.ipc.codecs.InjectPacketDecoder;
import org.agrona.DirectBuffer;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The dataplane's reader of the inject stream: an {@link org.agrona.concurrent.Agent} that hands
 * each packet to its {@link InjectHandler}, nothing allocated per packet. Like the program
 * stream, it listens to the newest control process only.
 */
public final class InjectAdapter extends StreamAdapter
{
    private static final InjectKind[] KINDS = new InjectKind[256];

    static
    {
        for (final InjectKind k : InjectKind.values())
        {
            if (k != InjectKind.NULL_VAL)
            {
                KINDS[k.value()] = k;
            }
        }
    }

    private final InjectHandler handler;
    private final InjectPacketDecoder inject = new InjectPacketDecoder();
    private final NameView name = new NameView();
    private final UnsafeBuffer packet = new UnsafeBuffer(new byte[0]);

    InjectAdapter(final Subscription subscription, final InjectHandler handler, final ErrorHandler errorHandler)
    {
        super(subscription, "sluice-inject-adapter", errorHandler);
        this.handler = handler;
    }

    @Override
    boolean onMessage(final int templateId, final DirectBuffer buffer, final int offset, final int blockLength,
        final int version)
    {
        if (templateId != InjectPacketDecoder.TEMPLATE_ID)
        {
            return false;
        }
        final InjectPacketDecoder d = inject.wrap(buffer, offset, blockLength, version);
        final InjectKind kind = KINDS[d.kindRaw() & 0xff];
        if (kind == null)
        {
            throw malformed("kind", d.kindRaw());
        }
        final int nextHop = d.nextHop();
        d.wrapInterfaceName(name.bytes);
        d.wrapPacket(packet);
        handler.onInject(kind, name.view(), nextHop, packet);
        return true;
    }
}
