package io.sluice.controlplane.ike.v1;

import io.sluice.controlplane.ike.ChildSa;
import io.sluice.controlplane.ike.IkeLog;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Any number of engines on one in-memory network with a virtual clock, each at its own address;
 * an address in {@link #silent} neither receives nor sends (a dead or unreachable peer).
 */
final class EngineNet
{
    record Node(Ikev1Engine engine, List<String> log, List<String> events, List<ChildSa> children)
    {
    }

    private record Datagram(byte[] bytes, InetSocketAddress from, InetSocketAddress to)
    {
    }

    final long[] now = {1_000_000};
    final Map<InetAddress, Node> nodes = new LinkedHashMap<>();
    final Set<InetAddress> silent = new HashSet<>();
    private final Deque<Datagram> wire = new ArrayDeque<>();

    Node add(final Ikev1Settings settings)
    {
        final InetAddress self = settings.localAddress();
        final List<String> log = new ArrayList<>();
        final List<String> events = new ArrayList<>();
        final List<ChildSa> children = new ArrayList<>();
        final Ikev1Engine engine = new Ikev1Engine(settings, (d, to, port) -> wire.add(new Datagram(d,
            new InetSocketAddress(self, port), to)), EnginePair.listener(children, new ArrayList<>(), events),
            IkeLog.to(log::add, true), () -> now[0], new SecureRandom());
        final Node node = new Node(engine, log, events, children);
        nodes.put(self, node);
        return node;
    }

    void run()
    {
        int guard = 0;
        while (!wire.isEmpty() && guard++ < 10_000)
        {
            final Datagram d = wire.poll();
            final Node to = nodes.get(d.to.getAddress());
            if (to == null || silent.contains(d.to.getAddress()) || silent.contains(d.from.getAddress()))
            {
                continue;
            }
            to.engine().receive(d.bytes, d.from, d.to.getPort());
        }
    }

    void advance(final long millis, final long step)
    {
        for (long t = 0; t < millis; t += step)
        {
            now[0] += step;
            for (final Node n : nodes.values())
            {
                n.engine().tick(now[0]);
            }
            run();
        }
    }

    String logs()
    {
        final StringBuilder b = new StringBuilder();
        nodes.forEach((a, n) -> b.append("--- ").append(a.getHostAddress()).append(" ---\n")
            .append(String.join("\n", n.log())).append('\n'));
        return b.toString();
    }
}
