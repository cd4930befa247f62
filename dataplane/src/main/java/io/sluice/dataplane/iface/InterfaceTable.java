package io.sluice.dataplane.iface;

import java.util.ArrayList;
import java.util.List;

/**
 * All interfaces of a gateway by index. Grows on the control side; workers read the published
 * array, which is replaced (never changed in place) when an interface is added.
 */
public final class InterfaceTable
{
    private final List<Interface> list = new ArrayList<>();
    private volatile Interface[] byIndex = new Interface[0];

    public synchronized Interface add(
        final String name, final Interface.Kind kind, final int port, final long mac, final int mtu)
    {
        for (final Interface i : list)
        {
            if (i.name().equals(name))
            {
                throw new IllegalArgumentException("interface " + name + " already exists");
            }
        }
        final Interface ifc = new Interface(list.size(), name, kind, port, mac, mtu);
        list.add(ifc);
        byIndex = list.toArray(Interface[]::new);
        return ifc;
    }

    public void setAddress(final Interface ifc, final int address, final int prefixLength)
    {
        if (prefixLength < 1 || prefixLength > 32)
        {
            throw new IllegalArgumentException("interface " + ifc.name() + ": prefix length " + prefixLength +
                " out of range 1..32");
        }
        ifc.address(address, prefixLength);
    }

    void bindTunnel(final Interface ifc, final int tunnel)
    {
        ifc.tunnel(tunnel);
    }

    public Interface get(final int index)
    {
        return byIndex[index];
    }

    public Interface byName(final String name)
    {
        for (final Interface i : byIndex)
        {
            if (i.name().equals(name))
            {
                return i;
            }
        }
        throw new IllegalArgumentException("no interface " + name);
    }

    /** Every interface, in index order (a snapshot). */
    public java.util.stream.Stream<Interface> stream()
    {
        final java.util.List<Interface> all = new java.util.ArrayList<>();
        for (int i = 0; i < size(); i++)
        {
            all.add(get(i));
        }
        return all.stream();
    }

    public int size()
    {
        return byIndex.length;
    }

    /** Marks an interface as tunnel {@code tunnel}'s. */
    public static void tunnelOf(final Interface ifc, final int tunnel)
    {
        ifc.tunnel(tunnel);
    }
}
