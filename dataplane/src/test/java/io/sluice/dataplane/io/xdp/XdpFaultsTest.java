package io.sluice.dataplane.io.xdp;

import io.sluice.ffi.bpf.XdpProgram;
import io.sluice.ffi.bpf.XdpSelection;
import io.sluice.ffi.libc.NativeException;
import io.sluice.ffi.libc.NetNs;
import io.sluice.ffi.testkit.NetnsLab;
import io.sluice.ffi.xdp.Umem;
import io.sluice.ffi.xdp.XskSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Faults give an exception a person can act on, naming the interface and the cause, and leave
 * no file descriptor or XDP program behind; a killed process leaves no program either.
 */
class XdpFaultsTest
{
    private NetnsLab lab;
    private String ns;
    private String peer;
    private String ifname;

    @BeforeEach
    void setUp()
    {
        lab = NetnsLab.createOrSkip(this);
        peer = lab.namespace("p");
        ns = lab.namespace("dut");
        ifname = lab.veth(peer, "10.79.0.1/24", ns, "10.79.0.2/24")[1];
    }

    @AfterEach
    void tearDown()
    {
        if (lab != null)
        {
            lab.close();
        }
    }

    /** Open sockets and BPF objects (maps, programs, links) of this process: what a failed open could leak. */
    private static long openFds() throws Exception
    {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd")))
        {
            return s.filter(fd ->
            {
                try
                {
                    final String target = Files.readSymbolicLink(fd).toString();
                    return target.startsWith("socket:") || target.startsWith("anon_inode:bpf");
                }
                catch (final java.io.IOException e)
                {
                    return false; // closed while listing
                }
            }).count();
        }
    }

    private boolean xdpAttached()
    {
        return NetnsLab.run("ip", "-n", ns, "link", "show", ifname).contains("xdp");
    }

    @Test
    void missingInterfaceIsNamedAndLeaksNothing() throws Exception
    {
        final long before = openFds();
        try (Umem umem = Umem.allocate(2048, 8192, 128, false); NetNs ignored = NetNs.enter(ns))
        {
            final NativeException e = assertThrows(NativeException.class, () -> XdpPort.open("nosuch0", 0, umem,
                XdpPort.poolFor(umem), XdpSelection.everything(), XskSocket.Config.defaults(), false));
            assertTrue(e.getMessage().contains("nosuch0"), e.getMessage());
            assertTrue(e.getMessage().contains("ENODEV"), e.getMessage());
        }
        assertEquals(before, openFds(), "file descriptors leaked");
    }

    @Test
    void interfaceAlreadyHoldingAnXdpProgramIsRefusedClearly() throws Exception
    {
        try (Umem umem = Umem.allocate(2048, 8192, 128, false); NetNs ignored = NetNs.enter(ns);
            XdpProgram first = XdpProgram.attach(ifname, XdpSelection.everything(), false, 4))
        {
            assertTrue(xdpAttached());
            final long before = openFds();
            final NativeException e = assertThrows(NativeException.class, () -> XdpPort.open(ifname, 0, umem,
                XdpPort.poolFor(umem), XdpSelection.everything(), XskSocket.Config.defaults(), false));
            assertTrue(e.getMessage().contains(ifname) && e.getMessage().contains("already has an XDP program"),
                e.getMessage());
            assertEquals(before, openFds(), "file descriptors leaked");
            assertTrue(first.ifindex() > 0);
        }
        assertFalse(xdpAttached(), "program left attached after close");
    }

    @Test
    void umemTooSmallIsRefusedBeforeAnythingIsAttached() throws Exception
    {
        assertThrows(IllegalArgumentException.class, () -> Umem.allocate(2048, 16, 128, false));
        assertThrows(IllegalArgumentException.class, () -> Umem.allocate(3000, 1024, 128, false));
        final long before = openFds();
        try (Umem umem = Umem.allocate(2048, 1024, 128, false); NetNs ignored = NetNs.enter(ns))
        {
            final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> XdpPort.open(
                ifname, 0, umem, XdpPort.poolFor(umem), XdpSelection.everything(), XskSocket.Config.defaults(), false));
            assertTrue(e.getMessage().contains("too small") && e.getMessage().contains(ifname), e.getMessage());
        }
        assertEquals(before, openFds(), "file descriptors leaked");
        assertFalse(xdpAttached(), "program left attached after a refused open");
    }

    @Test
    void zeroCopyOnADriverWithoutItSaysToUseCopyMode() throws Exception
    {
        final long before = openFds();
        try (Umem umem = Umem.allocate(2048, 8192, 128, false); NetNs ignored = NetNs.enter(ns))
        {
            final NativeException e = assertThrows(NativeException.class, () -> XdpPort.open(ifname, 0, umem,
                XdpPort.poolFor(umem), XdpSelection.everything(),
                XskSocket.Config.defaults().withCopyMode(XskSocket.CopyMode.ZERO_COPY), true));
            assertTrue(e.getMessage().contains(ifname) && e.getMessage().contains("zero-copy"), e.getMessage());
        }
        assertEquals(before, openFds(), "file descriptors leaked");
        assertFalse(xdpAttached(), "program left attached after a refused open");
    }

    @Test
    void reopeningAQueueRightAfterCloseSucceeds() throws Exception
    {
        try (Umem umem = Umem.allocate(2048, 8192, 128, false); NetNs ignored = NetNs.enter(ns))
        {
            final io.sluice.dataplane.frame.FramePool pool = XdpPort.poolFor(umem);
            for (int i = 0; i < 5; i++)
            {
                // the kernel may still be tearing the previous socket down: bind retries EBUSY
                final XdpPort port = XdpPort.open(ifname, 0, umem, pool, XdpSelection.everything(),
                    XskSocket.Config.defaults().withCopyMode(XskSocket.CopyMode.COPY), false);
                assertTrue(pool.available() < pool.capacity(), "fill ring stocked from the pool");
                // frames arrive and sit unread in the RX ring until close
                lab.tryExec(peer, "ping", "-c", "3", "-i", "0.01", "-W", "1", "10.79.0.2");
                port.close();
                assertEquals(pool.capacity(), pool.available(), "every lent frame back in the pool after close");
            }
        }
        assertFalse(xdpAttached());
    }

    @Test
    void programIsGoneWhenTheProcessIsKilled() throws Exception
    {
        final Process child = lab.spawn(ns, childJava(XdpHolder.class.getName(), ifname));
        final BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
        final String first = out.readLine();
        assertTrue(first != null && first.startsWith("READY"), "child said: " + first);
        assertTrue(xdpAttached(), "program attached while the child runs");
        child.destroyForcibly(); // SIGKILL: no cleanup code runs
        assertTrue(child.waitFor(10, TimeUnit.SECONDS));
        final long deadline = System.nanoTime() + 5_000_000_000L;
        while (xdpAttached() && System.nanoTime() < deadline)
        {
            Thread.sleep(50);
        }
        assertFalse(xdpAttached(), "the BPF link must go with the killed process");
    }

    @Test
    void missingPrivilegesAreExplained() throws Exception
    {
        final Path setpriv = Path.of("/usr/bin/setpriv");
        if (!Files.isExecutable(setpriv))
        {
            System.out.println("SKIPPED missingPrivilegesAreExplained: setpriv (util-linux) not installed");
            return;
        }
        final List<String> cmd = new ArrayList<>(List.of(setpriv.toString(), "--reuid=65534", "--regid=65534",
            "--clear-groups", "--inh-caps=-all", "--bounding-set=-all"));
        cmd.addAll(List.of(childJava(XdpHolder.class.getName(), ifname)));
        final Process child = lab.spawn(ns, cmd.toArray(String[]::new));
        final String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(child.waitFor(30, TimeUnit.SECONDS));
        assertEquals(1, child.exitValue(), output);
        assertTrue(output.contains("ERROR") && output.contains("EPERM") && output.contains("CAP_BPF"), output);
        assertFalse(xdpAttached());
    }

    static String[] childJava(final String mainClass, final String... args)
    {
        final String java = ProcessHandle.current().info().command().orElse("java");
        final List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED",
            "--illegal-native-access=deny", "-cp", classPath(), mainClass));
        cmd.addAll(List.of(args));
        return cmd.toArray(String[]::new);
    }

    /** The test class path, readable by an unprivileged child too. */
    private static String classPath()
    {
        final String cp = System.getProperty("java.class.path");
        final List<String> entries = new ArrayList<>();
        for (final String e : cp.split(File.pathSeparator))
        {
            entries.add(e);
        }
        final String dataplane = Path.of(XdpHolder.class.getProtectionDomain().getCodeSource().getLocation().getPath())
            .toString();
        if (!entries.contains(dataplane))
        {
            entries.add(dataplane);
        }
        return String.join(File.pathSeparator, entries);
    }
}
