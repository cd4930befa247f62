package io.sluice.controlplane.program;

import io.sluice.controlplane.config.Ip4;
import io.sluice.controlplane.config.Ip4Subnet;
import io.sluice.dataplane.program.DataplaneProgram;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The peers of a dynamic crypto map entry ({@code crypto map MAP SEQ ipsec-isakmp dynamic DYN}),
 * as their SAs come and go: each gets an IPsec tunnel of its own in the dataplane, {@code MAP/SEQ/N},
 * which its SAs bind to, and routes into it for what it protects; when its last SA is gone the
 * routes go and the tunnel is free for the next peer (the dataplane points it at that peer).
 * <p>
 * What is routed (IOS's reverse route injection, {@code reverse-route}): a child SA's remote proxy
 * identity, while an SA with it is up. IOS installs such routes only with {@code reverse-route},
 * because its crypto map also encrypts whatever the routing table sends out of the interface. The
 * Sluice dataplane encrypts by route only, so the address mode config lent a peer is routed to it
 * always: without the route nothing reaches the client, and the address belongs to the gateway's
 * pool anyway. Other remote identities (a site behind a dynamic address) are routed only with
 * {@code reverse-route}. Never routed: an identity that covers the peer's own address (IKE and ESP
 * must reach it outside the tunnel, and 0.0.0.0/0 would take every packet of the gateway), or the
 * gateway's address on the crypto map's interface.
 * <p>
 * The dataplane program has no route delete: a removed route is pointed at Null0 (traffic for the
 * departed client is dropped, never sent in clear along a wider route) until the next state
 * generation ({@code clear crypto sa}, a dataplane restart) leaves it out.
 * <p>
 * Changes come from one thread at a time: the IKE engine's listener, under the engine's lock. They
 * call the dataplane program holding no lock of their own, so a thread that holds the program's
 * lock and asks {@link #routes()} or {@link #peers()} (snapshots, any thread) never waits on them.
 */
public final class DynamicPeers
{
    /**
     * A route this class installed.
     *
     * @param prefix the remote proxy identity.
     * @param peer   the peer's IKE address.
     * @param tunnel the tunnel it goes into.
     * @param why    "mode config address" or "reverse-route".
     */
    public record Route(Ip4Subnet prefix, Ip4 peer, String tunnel, String why)
    {
    }

    private static final class Peer
    {
        final Ip4 address;
        final int slot;
        final String tunnel;
        /** The peer's child SAs, by inbound SPI, with their remote proxy identities. */
        final Map<Long, Ip4Subnet> children = new LinkedHashMap<>();

        Peer(final Ip4 address, final int slot, final String tunnel)
        {
            this.address = address;
            this.slot = slot;
            this.tunnel = tunnel;
        }
    }

    private final ConfigProgrammer.DynamicEntry entry;
    private final DataplaneProgram program;
    private final Consumer<String> log;
    private final Map<Ip4, Peer> peers = new LinkedHashMap<>();
    private final BitSet slots = new BitSet();
    /** Tunnels made in the dataplane so far, by slot: made once, pointed at each new peer of the slot. */
    private final Map<Integer, Ip4> tunnelTarget = new HashMap<>();
    private final Map<Ip4Subnet, Route> routes = new LinkedHashMap<>();
    private final Map<Ip4, Ip4> lent = new HashMap<>();
    private volatile List<Route> routesView = List.of();
    private volatile List<Ip4> peersView = List.of();

    public DynamicPeers(final ConfigProgrammer.DynamicEntry entry, final DataplaneProgram program,
        final Consumer<String> log)
    {
        this.entry = entry;
        this.program = program;
        this.log = log;
    }

    public ConfigProgrammer.DynamicEntry entry()
    {
        return entry;
    }

    /** Mode config lent {@code address} to {@code peer} (it took it): it is the peer's to be routed to. */
    public void addressLent(final Ip4 peer, final Ip4 address)
    {
        lent.put(peer, address);
    }

    /** The peer's mode config address went back to the pool. */
    public void addressReturned(final Ip4 peer, final Ip4 address)
    {
        lent.remove(peer, address);
    }

    /** The peers with SAs up, for {@code clear crypto sa}. */
    public List<Ip4> peers()
    {
        return peersView;
    }

    /** The routes installed, for {@code show ip route}. */
    public List<Route> routes()
    {
        return routesView;
    }

    /**
     * The tunnel a child SA with {@code peer} binds to: the peer's, else a free one pointed at it,
     * else a new one. Its SAs go there first; {@link #childUp} then routes into it.
     */
    public String tunnel(final Ip4 peer)
    {
        return peer(peer).tunnel;
    }

    /** The child SA (its SAs bound to {@link #tunnel}) is up: as decided above, a route for {@code remote}. */
    public void childUp(final Ip4 peer, final long spiIn, final Ip4Subnet remote)
    {
        final Peer p = peer(peer);
        p.children.put(spiIn, remote);
        route(p, remote);
    }

    private Peer peer(final Ip4 peer)
    {
        Peer p = peers.get(peer);
        if (p == null)
        {
            final int slot = slots.nextClearBit(1);
            slots.set(slot);
            p = new Peer(peer, slot, entry.tunnelPrefix() + "/" + slot);
            peers.put(peer, p);
            peersView = List.copyOf(peers.keySet());
            final Ip4 before = tunnelTarget.put(slot, peer);
            program.ipsecTunnel(p.tunnel, entry.local(), peer.bits());
            log.accept("dynamic peer " + peer + " (" + entry.dynamicEntryText() + "): IPsec tunnel " + p.tunnel +
                (before == null ? " made" : before.equals(peer) ? " reused" : " reused (it went to " + before + ")"));
        }
        return p;
    }

    /**
     * A child SA with {@code peer} is gone: its route goes if no other SA of the peer has the same
     * identity; the peer's last one frees its tunnel.
     */
    public void childDown(final Ip4 peer, final long spiIn)
    {
        final Peer p = peers.get(peer);
        if (p == null)
        {
            return;
        }
        final Ip4Subnet remote = p.children.remove(spiIn);
        if (remote != null && !p.children.containsValue(remote))
        {
            withdraw(p, remote);
        }
        if (p.children.isEmpty())
        {
            peers.remove(peer);
            peersView = List.copyOf(peers.keySet());
            slots.clear(p.slot);
            log.accept("dynamic peer " + peer + ": no SAs left; IPsec tunnel " + p.tunnel + " is free");
        }
    }

    private void route(final Peer p, final Ip4Subnet remote)
    {
        final String what = "route " + remote + " -> peer " + p.address;
        final Route existing = routes.get(remote);
        if (existing != null && existing.peer().equals(p.address))
        {
            return;   // a rekeyed SA, or a second child with the same identity: routed already
        }
        final boolean lentAddress = remote.prefixLength() == 32 && remote.address().equals(lent.get(p.address));
        if (!lentAddress && !entry.reverseRoute())
        {
            log.accept(what + " not installed: mode config did not lend it and " + entry.dynamicEntryText() +
                " has no reverse-route");
            return;
        }
        if (remote.contains(p.address))
        {
            log.accept(what + " not installed: it covers the peer's own address, which IKE and ESP reach outside " +
                "the tunnel");
            return;
        }
        if (remote.contains(new Ip4(entry.local())))
        {
            log.accept(what + " not installed: it covers the gateway's own address " + new Ip4(entry.local()));
            return;
        }
        final Route route = new Route(remote, p.address, p.tunnel, lentAddress ? "mode config address" :
            "reverse-route");
        program.route(remote.network().bits(), remote.prefixLength(), p.tunnel, 0);
        routes.put(remote, route);
        routesView = List.copyOf(routes.values());
        log.accept(what + " installed (" + p.tunnel + ", " + route.why() +
            (existing != null ? "; it went to peer " + existing.peer() + " before" : "") + ")");
    }

    private void withdraw(final Peer p, final Ip4Subnet remote)
    {
        final Route route = routes.get(remote);
        if (route == null || !route.peer().equals(p.address))
        {
            return;   // never installed, or another peer has it now
        }
        routes.remove(remote);
        routesView = List.copyOf(routes.values());
        if (route.why().equals("reverse-route"))
        {
            // the client's own network: gone from the table, as IOS's reverse route injection removes it
            program.removeRoute(remote.network().bits(), remote.prefixLength());
            log.accept("route " + remote + " -> peer " + p.address + " removed (" + p.tunnel + ")");
        }
        else
        {
            // an address of the pool: dropped (Null0) until a client has it again, never sent elsewhere in clear
            program.nullRoute(remote.network().bits(), remote.prefixLength());
            log.accept("route " + remote + " -> peer " + p.address + " removed (" + p.tunnel + "; the pool address " +
                "goes to Null0 until it is lent again)");
        }
    }

    /** What {@link #routes()} shows, one line each as {@code show ip route} prints static routes. */
    public static List<String> showLines(final List<Route> routes)
    {
        final List<String> lines = new ArrayList<>();
        for (final Route r : routes)
        {
            lines.add(String.format("S        %s [1/0] via %s, %s (%s)", r.prefix(), r.peer(), r.tunnel(), r.why()));
        }
        return lines;
    }
}
