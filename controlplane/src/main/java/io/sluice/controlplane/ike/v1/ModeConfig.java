package io.sluice.controlplane.ike.v1;

import io.sluice.controlplane.config.CryptoMap;
import io.sluice.controlplane.config.Ip4;
import io.sluice.controlplane.config.LocalPool;

import java.net.InetAddress;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * IKE mode configuration (draft-dukes-ike-mode-cfg, reference 004): the transaction exchange
 * (exchange type 6) that runs after phase 1 and before quick mode, in which a gateway hands a
 * client the inner address it then uses as its proxy identity. Constants, the settings of both
 * sides, and the address pool; the exchange itself runs in {@link Ikev1Engine}.
 */
public final class ModeConfig
{
    /** The transaction exchange type. */
    public static final int EXCHANGE_TRANSACTION = 6;
    /** The attribute payload. */
    public static final int PAYLOAD_ATTRIBUTES = 14;

    public static final int CFG_REQUEST = 1;
    public static final int CFG_REPLY = 2;
    public static final int CFG_SET = 3;
    public static final int CFG_ACK = 4;

    public static final int INTERNAL_IP4_ADDRESS = 1;
    public static final int INTERNAL_IP4_NETMASK = 2;
    public static final int INTERNAL_IP4_DNS = 3;

    private ModeConfig()
    {
    }

    /**
     * The gateway side: {@code crypto isakmp client configuration address-pool local NAME} with its
     * {@code ip local pool}, and {@code crypto map NAME client configuration address initiate|respond}.
     *
     * @param start   INITIATE: after phase 1 we SET an address and wait for the ACK; RESPOND: we only
     *                REPLY to a client's REQUEST (both sides answer a REQUEST whenever a pool is set).
     * @param pool    the addresses handed out.
     * @param netmask sent when the client asks for INTERNAL_IP4_NETMASK (and in a SET); null: not sent.
     * @param dns     sent when the client asks for INTERNAL_IP4_DNS (and in a SET).
     */
    public record Gateway(CryptoMap.ClientConfiguration start, LocalPool pool, Ip4 netmask, List<Ip4> dns)
    {
        public Gateway
        {
            dns = List.copyOf(dns);
        }
    }

    /** The client side, as an initiator of phase 1. */
    public enum Client
    {
        /** No mode config: a SET is ignored, quick mode uses our own address. */
        OFF,
        /** Client-initiated: after phase 1 we REQUEST an address, quick mode waits for the REPLY. */
        PULL,
        /** Gateway-initiated: after phase 1 we wait for the gateway's SET, ACK it, then start quick mode. */
        PUSH
    }

    static String typeName(final int cfgType)
    {
        return switch (cfgType)
        {
            case CFG_REQUEST -> "CFG_REQUEST";
            case CFG_REPLY -> "CFG_REPLY";
            case CFG_SET -> "CFG_SET";
            case CFG_ACK -> "CFG_ACK";
            default -> "CFG_" + cfgType;
        };
    }

    /**
     * Addresses of one {@code ip local pool}, lent per peer (the IKE peer's outer address): the same
     * peer gets the same address back while it holds one, the lowest free address otherwise.
     */
    static final class AddressPool
    {
        private final LocalPool pool;
        private final BitSet used = new BitSet();
        private final Map<InetAddress, Ip4> byPeer = new HashMap<>();

        AddressPool(final LocalPool pool)
        {
            if (pool.size() > 1 << 24)
            {
                throw new IllegalArgumentException("ip local pool " + pool.name() + " has " + pool.size() +
                    " addresses, more than mode config hands out");
            }
            this.pool = pool;
        }

        String name()
        {
            return pool.name();
        }

        /** The peer's address, a new one, or null when the pool is exhausted. */
        Ip4 allocate(final InetAddress peer)
        {
            final Ip4 held = byPeer.get(peer);
            if (held != null)
            {
                return held;
            }
            final int free = used.nextClearBit(0);
            if (free >= pool.size())
            {
                return null;
            }
            used.set(free);
            final Ip4 address = new Ip4((int)(pool.start().unsigned() + free));
            byPeer.put(peer, address);
            return address;
        }

        /** Gives the peer's address back; the address it held, or null. */
        Ip4 release(final InetAddress peer)
        {
            final Ip4 address = byPeer.remove(peer);
            if (address != null)
            {
                used.clear((int)(address.unsigned() - pool.start().unsigned()));
            }
            return address;
        }

        int inUse()
        {
            return byPeer.size();
        }

        long size()
        {
            return pool.size();
        }
    }
}
