package io.sluice.controlplane.run;

import io.sluice.dataplane.esp.SecurityAssociation.Direction;
import io.sluice.dataplane.ipc.ProgramProxy;
import io.sluice.dataplane.ipc.SaParameters;
import io.sluice.dataplane.program.DataplaneProgram;
import io.sluice.dataplane.program.SaSpec;

/** {@link DataplaneProgram} calls sent to the dataplane process over the Aeron program stream. */
final class IpcProgram implements DataplaneProgram
{
    private final ProgramProxy proxy;
    private final SaParameters sa = new SaParameters();

    IpcProgram(final ProgramProxy proxy)
    {
        this.proxy = proxy;
    }

    @Override
    public void interfaceAddress(final String ifname, final int address, final int prefixLength)
    {
        proxy.interfaceConfig(ifname, address, prefixLength, 0, 0, false);
    }

    @Override
    public void interfaceMtu(final String ifname, final int ipMtu, final int tcpAdjustMss)
    {
        proxy.interfaceConfig(ifname, 0, 0, ipMtu, tcpAdjustMss, false);
    }

    @Override
    public void greTunnel(final String name, final int source, final int destination, final Long key)
    {
        proxy.greTunnelAdd(name, source, destination, key != null, key == null ? 0 : key.intValue(), false, 255, 0);
    }

    @Override
    public void protectTunnel(final String name)
    {
        proxy.tunnelProtect(name);
    }

    @Override
    public void ipsecTunnel(final String name, final int source, final int destination)
    {
        proxy.ipsecTunnelAdd(name, source, destination);
    }

    @Override
    public void mgrePeer(final String tunnel, final int overlay, final int nbma)
    {
        proxy.mgrePeerMap(tunnel, overlay, nbma);
    }

    @Override
    public void route(final int prefix, final int length, final String ifname, final int nextHop)
    {
        proxy.routeAdd(prefix, length, ifname, nextHop);
    }

    @Override
    public void nullRoute(final int prefix, final int length)
    {
        proxy.routeAdd(prefix, length, "Null0", 0);
    }

    @Override
    public void removeRoute(final int prefix, final int length)
    {
        proxy.routeDelete(prefix, length, "", 0);
    }

    @Override
    public void addSa(final SaSpec spec)
    {
        try
        {
            sa.reset().spi(spec.spi()).direction(spec.inbound() ? Direction.INBOUND : Direction.OUTBOUND)
                .mode(spec.mode()).peer(spec.peer()).tunnel(spec.tunnel())
                .encryption(spec.encryption(), spec.encryptionKey())
                .integrity(spec.integrity(), spec.integrityKey())
                .esn(spec.esn()).replayWindow(spec.replayWindow());
            if (spec.inbound())
            {
                sa.endpoints(spec.peer(), spec.local());
                if (spec.udpPort() != 0)
                {
                    sa.udpEncapsulation(spec.udpPort(), 4500);
                }
            }
            else
            {
                sa.endpoints(spec.local(), spec.peer());
                if (spec.udpPort() != 0)
                {
                    sa.udpEncapsulation(4500, spec.udpPort());
                }
            }
            if (spec.lifetimeSeconds() > 0)
            {
                sa.lifetimeSeconds(0, spec.lifetimeSeconds());
            }
            if (spec.lifetimeKilobytes() > 0)
            {
                sa.lifetimeKilobytes(0, spec.lifetimeKilobytes());
            }
            proxy.saAdd(sa);
        }
        finally
        {
            spec.wipe();
            sa.reset();
        }
    }

    @Override
    public void deleteSa(final int spi, final boolean inbound)
    {
        proxy.saDelete(spi, inbound ? Direction.INBOUND : Direction.OUTBOUND);
    }
}
