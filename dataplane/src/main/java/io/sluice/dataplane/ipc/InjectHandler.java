package io.sluice.dataplane.ipc;

import io.sluice.dataplane.ipc.codecs.InjectKind;
import org.agrona.DirectBuffer;

/**
 * What the dataplane does with a packet the control process sends (IKE, NHRP, L2TP control),
 * called on the {@link InjectAdapter}'s thread. The name and the packet are views of the receive
 * buffer, valid during the call only: copy the packet into a frame.
 */
@FunctionalInterface
public interface InjectHandler
{
    /**
     * @param kind          {@link InjectKind#ROUTE}: an IPv4 packet routed by its destination;
     *                      {@link InjectKind#INTERFACE}: an IPv4 packet out of {@code interfaceName} (a port or a
     *                      tunnel) to {@code nextHop} (0: its destination); {@link InjectKind#FRAME}: a whole
     *                      link-layer frame out of the port {@code interfaceName}, as it is
     * @param interfaceName empty for ROUTE
     * @param packet        capacity = its length
     */
    void onInject(InjectKind kind, CharSequence interfaceName, int nextHop, DirectBuffer packet);
}
