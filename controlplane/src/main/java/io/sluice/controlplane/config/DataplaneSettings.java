package io.sluice.controlplane.config;

import java.util.List;

/**
 * The {@code sluice dataplane} block: how the dataplane process does its packet I/O.
 * <pre>
 * sluice dataplane
 *  io backend afxdp|dpdk|tun
 *  io interfaces eth0 eth1
 *  io xdp auto|native|generic
 *  worker cpus 1,3
 * </pre>
 * Without the block, or without a line of it: AF_XDP, on every physical interface the
 * configuration names and does not shut down, with one worker on the last CPU.
 *
 * @param backend           {@code io backend}.
 * @param interfaces        {@code io interfaces}: the physical interfaces the dataplane binds.
 * @param workerCpus        {@code worker cpus}: one worker pinned to each, in order.
 * @param defaultInterfaces true if {@code io interfaces} was not given and the list is the default.
 * @param defaultCpus       true if {@code worker cpus} was not given and the list is the default.
 * @param xdpMode           {@code io xdp}: how the AF_XDP backend attaches its XDP program.
 */
public record DataplaneSettings(
    IoBackend backend,
    List<String> interfaces,
    List<Integer> workerCpus,
    boolean defaultInterfaces,
    boolean defaultCpus,
    XdpMode xdpMode)
{
    public DataplaneSettings
    {
        interfaces = List.copyOf(interfaces);
        workerCpus = List.copyOf(workerCpus);
    }

    /** The settings with {@code io xdp auto}. */
    public DataplaneSettings(final IoBackend backend, final List<String> interfaces, final List<Integer> workerCpus,
        final boolean defaultInterfaces, final boolean defaultCpus)
    {
        this(backend, interfaces, workerCpus, defaultInterfaces, defaultCpus, XdpMode.AUTO);
    }

    /** {@code io xdp}: where the XDP program runs. */
    public enum XdpMode
    {
        /** In the driver where it supports XDP (a NIC's full speed), else generic: the default. */
        AUTO("auto"),
        /** In the driver only; an interface whose driver lacks XDP is refused. */
        NATIVE("native"),
        /** In the kernel's generic path (SKB mode): works everywhere, slower. */
        GENERIC("generic");

        private final String keyword;

        XdpMode(final String keyword)
        {
            this.keyword = keyword;
        }

        public String keyword()
        {
            return keyword;
        }
    }

    public enum IoBackend
    {
        /** AF_XDP sockets (the default). */
        AFXDP("afxdp"),
        /** DPDK poll-mode drivers. */
        DPDK("dpdk"),
        /** TUN devices: the slow fallback. */
        TUN("tun");

        private final String keyword;

        IoBackend(final String keyword)
        {
            this.keyword = keyword;
        }

        public String keyword()
        {
            return keyword;
        }
    }
}
