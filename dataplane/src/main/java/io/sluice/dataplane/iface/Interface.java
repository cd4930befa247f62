package io.sluice.dataplane.iface;

import io.sluice.dataplane.packet.Bytes;

/**
 * A layer-3 interface of the gateway: a physical port (Ethernet or a TUN's bare IP), or a
 * tunnel. Configuration is written by the control side before the interface is used by a
 * worker, or through volatile fields where it can change while traffic flows.
 */
public final class Interface
{
    public enum Kind
    {
        ETHERNET,
        IP,
        TUNNEL
    }

    public static final int DEFAULT_MTU = 1500;

    private final int index;
    private final String name;
    private final Kind kind;
    private final int port;
    private final long mac;
    private volatile int mtu;
    private volatile int address;
    private volatile int prefixLength;
    private volatile int mssClamp;
    private volatile int tunnel = -1;
    private volatile int xconnectSession = -1;

    Interface(final int index, final String name, final Kind kind, final int port, final long mac, final int mtu)
    {
        this.index = index;
        this.name = name;
        this.kind = kind;
        this.port = port;
        this.mac = mac;
        this.mtu = mtu;
    }

    public int index()
    {
        return index;
    }

    public String name()
    {
        return name;
    }

    public Kind kind()
    {
        return kind;
    }

    /** The graph port index, -1 for a tunnel. */
    public int port()
    {
        return port;
    }

    public long mac()
    {
        return mac;
    }

    /** The IP MTU ({@code ip mtu}): the largest IPv4 packet sent out of this interface unfragmented. */
    public int mtu()
    {
        return mtu;
    }

    public void mtu(final int mtu)
    {
        if (mtu < 68 || mtu > 9216)
        {
            throw new IllegalArgumentException("interface " + name + ": ip mtu " + mtu + " out of range 68..9216");
        }
        this.mtu = mtu;
    }

    public int address()
    {
        return address;
    }

    public int prefixLength()
    {
        return prefixLength;
    }

    void address(final int address, final int prefixLength)
    {
        this.address = address;
        this.prefixLength = prefixLength;
    }

    /** True when {@code ip} is on this interface's connected subnet. */
    public boolean onLink(final int ip)
    {
        if (prefixLength == 0)
        {
            return false;
        }
        final int mask = prefixLength == 32 ? -1 : ~(-1 >>> prefixLength);
        return (ip & mask) == (address & mask);
    }

    /** {@code ip tcp adjust-mss}: 0 when off. */
    public int mssClamp()
    {
        return mssClamp;
    }

    public void mssClamp(final int mss)
    {
        if (mss != 0 && (mss < 500 || mss > 1460))
        {
            throw new IllegalArgumentException("interface " + name + ": ip tcp adjust-mss " + mss +
                " out of range 500..1460");
        }
        this.mssClamp = mss;
    }

    /** The tunnel this interface is, -1 for a physical interface. */
    public int tunnel()
    {
        return tunnel;
    }

    void tunnel(final int tunnel)
    {
        this.tunnel = tunnel;
    }

    /** The L2TPv3 session every frame of this port goes into (an Ethernet pseudowire), or -1. */
    public int xconnectSession()
    {
        return xconnectSession;
    }

    public void xconnectSession(final int session)
    {
        this.xconnectSession = session;
    }

    @Override
    public String toString()
    {
        return name + " (" + kind.name().toLowerCase() + (port >= 0 ? ", port " + port : "") +
            (mac != 0 ? ", " + Bytes.macToString(mac) : "") +
            (prefixLength > 0 ? ", " + Bytes.ip4ToString(address) + "/" + prefixLength : "") + ", mtu " + mtu + ")";
    }
}
