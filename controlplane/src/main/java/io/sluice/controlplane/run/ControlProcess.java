package io.sluice.controlplane.run;

import io.sluice.controlplane.config.Config;
import io.sluice.controlplane.config.ConfigException;
import io.sluice.controlplane.config.ConfigParser;
import io.sluice.controlplane.config.ParsedConfig;
import io.sluice.controlplane.program.ConfigProgrammer;
import io.sluice.dataplane.counters.CountersFile;
import io.sluice.dataplane.counters.CountersView;
import io.sluice.dataplane.esp.SecurityAssociation.Direction;
import io.sluice.dataplane.ipc.CounterSnapshotView;
import io.sluice.dataplane.ipc.EventAdapter;
import io.sluice.dataplane.ipc.EventHandler;
import io.sluice.dataplane.ipc.IpcContext;
import io.sluice.dataplane.ipc.ProgramProxy;
import io.sluice.dataplane.program.DataplaneProgram;
import io.sluice.dataplane.program.SaSpec;
import io.sluice.dataplane.run.CtlServer;
import io.sluice.dataplane.run.RunDirectory;
import org.agrona.DirectBuffer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The control process of a running gateway ({@code sluice run} starts it, and restarts it if it
 * dies): loads the configuration, computes the dataplane programming, sends it as one state
 * generation over the program stream (again whenever a dataplane connects), and answers
 * {@code sluice ctl} on its command socket. IKE and NHRP will live here.
 * <pre>
 * sluice control --config FILE --run-dir DIR
 * </pre>
 */
public final class ControlProcess implements AutoCloseable
{
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSS");

    private final Path configFile;
    private final Path runDir;
    private final Config config;
    private final ConfigProgrammer.Plan plan;
    private final IpcContext ipc;
    private final ProgramProxy proxy;
    private final EventAdapter events;
    private final CtlServer ctl;
    private final Show show;
    private final AtomicBoolean resend = new AtomicBoolean();
    private final List<SaSpec> sas = new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile boolean debugIpsec;
    private final io.sluice.dataplane.ipc.InjectProxy inject;
    private final IkeService ike;

    static void log(final String line)
    {
        System.out.println(LocalTime.now().format(TIME) + " control: " + line);
        System.out.flush();
    }

    public ControlProcess(final Path configFile, final Path runDir) throws Exception
    {
        this.configFile = configFile;
        this.runDir = runDir;
        final ParsedConfig parsed = new ConfigParser().load(configFile);
        this.config = parsed.config();
        parsed.notes().forEach(n -> log(n.toString()));
        this.plan = ConfigProgrammer.plan(config);
        if (!plan.ok())
        {
            throw new IllegalArgumentException(configFile + ": cannot be applied:\n  " +
                String.join("\n  ", plan.errors()));
        }
        plan.notes().forEach(ControlProcess::log);
        this.ipc = RunDirectory.ipcContext(runDir).embeddedDriver(false).start(); // the dataplane's driver
        this.proxy = ipc.programProxy();
        this.events = ipc.eventAdapter(new Events());
        this.inject = ipc.injectProxy();
        final IpcProgram direct = new IpcProgram(proxy);
        this.ike = IkeService.create(config, plan, inject, new Locked(this, direct), ControlProcess::log, sas);
        final IkeService service = ike;
        this.show = new Show(config, runDir, sas, () -> service != null ? service.dynamicRoutes() : List.of());
        this.ctl = new CtlServer(runDir.resolve(RunDirectory.CONTROL_SOCKET), this::command);
    }

    /** Sends the whole state as one generation: what the dataplane had and this does not name goes. */
    private synchronized void sendState()
    {
        final long deadline = System.nanoTime() + 10_000_000_000L;
        while (!proxy.isConnected())
        {
            if (System.nanoTime() > deadline)
            {
                throw new IllegalStateException("the dataplane process does not take the program stream (10 s)");
            }
            Thread.onSpinWait();
            try
            {
                Thread.sleep(10);
            }
            catch (final InterruptedException e)
            {
                Thread.currentThread().interrupt();
                return;
            }
        }
        final long generation = System.currentTimeMillis();
        sas.clear();
        final DataplaneProgram target = new Recording(new IpcProgram(proxy), sas);
        proxy.beginState(generation);
        // on-demand DPD (the IOS default) needs the dataplane to say when a peer falls silent
        final int idleSeconds = config.isakmp().keepalive()
            .filter(k -> k.mode() == io.sluice.controlplane.config.Isakmp.DpdMode.ON_DEMAND)
            .map(io.sluice.controlplane.config.Isakmp.Keepalive::seconds).orElse(0);
        proxy.dataplaneSettings(1000, 0, ike != null ? idleSeconds : 0, 100);
        plan.apply(target);
        proxy.endState(generation);
        log("configuration " + configFile + " sent to the dataplane: " + plan.steps().size() + " items (generation " +
            generation + ")");
    }

    /** Program calls made under the control process's lock, so IKE's never interleave with a state being sent. */
    private record Locked(Object lock, DataplaneProgram target) implements DataplaneProgram
    {
        @Override
        public void interfaceAddress(final String ifname, final int address, final int prefixLength)
        {
            synchronized (lock)
            {
                target.interfaceAddress(ifname, address, prefixLength);
            }
        }

        @Override
        public void interfaceMtu(final String ifname, final int ipMtu, final int tcpAdjustMss)
        {
            synchronized (lock)
            {
                target.interfaceMtu(ifname, ipMtu, tcpAdjustMss);
            }
        }

        @Override
        public void greTunnel(final String name, final int source, final int destination, final Long key)
        {
            synchronized (lock)
            {
                target.greTunnel(name, source, destination, key);
            }
        }

        @Override
        public void protectTunnel(final String name)
        {
            synchronized (lock)
            {
                target.protectTunnel(name);
            }
        }

        @Override
        public void ipsecTunnel(final String name, final int source, final int destination)
        {
            synchronized (lock)
            {
                target.ipsecTunnel(name, source, destination);
            }
        }

        @Override
        public void mgrePeer(final String tunnel, final int overlay, final int nbma)
        {
            synchronized (lock)
            {
                target.mgrePeer(tunnel, overlay, nbma);
            }
        }

        @Override
        public void route(final int prefix, final int length, final String ifname, final int nextHop)
        {
            synchronized (lock)
            {
                target.route(prefix, length, ifname, nextHop);
            }
        }

        @Override
        public void nullRoute(final int prefix, final int length)
        {
            synchronized (lock)
            {
                target.nullRoute(prefix, length);
            }
        }

        @Override
        public void removeRoute(final int prefix, final int length)
        {
            synchronized (lock)
            {
                target.removeRoute(prefix, length);
            }
        }

        @Override
        public void addSa(final SaSpec sa)
        {
            synchronized (lock)
            {
                target.addSa(sa);
            }
        }

        @Override
        public void deleteSa(final int spi, final boolean inbound)
        {
            synchronized (lock)
            {
                target.deleteSa(spi, inbound);
            }
        }
    }

    /** Remembers what the SAs were (never their keys) for {@code show crypto ipsec sa}. */
    private record Recording(DataplaneProgram target, List<SaSpec> sas) implements DataplaneProgram
    {
        @Override
        public void interfaceAddress(final String ifname, final int address, final int prefixLength)
        {
            target.interfaceAddress(ifname, address, prefixLength);
        }

        @Override
        public void interfaceMtu(final String ifname, final int ipMtu, final int tcpAdjustMss)
        {
            target.interfaceMtu(ifname, ipMtu, tcpAdjustMss);
        }

        @Override
        public void greTunnel(final String name, final int source, final int destination, final Long key)
        {
            target.greTunnel(name, source, destination, key);
        }

        @Override
        public void protectTunnel(final String name)
        {
            target.protectTunnel(name);
        }

        @Override
        public void ipsecTunnel(final String name, final int source, final int destination)
        {
            target.ipsecTunnel(name, source, destination);
        }

        @Override
        public void mgrePeer(final String tunnel, final int overlay, final int nbma)
        {
            target.mgrePeer(tunnel, overlay, nbma);
        }

        @Override
        public void route(final int prefix, final int length, final String ifname, final int nextHop)
        {
            target.route(prefix, length, ifname, nextHop);
        }

        @Override
        public void nullRoute(final int prefix, final int length)
        {
            target.nullRoute(prefix, length);
        }

        @Override
        public void removeRoute(final int prefix, final int length)
        {
            target.removeRoute(prefix, length);
        }

        @Override
        public void addSa(final SaSpec sa)
        {
            sas.add(new SaSpec(sa.spi(), sa.inbound(), sa.mode(), sa.tunnel(), sa.peer(), sa.local(), sa.udpPort(),
                sa.encryption(), new byte[0], sa.integrity(), new byte[0], sa.esn(), sa.replayWindow(),
                sa.lifetimeSeconds(), sa.lifetimeKilobytes()));
            target.addSa(sa);
        }

        @Override
        public void deleteSa(final int spi, final boolean inbound)
        {
            target.deleteSa(spi, inbound);
        }
    }

    private final class Events implements EventHandler
    {
        @Override
        public void onDataplaneConnected(final int sessionId)
        {
            log("dataplane connected (session " + sessionId + ")");
        }

        @Override
        public void onDataplaneLost(final int sessionId)
        {
            log("dataplane gone (session " + sessionId + ")");
        }

        @Override
        public void onHeartbeat(final long epoch, final long pid, final long appliedGeneration,
            final long timestampMillis)
        {
        }

        @Override
        public void onPuntedPacket(final int reason, final int rxInterfaceIndex, final CharSequence rxInterface,
            final DirectBuffer packet)
        {
            if (debugIpsec)
            {
                log("punted packet on " + rxInterface + " (" + packet.capacity() + " bytes, reason " + reason + ")");
            }
            if (reason == io.sluice.dataplane.punt.PuntQueue.IKE && ike != null)
            {
                final byte[] bytes = new byte[packet.capacity()];
                packet.getBytes(0, bytes);
                ike.onPunt(bytes);
            }
        }

        @Override
        public void onSaEvent(final int spi, final Direction direction, final int event)
        {
            log(String.format("SA 0x%08x %s: %s", spi, direction, io.sluice.dataplane.esp.EspEvents.names(event)));
            final int soft = io.sluice.dataplane.esp.EspEvents.SOFT_BYTES | io.sluice.dataplane.esp.EspEvents.SOFT_TIME |
                io.sluice.dataplane.esp.EspEvents.SEQUENCE_SOFT;
            if (ike != null && (event & soft) != 0 && direction == Direction.OUTBOUND)
            {
                ike.softLifetime(spi);
            }
        }

        @Override
        public void onSaFailure(final int spi, final int status, final long failures, final long lastSequence,
            final int source)
        {
            if (debugIpsec)
            {
                log(String.format("SA 0x%08x: %s x%d", spi, io.sluice.dataplane.esp.EspStatus.name(status), failures));
            }
        }

        @Override
        public void onPeerIdle(final CharSequence tunnel, final int peer, final int outboundSpi, final int idleSeconds)
        {
            if (ike != null)
            {
                ike.idle(peer);
            }
        }

        @Override
        public void onNoMgreMapping(final CharSequence tunnel, final int nextHop, final int source,
            final int destination)
        {
        }

        @Override
        public void onCounterSnapshot(final long timestampNanos, final CharSequence countersFile,
            final CounterSnapshotView counters)
        {
        }
    }

    private String command(final String line)
    {
        final String c = line.trim().replaceAll("\\s+", " ");
        switch (c)
        {
            case "clear counters":
                try (CountersView view = CountersFile.openReadOnly(runDir.resolve(CountersFile.FILE_NAME)))
                {
                    io.sluice.dataplane.counters.CounterBaseline.clearAll(view);
                    return "";
                }
            case "clear crypto sa":
                clearCryptoSa();
                return "";
            case "debug crypto ipsec":
                debugIpsec = true;
                return "Crypto IPSEC debugging is on\n";
            case "debug crypto isakmp":
                if (ike != null)
                {
                    ike.debug(true);
                }
                return "Crypto ISAKMP debugging is on\n";
            case "show crypto isakmp sa":
                return ike == null ? "IPv4 Crypto ISAKMP SA\ndst             src             state          conn-id status\n" :
                    ike.showCryptoIsakmpSa();
            case "show crypto session":
                return ike == null ? "Crypto session current status\n" : ike.showCryptoSession();
            case "clear crypto session":
                clearCryptoSa();
                return "";
            case "show crypto ikev2 sa", "show crypto ikev2 sa detailed":
                return ike == null ? " IPv4 Crypto IKEv2  SA\n" : ike.showCryptoIkev2Sa(c.endsWith("detailed"));
            case "debug crypto ikev2":
                if (ike != null)
                {
                    ike.debug(true);
                }
                return "Crypto IKEv2 debugging is on\n";
            case "undebug all", "no debug all":
                debugIpsec = false;
                if (ike != null)
                {
                    ike.debug(false);
                }
                return "All possible debugging has been turned off\n";
            case "show debugging":
                return debugIpsec ? "Cryptographic Subsystem:\n  Crypto IPSEC debugging is on\n" : "";
            default:
                if (c.startsWith("clear crypto session remote "))
                {
                    final String peer = c.substring("clear crypto session remote ".length());
                    final java.net.InetAddress address;
                    try
                    {
                        address = java.net.InetAddress.getByAddress(
                            java.nio.ByteBuffer.allocate(4).putInt(io.sluice.controlplane.config.Ip4.parse(peer).bits())
                                .array());
                    }
                    catch (final IllegalArgumentException | java.net.UnknownHostException e)
                    {
                        throw new IllegalArgumentException("% clear crypto session remote " + peer + ": not an IPv4 address");
                    }
                    if (ike == null || !ike.clearSession(address))
                    {
                        return "% no crypto session with " + peer + "\n";
                    }
                    log("clear crypto session remote " + peer + ": its SAs deleted, the peer told");
                    return "";
                }
                return show.answer(c);
        }
    }

    /** {@code clear crypto sa}: manual SAs are deleted and installed again, fresh (counters and windows restart). */
    private synchronized void clearCryptoSa()
    {
        final long generation = System.currentTimeMillis();
        proxy.beginState(generation);
        proxy.endState(generation); // an empty generation: every SA (and route) goes
        sendState();
        if (ike != null)
        {
            ike.clearAll(); // IKE deletes its SAs with notifications, and negotiates new ones
        }
        log("clear crypto sa: SAs deleted and installed again");
    }

    public void run(final AtomicBoolean running) throws Exception
    {
        sendState();
        if (ike != null)
        {
            ike.initiateAll();
        }
        while (running.get())
        {
            if (events.doWork() == 0)
            {
                Thread.sleep(5);
            }
            if (ike != null)
            {
                ike.tick(System.currentTimeMillis());
            }
            if (resend.getAndSet(false))
            {
                sendState();
            }
        }
    }

    @Override
    public void close()
    {
        try
        {
            if (ctl != null)
            {
                ctl.close();
            }
        }
        catch (final java.io.IOException ignored)
        {
            // the run directory goes with the gateway
        }
        if (events != null)
        {
            events.close();
        }
        if (inject != null)
        {
            inject.close();
        }
        if (proxy != null)
        {
            proxy.close();
        }
        if (ipc != null)
        {
            ipc.close();
        }
    }

    /** {@code sluice control ARGS}. */
    public static int run(final String[] args) throws Exception
    {
        Path config = null;
        Path runDir = null;
        for (int i = 0; i < args.length; i++)
        {
            switch (args[i])
            {
                case "-c", "--config" -> config = Path.of(args[++i]);
                case "--run-dir" -> runDir = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument '" + args[i] + "'");
            }
        }
        if (config == null || runDir == null)
        {
            throw new IllegalArgumentException("usage: sluice control --config FILE --run-dir DIR");
        }
        final ControlProcess control;
        try
        {
            control = new ControlProcess(config, runDir);
        }
        catch (final ConfigException e)
        {
            System.err.println(e.getMessage());
            return 1;
        }
        Files.writeString(runDir.resolve("control.pid"), ProcessHandle.current().pid() + "\n");
        final AtomicBoolean running = new AtomicBoolean(true);
        final Thread main = Thread.currentThread();
        Runtime.getRuntime().addShutdownHook(new Thread(() ->
        {
            running.set(false);
            try
            {
                main.join(2000);
            }
            catch (final InterruptedException ignored)
            {
                // exiting
            }
        }));
        try
        {
            control.run(running);
        }
        finally
        {
            control.close();
            log("stopped");
        }
        return 0;
    }
}
