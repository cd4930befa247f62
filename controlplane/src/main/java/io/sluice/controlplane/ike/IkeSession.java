package io.sluice.controlplane.ike;

import java.net.InetSocketAddress;

/**
 * One IKE SA as {@code show crypto session} lists it, whichever IKE version made it.
 *
 * @param version     "IKEv1" or "IKEv2".
 * @param local       our address and port.
 * @param peer        the peer's address and port.
 * @param established authenticated and usable (IOS "Active"), or still negotiating.
 */
public record IkeSession(String version, InetSocketAddress local, InetSocketAddress peer, boolean established)
{
}
