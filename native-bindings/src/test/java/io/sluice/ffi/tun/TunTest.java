package io.sluice.ffi.tun;

import io.sluice.ffi.libc.Errno;
import io.sluice.ffi.libc.Libc;
import io.sluice.ffi.libc.NativeException;
import io.sluice.ffi.libc.NetNs;
import io.sluice.ffi.testkit.Capabilities;
import io.sluice.ffi.testkit.NetnsLab;
import io.sluice.ffi.testkit.OpenFds;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * TUN devices made through {@link Tun} in a namespace of their own: named, numbered, multi-queue,
 * non-blocking, gone on close; and refused with a message that names the device and the cause.
 */
class TunTest
{
    private NetnsLab lab;
    private String ns;

    @BeforeEach
    void setUp()
    {
        lab = NetnsLab.createOrSkip(this);
        ns = lab.namespace("tun");
    }

    @AfterEach
    void tearDown()
    {
        if (lab != null)
        {
            lab.close();
        }
    }

    @Test
    void opensANamedNonBlockingTunInTheNamespaceAndRemovesItOnClose()
    {
        final String name = "slt" + lab.id();
        final Tun tun;
        try (NetNs ignored = NetNs.enter(ns))
        {
            tun = Tun.open(name);
        }
        try
        {
            assertEquals(name, tun.name());
            assertEquals(1, tun.queues());
            final String link = NetnsLab.run("ip", "-d", "-n", ns, "link", "show", name);
            assertTrue(link.contains("tun type tun pi off"), link);
            assertTrue(NetnsLab.execute("ip", "link", "show", name).status() != 0,
                "the device was made in the thread's namespace, not the process's");
            try (Arena arena = Arena.ofConfined())
            {
                final MemorySegment buf = arena.allocate(2048);
                final long rc = Libc.readRaw(Libc.newCallState(arena), tun.fd(0), buf, buf.byteSize());
                assertEquals(-Errno.EAGAIN, rc, "an empty non-blocking queue reads EAGAIN");
            }
        }
        finally
        {
            tun.close();
        }
        assertNotEquals(0, NetnsLab.execute("ip", "-n", ns, "link", "show", name).status(),
            "a non-persistent device disappears with its last queue");
    }

    @Test
    void kernelNumbersANameTemplate()
    {
        try (NetNs ignored = NetNs.enter(ns); Tun tun = Tun.open("slq%d"))
        {
            assertTrue(tun.name().matches("slq[0-9]+"), tun.name());
        }
    }

    @Test
    void multiQueueDeviceHasOneNonBlockingFdPerQueue()
    {
        final String name = "slm" + lab.id();
        try (NetNs ignored = NetNs.enter(ns); Tun tun = Tun.openMultiQueue(name, 3))
        {
            assertEquals(3, tun.queues());
            final int[] fds = {tun.fd(0), tun.fd(1), tun.fd(2)};
            assertEquals(3, Arrays.stream(fds).distinct().count(), Arrays.toString(fds));
            final String link = NetnsLab.run("ip", "-d", "-n", ns, "link", "show", name);
            assertTrue(link.contains("multi_queue"), link);
        }
    }

    @Test
    void overlongNameIsRefusedNamingItBeforeAnythingIsOpened()
    {
        final String name = "sluice-tunnel-0-too-long";
        final Map<Integer, String> before = OpenFds.snapshot();
        try (NetNs ignored = NetNs.enter(ns))
        {
            final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Tun.open(name));
            System.out.println("refused: " + e.getMessage());
            assertTrue(e.getMessage().contains(name) && e.getMessage().contains("at most 15 bytes"), e.getMessage());
        }
        assertEquals(Map.of(), OpenFds.newKernelObjects(before));
        assertTrue(OpenFds.count() <= before.size(), () -> "fds opened and not closed: " + OpenFds.added(before));
    }

    @Test
    void invalidNameIsRefusedByTheKernelWithNameAndCauseAndNoFdLeaked()
    {
        final Map<Integer, String> before = OpenFds.snapshot();
        try (NetNs ignored = NetNs.enter(ns))
        {
            final NativeException e = assertThrows(NativeException.class, () -> Tun.open("bad/name"));
            System.out.println("refused: " + e.getMessage());
            assertEquals(Errno.EINVAL, e.errno());
            assertTrue(e.getMessage().contains("'bad/name'") && e.getMessage().contains("EINVAL") &&
                e.getMessage().contains("TUNSETIFF"), e.getMessage());
        }
        assertEquals(Map.of(), OpenFds.newKernelObjects(before));
        assertTrue(OpenFds.count() <= before.size(), () -> "fds opened and not closed: " + OpenFds.added(before));
    }

    @Test
    void secondQueueOnASingleQueueDeviceIsBusyAndLeaksNoFd()
    {
        final String name = "slb" + lab.id();
        try (NetNs ignored = NetNs.enter(ns); Tun first = Tun.open(name))
        {
            final Map<Integer, String> before = OpenFds.snapshot();
            final NativeException e = assertThrows(NativeException.class, () -> Tun.open(name));
            System.out.println("refused: " + e.getMessage());
            assertEquals(Errno.EBUSY, e.errno());
            assertTrue(e.getMessage().contains("'" + name + "'") && e.getMessage().contains("EBUSY"), e.getMessage());
            assertEquals(Map.of(), OpenFds.newKernelObjects(before));
            assertTrue(OpenFds.count() <= before.size(), () -> "fds opened and not closed: " + OpenFds.added(before));
            assertEquals(name, first.name());
        }
    }

    @Test
    void multiQueueOpenOfASingleQueueDeviceIsRefusedAndLeaksNoFd()
    {
        final String name = "slx" + lab.id();
        try (NetNs ignored = NetNs.enter(ns); Tun first = Tun.open(name))
        {
            final Map<Integer, String> before = OpenFds.snapshot();
            final NativeException e = assertThrows(NativeException.class, () -> Tun.openMultiQueue(name, 2));
            System.out.println("refused: " + e.getMessage());
            assertTrue(e.getMessage().contains("'" + name + "'"), e.getMessage());
            assertEquals(Map.of(), OpenFds.newKernelObjects(before));
            assertEquals(name, first.name());
        }
    }

    @Test
    void missingDeviceNodeIsExplainedWithTheFix()
    {
        final NativeException e = assertThrows(NativeException.class,
            () -> Tun.open("/dev/net/no-such-tun", "slz0", 1, false));
        System.out.println("refused: " + e.getMessage());
        assertEquals(Errno.ENOENT, e.errno());
        assertTrue(e.getMessage().contains("'slz0'") && e.getMessage().contains("/dev/net/no-such-tun is missing") &&
            e.getMessage().contains("mknod"), e.getMessage());
    }

    @Test
    void creatingADeviceWithoutCapNetAdminSaysWhatIsMissingAndLeaksNoFd()
    {
        final String name = "slp" + lab.id();
        final NetNs[] inside = new NetNs[1];
        final Map<Integer, String> before = OpenFds.snapshot();
        final Capabilities.Outcome<Tun> outcome = Capabilities.withoutEffective(
            () -> inside[0] = NetNs.enter(ns), () -> Tun.open(name), () -> inside[0].close());
        if (outcome.value() != null)
        {
            outcome.value().close();
        }
        final NativeException e = assertInstanceOf(NativeException.class, outcome.thrown());
        System.out.println("refused: " + e.getMessage());
        assertEquals(Errno.EPERM, e.errno());
        assertTrue(e.getMessage().contains("'" + name + "'") && e.getMessage().contains("EPERM") &&
            e.getMessage().contains("CAP_NET_ADMIN"), e.getMessage());
        assertEquals(Map.of(), OpenFds.newKernelObjects(before));
    }
}
