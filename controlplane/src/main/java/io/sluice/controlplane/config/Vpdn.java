package io.sluice.controlplane.config;

import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * L2TP: {@code vpdn enable}, {@code l2tp sso enable} and the {@code vpdn-group} blocks
 * (reference 001). Parsed and checked now; applied by the L2TP issues.
 *
 * @param enabled {@code vpdn enable}.
 * @param l2tpSso {@code l2tp sso enable}: on unless {@code no l2tp sso enable}. HA needs it and the group's.
 * @param groups  in order of definition.
 */
public record Vpdn(boolean enabled, boolean l2tpSso, List<Group> groups)
{
    public Vpdn
    {
        groups = List.copyOf(groups);
    }

    /**
     * {@code vpdn-group NAME}. The {@code l2tp tunnel} values are empty when not configured: the
     * L2TP implementation's defaults then apply.
     *
     * @param name                 the group's name.
     * @param sso                  {@code sso enable}: on unless {@code no sso enable}.
     * @param acceptDialin         {@code accept-dialin} (LNS side).
     * @param requestDialin        {@code request-dialin} (LAC side).
     * @param initiateTo           {@code initiate-to ip A [limit N] [priority N]}, in order.
     * @param terminateFrom        {@code terminate-from hostname H}: the LAC's host name to accept.
     * @param localName            {@code local name H}: our host name in SCCRQ/SCCRP.
     * @param sourceIp             {@code source-ip A}.
     * @param tunnelPassword       {@code l2tp tunnel password PW} (tunnel authentication secret).
     * @param tunnelAuthentication {@code l2tp tunnel authentication}.
     * @param resync               {@code l2tp tunnel resync N}: packets a tunnel sends after a switchover
     *                             before it waits for an acknowledgement.
     * @param retransmitRetries    {@code l2tp tunnel retransmit retries N}.
     * @param retransmitTimeoutMin {@code l2tp tunnel retransmit timeout min S}.
     * @param retransmitTimeoutMax {@code l2tp tunnel retransmit timeout max S}.
     * @param helloSeconds         {@code l2tp tunnel hello S} (0: no hellos).
     * @param receiveWindow        {@code l2tp tunnel receive-window N}.
     */
    public record Group(
        String name,
        boolean sso,
        Optional<Dialin> acceptDialin,
        Optional<Dialin> requestDialin,
        List<InitiateTo> initiateTo,
        Optional<String> terminateFrom,
        Optional<String> localName,
        Optional<Ip4> sourceIp,
        Optional<Secret> tunnelPassword,
        boolean tunnelAuthentication,
        OptionalInt resync,
        OptionalInt retransmitRetries,
        OptionalInt retransmitTimeoutMin,
        OptionalInt retransmitTimeoutMax,
        OptionalInt helloSeconds,
        OptionalInt receiveWindow)
    {
        public Group
        {
            initiateTo = List.copyOf(initiateTo);
        }
    }

    /**
     * {@code accept-dialin} or {@code request-dialin} with its lines.
     *
     * @param protocolConfigured {@code protocol l2tp} was given (IOS requires it).
     * @param virtualTemplate    {@code virtual-template N}: the template sessions are cloned from.
     * @param domain            {@code domain NAME} (request-dialin: users of that domain are tunnelled).
     */
    public record Dialin(boolean protocolConfigured, OptionalInt virtualTemplate, Optional<String> domain)
    {
    }

    /**
     * {@code initiate-to ip A [limit N] [priority N]}.
     *
     * @param address  the LNS.
     * @param limit    the most sessions to it.
     * @param priority lower is tried first.
     */
    public record InitiateTo(Ip4 address, OptionalInt limit, OptionalInt priority)
    {
    }
}
