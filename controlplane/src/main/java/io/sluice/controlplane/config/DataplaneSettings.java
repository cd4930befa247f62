package io.sluice.controlplane.config;

import java.util.List;

/**
 * The {@code sluice dataplane} block: how the dataplane process does its packet I/O.
 * <pre>
 * sluice dataplane
 *  io backend afxdp|dpdk|tun
 *  io interfaces eth0 eth1
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
 */
public record DataplaneSettings(
    IoBackend backend,
    List<String> interfaces,
    List<Integer> workerCpus,
    boolean defaultInterfaces,
    boolean defaultCpus)
{
    public DataplaneSettings
    {
        interfaces = List.copyOf(interfaces);
        workerCpus = List.copyOf(workerCpus);
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
