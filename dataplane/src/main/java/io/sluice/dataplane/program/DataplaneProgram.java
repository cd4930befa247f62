package io.sluice.dataplane.program;

/**
 * What the control side tells a dataplane to do, one call per item of state: the same calls
 * whether the dataplane is in this process ({@link DirectProgram}) or across Aeron IPC. Names,
 * not indexes: the control side never learns the dataplane's internal numbering. Addresses are
 * IPv4 in host order as ints.
 */
public interface DataplaneProgram
{
    /** {@code ip address A/len} on an interface (physical or tunnel). */
    void interfaceAddress(String ifname, int address, int prefixLength);

    /** {@code ip mtu} and {@code ip tcp adjust-mss} (0: none). */
    void interfaceMtu(String ifname, int ipMtu, int tcpAdjustMss);

    /** {@code interface TunnelN} with {@code tunnel mode gre [multipoint]} (destination 0). */
    void greTunnel(String name, int source, int destination, Long key);

    /** {@code tunnel protection ipsec profile} on a GRE tunnel. */
    void protectTunnel(String name);

    /** A route-based IPsec tunnel (a crypto map entry's protected traffic to one peer). */
    void ipsecTunnel(String name, int source, int destination);

    /** A multipoint GRE peer mapping (static {@code ip nhrp map}, later NHRP). */
    void mgrePeer(String tunnel, int overlay, int nbma);

    /** {@code ip route}; next hop 0 for directly through the interface. */
    void route(int prefix, int length, String ifname, int nextHop);

    /** {@code ip route ... Null0}. */
    void nullRoute(int prefix, int length);

    /** Removes a route (a remote-access client's address when it leaves); a route not there is no error. */
    void removeRoute(int prefix, int length);

    /** An ESP SA; an outbound one replaces the binding's current outbound SA (make-before-break). */
    void addSa(SaSpec sa);

    /** Deletes an SA: inbound by SPI; outbound by SPI if it is the binding's current one. */
    void deleteSa(int spi, boolean inbound);
}
