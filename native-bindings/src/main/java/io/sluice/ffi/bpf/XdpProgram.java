package io.sluice.ffi.bpf;

import io.sluice.ffi.libc.Libc;

import static io.sluice.ffi.bpf.BpfInsns.R0;
import static io.sluice.ffi.bpf.BpfInsns.R1;
import static io.sluice.ffi.bpf.BpfInsns.R2;
import static io.sluice.ffi.bpf.BpfInsns.R3;
import static io.sluice.ffi.bpf.BpfInsns.R4;
import static io.sluice.ffi.bpf.BpfInsns.R5;
import static io.sluice.ffi.bpf.BpfInsns.R6;

/**
 * The XDP side of AF_XDP on one interface: an XSKMAP (queue index -> socket), a small
 * classifier program that redirects the selected frames to the socket of the queue they came
 * in on and passes the rest to the kernel, and the BPF link that attaches it. Closing (or the
 * process dying) detaches the program.
 */
public final class XdpProgram implements AutoCloseable
{
    static final int XDP_PASS = 2;
    static final int BPF_FUNC_REDIRECT_MAP = 51;

    // struct xdp_md
    private static final int MD_DATA = 0;
    private static final int MD_DATA_END = 4;
    private static final int MD_RX_QUEUE_INDEX = 16;

    private final String ifname;
    private final int ifindex;
    private final XdpSelection selection;
    private final int mapFd;
    private final int progFd;
    private final int linkFd;
    private final boolean driverMode;
    private boolean closed;

    private XdpProgram(
        final String ifname, final int ifindex, final XdpSelection selection, final int mapFd, final int progFd,
        final int linkFd, final boolean driverMode)
    {
        this.driverMode = driverMode;
        this.ifname = ifname;
        this.ifindex = ifindex;
        this.selection = selection;
        this.mapFd = mapFd;
        this.progFd = progFd;
        this.linkFd = linkFd;
    }

    /**
     * Loads and attaches the classifier to {@code ifname} in the calling thread's namespace.
     *
     * @param driverMode native (driver) XDP when true, generic (skb) XDP otherwise
     * @param maxQueues  how many queue indexes the map holds
     */
    public static XdpProgram attach(
        final String ifname, final XdpSelection selection, final boolean driverMode, final int maxQueues)
    {
        final int ifindex = Libc.ifNameToIndex(ifname);
        final int mapFd = Bpf.mapCreate(Bpf.BPF_MAP_TYPE_XSKMAP, maxQueues, "sluice_xsks");
        int progFd = -1;
        try
        {
            progFd = Bpf.progLoad(Bpf.BPF_PROG_TYPE_XDP, classifier(mapFd, selection), "sluice_xdp");
            final int flags = driverMode ? Bpf.XDP_FLAGS_DRV_MODE : Bpf.XDP_FLAGS_SKB_MODE;
            final int linkFd = Bpf.linkXdp(progFd, ifindex, ifname, flags);
            return new XdpProgram(ifname, ifindex, selection, mapFd, progFd, linkFd, driverMode);
        }
        catch (final RuntimeException e)
        {
            Libc.close(progFd);
            Libc.close(mapFd);
            throw e;
        }
    }

    /** The program for a selection; public so tests can check it loads and what it looks like. */
    public static long[] classifier(final int mapFd, final XdpSelection selection)
    {
        final BpfInsns a = new BpfInsns();
        final BpfInsns.Label redirect = a.label();
        final BpfInsns.Label pass = a.label();
        a.movReg(R6, R1);
        if (!selection.all())
        {
            a.ldxW(R2, R6, MD_DATA)
                .ldxW(R3, R6, MD_DATA_END)
                .movReg(R4, R2).add(R4, 14 + 20)
                .jgtReg(R4, R3, pass)
                .ldxH(R5, R2, 12).jne(R5, 0x0008, pass) // ethertype 0x0800, loaded little-endian
                .ldxB(R5, R2, 14 + 9);                    // IPv4 protocol
            for (final int p : selection.ipProtocols())
            {
                a.jeq(R5, p, redirect);
            }
            if (selection.udpPorts().length > 0)
            {
                a.jne(R5, 17, pass)
                    .ldxH(R5, R2, 14 + 6).and(R5, 0xff3f).jne(R5, 0, redirect) // MF or offset: a fragment
                    .ldxB(R4, R2, 14).and(R4, 0x0f).lsh(R4, 2)                  // IHL * 4
                    .addReg(R2, R4)
                    .movReg(R4, R2).add(R4, 14 + 4)
                    .jgtReg(R4, R3, pass)
                    .ldxH(R5, R2, 14 + 2);                                        // UDP destination port
                for (final int port : selection.udpPorts())
                {
                    a.jeq(R5, Short.reverseBytes((short)port) & 0xffff, redirect);
                }
            }
            a.ja(pass);
        }
        a.bind(redirect)
            .ldxW(R2, R6, MD_RX_QUEUE_INDEX)
            .ldMapFd(R1, mapFd)
            .mov(R3, XDP_PASS) // no socket on this queue: give the frame to the kernel
            .call(BPF_FUNC_REDIRECT_MAP)
            .exit();
        if (!selection.all())
        {
            a.bind(pass).mov(R0, XDP_PASS).exit();
        }
        return a.assemble();
    }

    /** Directs frames of a queue to an AF_XDP socket. */
    public void register(final int queue, final int xskFd)
    {
        Bpf.mapUpdate(mapFd, queue, xskFd);
    }

    public void unregister(final int queue)
    {
        if (!closed)
        {
            Bpf.mapDelete(mapFd, queue);
        }
    }

    public String ifname()
    {
        return ifname;
    }

    /** True when the program runs in the driver (native XDP), false in the generic SKB path. */
    public boolean driverMode()
    {
        return driverMode;
    }

    public int ifindex()
    {
        return ifindex;
    }

    public XdpSelection selection()
    {
        return selection;
    }

    @Override
    public void close()
    {
        if (!closed)
        {
            closed = true;
            Libc.close(linkFd);
            Libc.close(progFd);
            Libc.close(mapFd);
        }
    }
}
