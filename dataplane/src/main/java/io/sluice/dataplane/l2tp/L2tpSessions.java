package io.sluice.dataplane.l2tp;

import org.agrona.collections.Int2IntHashMap;

import java.util.ArrayList;
import java.util.List;

/**
 * L2TP sessions by their receive keys: v3 by local session ID, v2 by (local tunnel ID, local
 * session ID). Copy-on-write: workers read published maps without locks.
 */
public final class L2tpSessions
{
    private final List<L2tpSession> list = new ArrayList<>();
    private volatile L2tpSession[] sessions = new L2tpSession[0];
    private volatile Int2IntHashMap v3ByLocalId = new Int2IntHashMap(-1);
    private volatile Int2IntHashMap v2ByIds = new Int2IntHashMap(-1);

    /** An L2TPv3 Ethernet pseudowire between {@code iface}'s port and the session. */
    public synchronized L2tpSession addV3(
        final L2tpSession.Encapsulation encapsulation, final int localAddress, final int remoteAddress,
        final int localSessionId, final int remoteSessionId, final long localCookie, final long remoteCookie,
        final int cookieLength, final int iface)
    {
        if (localSessionId == 0 || remoteSessionId == 0)
        {
            throw new IllegalArgumentException("L2TPv3 session ID 0 is reserved for control messages");
        }
        if (cookieLength != 0 && cookieLength != 4 && cookieLength != 8)
        {
            throw new IllegalArgumentException("L2TPv3 cookie length " + cookieLength + " must be 0, 4 or 8");
        }
        if (v3ByLocalId.containsKey(localSessionId))
        {
            throw new IllegalArgumentException("L2TPv3 local session ID " + localSessionId + " already in use");
        }
        final L2tpSession s = new L2tpSession(list.size(), 3, encapsulation, localAddress, remoteAddress, 1701, 1701,
            0, 0, localSessionId, remoteSessionId, localCookie, remoteCookie, cookieLength, iface, false, false);
        publish(s);
        final Int2IntHashMap next = new Int2IntHashMap(-1);
        v3ByLocalId.forEach(next::put);
        next.put(localSessionId, s.index);
        v3ByLocalId = next;
        return s;
    }

    /** An L2TPv2 data session carrying PPP with IPv4, routed through interface {@code iface}. */
    public synchronized L2tpSession addV2(
        final int localAddress, final int remoteAddress, final int localPort, final int remotePort,
        final int localTunnelId, final int localSessionId, final int remoteTunnelId, final int remoteSessionId,
        final int iface, final boolean sequencing, final boolean lengthBit)
    {
        for (final int id : new int[]{localTunnelId, localSessionId, remoteTunnelId, remoteSessionId})
        {
            if (id < 1 || id > 0xffff)
            {
                throw new IllegalArgumentException("L2TPv2 tunnel and session IDs are 1..65535, got " + id);
            }
        }
        final int key = (localTunnelId << 16) | localSessionId;
        if (v2ByIds.containsKey(key))
        {
            throw new IllegalArgumentException("L2TPv2 tunnel " + localTunnelId + " session " + localSessionId +
                " already in use");
        }
        final L2tpSession s = new L2tpSession(list.size(), 2, L2tpSession.Encapsulation.UDP, localAddress,
            remoteAddress, localPort, remotePort, localTunnelId, remoteTunnelId, localSessionId, remoteSessionId, 0, 0,
            0, iface, sequencing, lengthBit);
        publish(s);
        final Int2IntHashMap next = new Int2IntHashMap(-1);
        v2ByIds.forEach(next::put);
        next.put(key, s.index);
        v2ByIds = next;
        return s;
    }

    private void publish(final L2tpSession s)
    {
        list.add(s);
        sessions = list.toArray(L2tpSession[]::new);
    }

    public L2tpSession get(final int index)
    {
        return sessions[index];
    }

    public L2tpSession v3(final int localSessionId)
    {
        final int i = v3ByLocalId.get(localSessionId);
        return i < 0 ? null : sessions[i];
    }

    public L2tpSession v2(final int localTunnelId, final int localSessionId)
    {
        final int i = v2ByIds.get((localTunnelId << 16) | localSessionId);
        return i < 0 ? null : sessions[i];
    }

    public int size()
    {
        return sessions.length;
    }
}
