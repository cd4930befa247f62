package io.sluice.dataplane.io.xdp;

import io.sluice.ffi.bpf.XdpSelection;
import io.sluice.ffi.xdp.Umem;
import io.sluice.ffi.xdp.XskSocket;

/**
 * A child process for the tests: opens an AF_XDP port on an interface of its namespace, says
 * READY and waits to be killed; or prints ERROR and the exception message and exits 1.
 */
public final class XdpHolder
{
    private XdpHolder()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        try
        {
            final Umem umem = Umem.allocate(2048, 4096, 128, false);
            final XdpPort port = XdpPort.open(args[0], 0, umem, XdpPort.poolFor(umem), XdpSelection.everything(),
                XskSocket.Config.defaults().withCopyMode(XskSocket.CopyMode.COPY), false);
            System.out.println("READY " + port.name());
            System.out.flush();
            Thread.sleep(60_000);
        }
        catch (final RuntimeException e)
        {
            System.out.println("ERROR " + e.getMessage());
            System.exit(1);
        }
    }
}
