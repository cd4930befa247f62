package io.sluice.dataplane.run;

import io.sluice.dataplane.Dataplane;
import io.sluice.dataplane.counters.CountersFile;
import io.sluice.dataplane.frame.FramePool;
import io.sluice.dataplane.io.xdp.XdpPort;
import io.sluice.dataplane.ipc.IpcContext;
import io.sluice.dataplane.ipc.ProgramAdapter;
import io.sluice.dataplane.program.DirectProgram;
import io.sluice.dataplane.trace.CaptureRecorder;
import io.sluice.dataplane.trace.CaptureTap;
import io.sluice.dataplane.trace.PcapWriter;
import io.sluice.dataplane.worker.Worker;
import io.sluice.ffi.bpf.XdpSelection;
import io.sluice.ffi.libc.NetIf;
import io.sluice.ffi.xdp.Umem;
import io.sluice.ffi.xdp.XskSocket;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.SleepingMillisIdleStrategy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * The dataplane process of a running gateway ({@code sluice run} starts it): AF_XDP ports on the
 * configured interfaces, the graph on one pinned worker per CPU given (worker W serves queue W of
 * every interface; an SA's packets go to the worker that owns the SA, {@link io.sluice.dataplane.worker.Handoff}), the counters file, the embedded Aeron
 * media driver and the program stream from the control process, and a command socket for what
 * only it can do (capture). It keeps forwarding when the control process goes away and takes the
 * next one's state. SIGTERM: worker stopped, XDP programs detached, SAs' keys zeroed, Aeron
 * directory removed.
 * <pre>
 * sluice dataplane --run-dir DIR --interfaces IF[,IF...] [--cpus N[,N...]] [--backend afxdp|tun]
 *                  [--xdp auto|native|generic]
 * </pre>
 */
public final class DataplaneProcess implements AutoCloseable
{
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSS");

    private final Path runDir;
    private final Umem umem;
    private final List<FramePool> pools = new ArrayList<>();
    /** One per worker; the first also takes injected packets and holds the counters file. */
    private final List<Dataplane> workers = new ArrayList<>();
    private final Dataplane dp;
    private final List<io.sluice.dataplane.port.Port> allPorts = new ArrayList<>();
    private final List<io.sluice.ffi.tun.Tun> tuns = new ArrayList<>();
    private io.sluice.dataplane.worker.Handoff handoff;
    private final Map<String, io.sluice.dataplane.port.Port> ports = new LinkedHashMap<>();
    private final java.lang.foreign.Arena arena;
    private final CountersFile counters;
    private final DirectProgram program;
    private final IpcContext ipc;
    private final ProgramAdapter adapter;
    private final io.sluice.dataplane.ipc.EventProxy events;
    private final io.sluice.dataplane.ipc.InjectAdapter injects;
    /** SA events raised on the worker, told to the control process from the program thread. */
    private final java.util.concurrent.ConcurrentLinkedQueue<long[]> saEvents =
        new java.util.concurrent.ConcurrentLinkedQueue<>();
    private final long epoch = System.currentTimeMillis();
    private final PeerIdleDetector idle = new PeerIdleDetector();
    private final List<AgentRunner> runners = new ArrayList<>();
    private final CtlServer ctl;

    static void log(final String line)
    {
        System.out.println(LocalTime.now().format(TIME) + " dataplane: " + line);
        System.out.flush();
    }

    public DataplaneProcess(final Path runDir, final List<String> interfaces, final int cpu) throws Exception
    {
        this(runDir, interfaces, cpu, false);
    }

    /**
     * @param tun the TUN backend: each interface is a TUN device Sluice creates (IP packets to and
     *            from this machine's kernel), instead of an AF_XDP socket on an Ethernet device
     */
    public DataplaneProcess(final Path runDir, final List<String> interfaces, final int cpu, final boolean tun)
        throws Exception
    {
        this(runDir, interfaces, List.of(cpu), tun);
    }

    /**
     * @param cpus one worker per entry, pinned to that CPU (-1: not pinned); worker W reads queue W
     *             of every interface (AF_XDP), or queue W of each multi-queue TUN device
     */
    public DataplaneProcess(final Path runDir, final List<String> interfaces, final List<Integer> cpus,
        final boolean tun) throws Exception
    {
        this(runDir, interfaces, cpus, tun, "generic");
    }

    /**
     * @param xdp where the XDP program runs: {@code native} (in the driver: a NIC's full speed),
     *            {@code generic} (the kernel's SKB path, everywhere), {@code auto} (native where the
     *            driver has it, else generic, said in the log)
     */
    public DataplaneProcess(final Path runDir, final List<String> interfaces, final List<Integer> cpus,
        final boolean tun, final String xdp) throws Exception
    {
        this.runDir = runDir;
        final int n = cpus.size();
        final int frames = 16384;
        this.umem = tun ? null : Umem.allocate(2048, frames, 256, false);
        this.arena = tun ? java.lang.foreign.Arena.ofShared() : null;
        final java.lang.foreign.MemorySegment memory = tun ? arena.allocate(2048L * frames, 4096) : umem.memory();
        final int dataOffset = tun ? 256 : umem.headroom() + Umem.XDP_PACKET_HEADROOM;
        final io.sluice.dataplane.esp.SecurityAssociationDatabase sad = new io.sluice.dataplane.esp.SecurityAssociationDatabase();
        for (int w = 0; w < n; w++)
        {
            // the workers share the memory (a frame moves between them as a descriptor) and own a slice of its frames
            final FramePool pool = new FramePool(memory, 2048, dataOffset, w * (frames / n), frames / n);
            pools.add(pool);
            workers.add(new Dataplane(pool, Dataplane.Context.defaults(), sad));
        }
        this.dp = workers.getFirst();
        if (n > 1)
        {
            handoff = new io.sluice.dataplane.worker.Handoff(pools.toArray(FramePool[]::new), 1024);
            for (int w = 0; w < n; w++)
            {
                workers.get(w).handOffTo(handoff.lane(w));
            }
        }
        final XskSocket.Config config = new XskSocket.Config(2048, 2048, 2048, 2048, XskSocket.CopyMode.AUTO, true, 256);
        try
        {
            for (final String ifname : interfaces)
            {
                if (tun)
                {
                    if (n == 1)
                    {
                        final io.sluice.dataplane.io.tun.TunPort port = io.sluice.dataplane.io.tun.TunPort.open(ifname,
                            pools.getFirst());
                        ports.put(ifname, port);
                        allPorts.add(port);
                        dp.addIpPort(ifname, port);
                    }
                    else
                    {
                        final io.sluice.ffi.tun.Tun device = io.sluice.ffi.tun.Tun.openMultiQueue(ifname, n);
                        tuns.add(device);
                        for (int w = 0; w < n; w++)
                        {
                            final io.sluice.dataplane.io.tun.TunPort port =
                                io.sluice.dataplane.io.tun.TunPort.attach(device, w, pools.get(w));
                            allPorts.add(port);
                            if (w == 0)
                            {
                                ports.put(ifname, port);
                            }
                            workers.get(w).addIpPort(ifname, port);
                        }
                    }
                    log("interface " + ifname + ": TUN device created" + (n > 1 ? " with " + n + " queues" : "") +
                        " (the kernel's side of it is yours to address)");
                    continue;
                }
                final XdpPort first = openFirst(ifname, pools.getFirst(), config, xdp);
                ports.put(ifname, first);
                allPorts.add(first);
                final long mac = NetIf.hardwareAddress(ifname);
                dp.addEthernet(ifname, first, mac);
                for (int w = 1; w < n; w++)
                {
                    final XdpPort port;
                    try
                    {
                        port = XdpPort.open(first.program(), w, umem, pools.get(w), config);
                    }
                    catch (final RuntimeException e)
                    {
                        throw new IllegalArgumentException("interface " + ifname + ": worker " + w + " needs its queue " +
                            w + " (" + n + " workers, one receive queue each): " + e.getMessage() + "; give the " +
                            "interface more queues (ethtool -L " + ifname + " combined " + n + ") or use fewer " +
                            "worker cpus", e);
                    }
                    allPorts.add(port);
                    workers.get(w).addEthernet(ifname, port, mac);
                }
                log("interface " + ifname + ": AF_XDP port open" + (n > 1 ? " on queues 0-" + (n - 1) : "") + " (" +
                    (first.program().driverMode() ? "native" : "generic") + " XDP)");
            }
            this.counters = CountersFile.create(runDir);
            dp.exportCounters(counters, workers);
            this.program = new DirectProgram(workers, (sa, raised) -> saEvents.add(new long[]{sa.spi(),
                sa.direction() == io.sluice.dataplane.esp.SecurityAssociation.Direction.INBOUND ? 0 : 1, raised}),
                DataplaneProcess::log);
            this.ipc = RunDirectory.ipcContext(runDir).start();
            log(ipc.embeddedDriver() ? "Aeron media driver embedded, directory " + ipc.aeronDirectoryName() :
                "Aeron media driver external, directory " + ipc.aeronDirectoryName());
            this.adapter = ipc.programAdapter(new ProgramBridge(program, DataplaneProcess::log, idle));
            this.events = ipc.eventProxy();
            this.injects = ipc.injectAdapter((kind, ifname, nextHop, packet) ->
            {
                if (kind == io.sluice.dataplane.ipc.codecs.InjectKind.ROUTE)
                {
                    dp.inject(packet, 0, packet.capacity());
                }
                else
                {
                    log("inject " + kind + " out of " + ifname + ": only routed injection (ROUTE) so far; dropped");
                }
            });
            this.ctl = new CtlServer(runDir.resolve(RunDirectory.DATAPLANE_SOCKET), this::command);
        }
        catch (final Exception e)
        {
            close();
            throw e;
        }
        for (int w = 0; w < n; w++)
        {
            final String name = n == 1 ? "worker" : "worker-" + w;
            final AgentRunner worker = new AgentRunner(new BackoffIdleStrategy(100, 10, 1_000, 100_000),
                t -> log(name + ": " + t), null, new Worker(name, cpus.get(w), workers.get(w).job(), null));
            runners.add(worker);
            AgentRunner.startOnThread(worker);
        }
        final AgentRunner control = new AgentRunner(new SleepingMillisIdleStrategy(1), t -> log("program: " + t), null,
            new org.agrona.concurrent.Agent()
            {
                private long nextReap;
                private long nextHeartbeat;

                @Override
                public int doWork()
                {
                    int n = adapter.doWork() + injects.doWork();
                    for (final Dataplane d : workers)
                    {
                        n += d.punts().drain((reason, iface, packet) -> events.puntedPacket(reason, iface,
                            iface >= 0 ? d.interfaces().get(iface).name() : "",
                            new org.agrona.concurrent.UnsafeBuffer(packet), 0, packet.length), 64);
                    }
                    for (long[] e = saEvents.poll(); e != null; e = saEvents.poll())
                    {
                        final io.sluice.dataplane.esp.SecurityAssociation.Direction d = e[1] == 0 ?
                            io.sluice.dataplane.esp.SecurityAssociation.Direction.INBOUND :
                            io.sluice.dataplane.esp.SecurityAssociation.Direction.OUTBOUND;
                        log(String.format("SA 0x%08x %s: %s", (int)e[0], d,
                            io.sluice.dataplane.esp.EspEvents.names((int)e[2])));
                        for (int bit = 1; bit <= e[2] && bit != 0; bit <<= 1)
                        {
                            if ((e[2] & bit) != 0)
                            {
                                events.saEvent((int)e[0], d, bit);
                            }
                        }
                        n++;
                    }
                    final long now = System.nanoTime();
                    if (now >= nextReap)
                    {
                        nextReap = now + 200_000_000L;
                        program.reap(now);
                    }
                    if (now >= nextHeartbeat)
                    {
                        nextHeartbeat = now + 1_000_000_000L;
                        n += idle.check(now, dp, (tunnel, peer, spi, seconds) ->
                        {
                            log(String.format("peer %d.%d.%d.%d on %s: traffic sent, nothing received for %d s",
                                peer >>> 24, (peer >>> 16) & 255, (peer >>> 8) & 255, peer & 255, tunnel, seconds));
                            events.peerIdle(tunnel, peer, spi, seconds);
                        });
                        events.heartbeat(epoch, ProcessHandle.current().pid(), 0, System.currentTimeMillis());
                    }
                    return n;
                }

                @Override
                public String roleName()
                {
                    return "program";
                }
            });
        runners.add(control);
        AgentRunner.startOnThread(control);
        log("forwarding on " + String.join(", ", interfaces) + (n == 1 ? (cpus.getFirst() >= 0 ?
            ", worker on CPU " + cpus.getFirst() : "") : ", " + n + " workers on CPUs " + cpus +
            " (an SA's packets handed to the worker that owns it)"));
    }

    /** The interface's program and its queue-0 socket, in the XDP mode asked for. */
    private XdpPort openFirst(final String ifname, final FramePool pool, final XskSocket.Config config,
        final String xdp)
    {
        if (!xdp.equals("auto"))
        {
            return XdpPort.open(ifname, 0, umem, pool, XdpSelection.everything(), config, xdp.equals("native"));
        }
        try
        {
            return XdpPort.open(ifname, 0, umem, pool, XdpSelection.everything(), config, true);
        }
        catch (final RuntimeException e)
        {
            log("interface " + ifname + ": native XDP refused (" + e.getMessage() + "); using generic XDP, which " +
                "every driver has but is slower (io xdp generic says so in the configuration)");
            return XdpPort.open(ifname, 0, umem, pool, XdpSelection.everything(), config, false);
        }
    }

    /** What the dataplane's command socket answers: {@code capture POINT FILE COUNT SECONDS}, {@code show drops}. */
    private String command(final String line)
    {
        final String[] w = line.split("\\s+");
        if (w.length >= 1 && w[0].equals("capture"))
        {
            return capture(w);
        }
        if (line.equals("show drops"))
        {
            final StringBuilder b = new StringBuilder();
            for (int k = 0; k < workers.size(); k++)
            {
                if (workers.size() == 1)
                {
                    b.append(workers.get(k).dropSummary());
                    continue;
                }
                b.append("worker ").append(k).append(":\n");
                for (final String drop : workers.get(k).dropSummary().lines().toList())
                {
                    b.append("  ").append(drop).append('\n');
                }
            }
            return b.toString();
        }
        if (line.equals("show workers"))
        {
            if (handoff == null)
            {
                return "1 worker: nothing to hand over\n";
            }
            final StringBuilder b = new StringBuilder();
            for (int k = 0; k < handoff.workers(); k++)
            {
                final io.sluice.dataplane.worker.Handoff.Lane l = handoff.lane(k);
                b.append(String.format("worker %d: handed over %d, received %d, ring full %d, frames returned %d%n", k,
                    l.handedOver(), l.received(), l.ringFull(), l.framesReturned()));
            }
            return b.toString();
        }
        throw new IllegalArgumentException("dataplane: unknown command '" + line + "'");
    }

    private String capture(final String[] w)
    {
        // capture rx|tx IFNAME-OR-NODE FILE COUNT SECONDS: an interface's port, else what enters a graph node
        if (w.length != 6)
        {
            throw new IllegalArgumentException("usage: capture rx|tx IFNAME|NODE FILE COUNT SECONDS");
        }
        final boolean port = dp.interfaces().stream().anyMatch(i -> i.name().equals(w[2]) && i.port() >= 0);
        final String point = port ? w[1] + " " + w[2] : w[2];
        final Path file = Path.of(w[3]);
        final long count = Long.parseLong(w[4]);
        final long seconds = Long.parseLong(w[5]);
        final CaptureTap tap = dp.capture(point);
        try
        {
            final CaptureRecorder recorder = new CaptureRecorder(PcapWriter.create(file, tap.linkType()), tap);
            final CountDownLatch done = new CountDownLatch(1);
            try (AgentRunner r = new AgentRunner(new SleepingMillisIdleStrategy(1), t -> done.countDown(), null, recorder))
            {
                tap.arm(count);
                AgentRunner.startOnThread(r);
                final long deadline = System.nanoTime() + seconds * 1_000_000_000L;
                while (tap.capturedFrames() < count && System.nanoTime() < deadline)
                {
                    Thread.sleep(10);
                }
                tap.disarm();
                final long drainBy = System.nanoTime() + 2_000_000_000L;
                while (!recorder.isFinished() && System.nanoTime() < drainBy)
                {
                    Thread.sleep(5);
                }
            }
            return "captured " + recorder.recordsWritten() + " packets at " + point + " into " + file +
                (workers.size() > 1 ? " (worker 0's of " + workers.size() + " workers: a tap has one writer, the " +
                    "others' packets are not in it)" : "") + "\n";
        }
        catch (final InterruptedException e)
        {
            Thread.currentThread().interrupt();
            return "interrupted\n";
        }
        catch (final java.io.UncheckedIOException e)
        {
            throw new IllegalArgumentException("capture file " + file + ": " + e.getMessage());
        }
        finally
        {
            dp.removeCapture(point);
            tap.close();
        }
    }

    public Dataplane dataplane()
    {
        return dp;
    }

    @Override
    public void close()
    {
        for (final AgentRunner r : runners)
        {
            r.close();
        }
        runners.clear();
        if (ctl != null)
        {
            try
            {
                ctl.close();
            }
            catch (final java.io.IOException ignored)
            {
                // the directory goes anyway
            }
        }
        if (program != null)
        {
            program.clearSas();
            program.reap(Long.MAX_VALUE);
        }
        if (adapter != null)
        {
            adapter.close();
        }
        if (injects != null)
        {
            injects.close();
        }
        if (events != null)
        {
            events.close();
        }
        if (ipc != null)
        {
            ipc.close();
        }
        allPorts.forEach(io.sluice.dataplane.port.Port::close);
        allPorts.clear();
        ports.clear();
        tuns.forEach(io.sluice.ffi.tun.Tun::close);
        tuns.clear();
        if (umem != null && umem.socketCount() == 0)
        {
            umem.close();
        }
        if (arena != null)
        {
            arena.close();
        }
        if (counters != null)
        {
            counters.close();
        }
    }

    /** {@code sluice dataplane ARGS}. */
    public static int run(final String[] args) throws Exception
    {
        Path runDir = null;
        List<String> interfaces = List.of();
        List<Integer> cpus = List.of(-1);
        boolean tun = false;
        String xdp = "generic";
        for (int i = 0; i < args.length; i++)
        {
            switch (args[i])
            {
                case "--backend" ->
                {
                    final String backend = args[++i];
                    if (!backend.equals("afxdp") && !backend.equals("tun"))
                    {
                        throw new IllegalArgumentException("io backend " + backend + ": afxdp or tun");
                    }
                    tun = backend.equals("tun");
                }
                case "--run-dir" -> runDir = Path.of(args[++i]);
                case "--interfaces" -> interfaces = List.of(args[++i].split(","));
                case "--xdp" ->
                {
                    xdp = args[++i];
                    if (!xdp.equals("auto") && !xdp.equals("native") && !xdp.equals("generic"))
                    {
                        throw new IllegalArgumentException("--xdp " + xdp + ": auto, native or generic");
                    }
                }
                case "--cpu", "--cpus" -> cpus = java.util.Arrays.stream(args[++i].split(",")).map(Integer::parseInt)
                    .toList();
                default -> throw new IllegalArgumentException("unknown argument '" + args[i] + "'");
            }
        }
        if (runDir == null || interfaces.isEmpty())
        {
            throw new IllegalArgumentException(
                "usage: sluice dataplane --run-dir DIR --interfaces IF[,IF...] [--cpus N[,N...]] [--backend afxdp|tun]");
        }
        Files.writeString(runDir.resolve("dataplane.pid"), ProcessHandle.current().pid() + "\n");
        final CountDownLatch stop = new CountDownLatch(1);
        final DataplaneProcess process = new DataplaneProcess(runDir, interfaces, cpus, tun, xdp);
        final Thread hook = new Thread(() ->
        {
            log("stopping");
            process.close();
            log("stopped: XDP programs detached, keys zeroed");
            stop.countDown();
        });
        Runtime.getRuntime().addShutdownHook(hook);
        Files.writeString(runDir.resolve("dataplane.ready"), "ready\n");
        stop.await();
        return 0;
    }
}
