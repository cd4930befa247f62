package io.sluice.dataplane.esp;

import io.sluice.dataplane.Dataplane;
import io.sluice.dataplane.frame.Burst;
import io.sluice.dataplane.graph.Meta;
import io.sluice.dataplane.graph.Node;
import io.sluice.dataplane.iface.Interface;
import io.sluice.dataplane.packet.Ipv4;
import io.sluice.dataplane.packet.Udp;
import io.sluice.dataplane.worker.Handoff;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * esp-decrypt: ESP (IP protocol 50) and ESP-in-UDP (port 4500, RFC 3948) packets for one of our
 * addresses, from ip4-local. The SA is found by SPI; the codec checks, in RFC 4303's order,
 * replay, ICV, padding and next header and counts every failure on the SA and here.
 * <p>
 * What comes out depends on what the SA protects. A route-based IPsec tunnel: the inner packet is
 * received on the tunnel interface (ip4-input). A GRE tunnel with {@code tunnel protection}:
 * the GRE packet (transport mode, or the inner packet of tunnel mode) goes back to ip4-local,
 * marked decrypted, so gre-input accepts it for the protected tunnel; anything else an SA of a
 * GRE tunnel delivers is a policy violation (RFC 4301 5.2: the packet does not match the SA's
 * selectors) and is dropped.
 * <p>
 * With several workers, an SA's packets are opened by the worker that owns the SA (its replay
 * window has one writer): a packet that arrives elsewhere is handed over ({@link Handoff}).
 */
public final class EspDecrypt extends Node
{
    private static final int NO_SA = EspStatus.OK;
    private static final int POLICY_MISMATCH = EspStatus.COUNT;
    private static final int ENCAPSULATION_MISMATCH = EspStatus.COUNT + 1;
    private static final int HANDOFF_FULL = EspStatus.COUNT + 2;

    private final Dataplane dp;
    private final EspCodec codec;

    public EspDecrypt(final Dataplane dp, final EspCodec codec)
    {
        super(dp.graph(), "esp-decrypt", reasons());
        this.dp = dp;
        this.codec = codec;
    }

    private static String[] reasons()
    {
        final String[] r = Arrays.copyOf(EspStatus.dropReasons(), EspStatus.COUNT + 3);
        r[NO_SA] = "no-sa";
        r[HANDOFF_FULL] = "handoff-ring-full";
        r[POLICY_MISMATCH] = "policy-mismatch";
        r[ENCAPSULATION_MISMATCH] = "udp-encapsulation-mismatch";
        return r;
    }

    @Override
    protected void process(final Burst v)
    {
        final MemorySegment m = v.memory();
        final SecurityAssociationDatabase sad = dp.sad();
        final int[] flags = graph.meta().flags;
        final int[] rxInterface = graph.meta().rxInterface;
        final Handoff.Lane handoff = dp.handoff();
        for (int i = 0; i < v.count(); i++)
        {
            final long at = v.address(i);
            final int len = v.length(i);
            final int frame = graph.pool().index(at);
            final int hl = Ipv4.headerLength(m, at);
            final boolean udp = Ipv4.protocol(m, at) == Ipv4.PROTO_UDP;
            final int espOffset = hl + (udp ? Udp.LENGTH : 0);
            if (len < espOffset + EspHeader.LENGTH)
            {
                drop(EspStatus.TRUNCATED, at);
                continue;
            }
            final SecurityAssociation sa = sad.inbound(EspHeader.spi(m, at + espOffset));
            if (sa == null)
            {
                drop(NO_SA, at);
                continue;
            }
            if (handoff != null && (flags[frame] & Meta.HANDED_OVER) == 0)
            {
                // the SA's replay window and counters are written by its owner only
                final int owner = sa.adoptWorker(handoff.worker());
                if (owner != handoff.worker())
                {
                    if (!handoff.handOver(owner, Handoff.ESP_DECRYPT, at, len, rxInterface[frame], flags[frame], 0))
                    {
                        drop(HANDOFF_FULL, at);
                    }
                    continue;
                }
            }
            if (sa.udpEncapsulation() != udp)
            {
                // RFC 3948 5.2: an SA negotiated with UDP encapsulation takes only encapsulated packets, and back
                sa.drop(EspStatus.BAD_PACKET);
                drop(ENCAPSULATION_MISMATCH, at);
                continue;
            }
            final int status = codec.decrypt(m, at, len, sa);
            if (status != EspStatus.OK)
            {
                drop(status, at);
                continue;
            }
            final long inner = codec.start();
            final int innerLength = codec.length();
            final Interface ifc = dp.ipsecBindingInterface(sa.tunnel());
            if (ifc == null)
            {
                drop(POLICY_MISMATCH, inner);
                continue;
            }
            if (dp.isGreTunnel(ifc))
            {
                // GRE inside: transport mode gives our outer header back, tunnel mode an inner one that must be
                // addressed to us as the tunnel's source
                if (Ipv4.protocol(m, inner) != Ipv4.PROTO_GRE ||
                    Ipv4.dst(m, inner) != dp.greTunnels().get(ifc.tunnel()).source())
                {
                    drop(POLICY_MISMATCH, inner);
                    continue;
                }
                flags[frame] = Meta.DECRYPTED;
                graph.enqueue(dp.ip4Local(), inner, innerLength);
            }
            else
            {
                if (sa.mode() != SecurityAssociation.Mode.TUNNEL)
                {
                    drop(POLICY_MISMATCH, inner);
                    continue;
                }
                rxInterface[frame] = ifc.index();
                flags[frame] = Meta.FROM_TUNNEL | Meta.DECRYPTED;
                graph.enqueue(dp.ip4Input(), inner, innerLength);
            }
        }
    }
}
