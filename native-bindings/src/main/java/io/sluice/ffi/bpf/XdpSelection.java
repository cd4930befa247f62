package io.sluice.ffi.bpf;

import java.util.Arrays;

/**
 * Which received frames the XDP program redirects to the AF_XDP sockets; everything else is
 * passed to the kernel (XDP_PASS), so ARP, management and anything the gateway does not own
 * stay with the host.
 *
 * @param all         every frame goes to the sockets
 * @param ipProtocols IPv4 protocol numbers that go to the sockets (e.g. 47 GRE, 50 ESP, 115 L2TPv3)
 * @param udpPorts    UDP destination ports that go to the sockets (e.g. 500, 4500, 1701); IPv4
 *                    fragments of UDP go too when this is not empty, since their ports cannot be seen
 */
public record XdpSelection(boolean all, int[] ipProtocols, int[] udpPorts)
{
    public XdpSelection
    {
        ipProtocols = ipProtocols.clone();
        udpPorts = udpPorts.clone();
        for (final int p : ipProtocols)
        {
            if (p < 0 || p > 255)
            {
                throw new IllegalArgumentException("IP protocol " + p + " out of range 0..255");
            }
        }
        for (final int p : udpPorts)
        {
            if (p < 1 || p > 65535)
            {
                throw new IllegalArgumentException("UDP port " + p + " out of range 1..65535");
            }
        }
        if (ipProtocols.length + udpPorts.length > 200)
        {
            throw new IllegalArgumentException("at most 200 protocols and ports in one XDP selection");
        }
    }

    public static XdpSelection everything()
    {
        return new XdpSelection(true, new int[0], new int[0]);
    }

    public static XdpSelection of(final int[] ipProtocols, final int[] udpPorts)
    {
        return new XdpSelection(false, ipProtocols, udpPorts);
    }

    @Override
    public String toString()
    {
        return all ? "all frames" :
            "IPv4 protocols " + Arrays.toString(ipProtocols) + ", UDP ports " + Arrays.toString(udpPorts);
    }

    @Override
    public boolean equals(final Object o)
    {
        return o instanceof XdpSelection s && s.all == all && Arrays.equals(s.ipProtocols, ipProtocols) &&
            Arrays.equals(s.udpPorts, udpPorts);
    }

    @Override
    public int hashCode()
    {
        return Boolean.hashCode(all) * 31 + Arrays.hashCode(ipProtocols) * 17 + Arrays.hashCode(udpPorts);
    }
}
