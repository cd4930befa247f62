package io.sluice.controlplane.ike;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/**
 * NAT discovery hashes (RFC 3947 3.2): HASH(CKY-I | CKY-R | IP | Port) with the IKE SA's hash.
 * The first NAT-D payload of a message hashes the receiver's address, the others the sender's; a
 * side whose own address does not hash to what the peer sent is behind a NAT.
 */
public final class NatDetection
{
    private NatDetection()
    {
    }

    public static byte[] hash(final IkeHash hash, final long initiatorCookie, final long responderCookie,
        final InetSocketAddress address)
    {
        final byte[] ip = address.getAddress().getAddress();
        final ByteBuffer b = ByteBuffer.allocate(16 + ip.length + 2);
        b.putLong(initiatorCookie).putLong(responderCookie).put(ip).putShort((short)address.getPort());
        return hash.digest(b.array());
    }
}
