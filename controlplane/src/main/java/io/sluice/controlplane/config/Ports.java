package io.sluice.controlplane.config;

import java.util.Map;

/** The TCP and UDP port names IOS access lists take and print. */
final class Ports
{
    private static final Map<String, Integer> TCP = Map.ofEntries(
        Map.entry("bgp", 179), Map.entry("domain", 53), Map.entry("ftp", 21), Map.entry("ftp-data", 20),
        Map.entry("smtp", 25), Map.entry("telnet", 23), Map.entry("www", 80), Map.entry("pop3", 110));
    private static final Map<String, Integer> UDP = Map.ofEntries(
        Map.entry("bootpc", 68), Map.entry("bootps", 67), Map.entry("domain", 53), Map.entry("isakmp", 500),
        Map.entry("non500-isakmp", 4500), Map.entry("ntp", 123), Map.entry("snmp", 161), Map.entry("syslog", 514),
        Map.entry("tftp", 69), Map.entry("rip", 520));

    private Ports()
    {
    }

    /** A port number 0-65535 or a name the protocol knows. */
    static int read(final Args args, final boolean udp)
    {
        final String expected = "a port number 0-65535 or a name such as " + (udp ? "isakmp" : "www");
        final ConfigLine.Token token = args.next("a port", expected);
        final String text = token.text().toLowerCase();
        if (text.matches("\\d{1,5}"))
        {
            final int port = Integer.parseInt(text);
            if (port > 65535)
            {
                throw Args.problem(token, "'" + token.text() + "' is out of range; expected " + expected);
            }
            return port;
        }
        final Integer port = (udp ? UDP : TCP).get(text);
        if (port == null)
        {
            throw Args.not(token, "a " + (udp ? "udp" : "tcp") + " port", expected);
        }
        return port;
    }

    /** The name IOS prints for the port, else the number. */
    static String name(final int port, final boolean udp)
    {
        for (final Map.Entry<String, Integer> entry : (udp ? UDP : TCP).entrySet())
        {
            if (entry.getValue() == port)
            {
                return entry.getKey();
            }
        }
        return Integer.toString(port);
    }
}
