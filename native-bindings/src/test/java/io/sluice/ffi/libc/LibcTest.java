package io.sluice.ffi.libc;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LibcTest
{
    @Test
    void failedCallNamesTheCallTheSubjectAndTheErrno()
    {
        final NativeException e = assertThrows(NativeException.class,
            () -> Libc.open("/nonexistent/sluice", Libc.O_RDONLY, "the test file"));
        assertEquals(Errno.ENOENT, e.errno());
        assertEquals("open", e.call());
        assertTrue(e.getMessage().contains("the test file") && e.getMessage().contains("ENOENT") &&
            e.getMessage().contains("No such file"), e.getMessage());
    }

    @Test
    void unknownInterfaceIsEnodevWithItsName()
    {
        final NativeException e = assertThrows(NativeException.class, () -> Libc.ifNameToIndex("nosuchif9"));
        assertEquals(Errno.ENODEV, e.errno());
        assertTrue(e.getMessage().contains("nosuchif9"), e.getMessage());
    }

    @Test
    void loopbackHasAnIndex()
    {
        assertTrue(Libc.ifNameToIndex("lo") > 0);
    }

    @Test
    void pinningMovesTheThreadToThatCpu() throws Exception
    {
        final int[] allowed = Libc.currentAffinity();
        final int target = allowed[allowed.length - 1];
        final int[] seen = new int[2];
        final Thread t = new Thread(() ->
        {
            Libc.pinCurrentThread(target);
            seen[0] = Libc.currentAffinity().length;
            seen[1] = Libc.currentCpu();
        });
        t.start();
        t.join();
        assertEquals(1, seen[0], "affinity mask has one CPU");
        assertEquals(target, seen[1]);
        assertThrows(IllegalArgumentException.class, () -> Libc.pinCurrentThread(-1));
    }

    @Test
    void rawCallsReturnMinusErrnoInsteadOfThrowing()
    {
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined())
        {
            final var state = Libc.newCallState(arena);
            final long rc = Libc.writeRaw(state, 12345, arena.allocate(8), 8);
            assertEquals(-Errno.EBADF, rc);
        }
    }
}
