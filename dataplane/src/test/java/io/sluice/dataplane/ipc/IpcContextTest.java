package io.sluice.dataplane.ipc;

import io.aeron.driver.exceptions.ActiveDriverException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IpcContextTest
{
    @TempDir
    Path tmp;

    @Test
    void theAeronDirectoryIsTheUsersOnlyAndGoneAfterClose() throws Exception
    {
        final Path parent = tmp.resolve("gateway");
        final Path dir = parent.resolve("aeron");
        try (IpcContext ctx = IpcTesting.dataplane(dir))
        {
            assertTrue(Files.isDirectory(dir));
            assertTrue(Files.exists(dir.resolve("cnc.dat")), "the driver runs there");
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(parent)),
                "the parent this context made keeps others out while the driver re-creates the directory");
            assertTrue(ctx.driver() != null);
        }
        assertFalse(Files.exists(dir), "closing the embedded driver deletes the Aeron directory");
        assertFalse(Files.exists(parent), "and the parent the context created");
        assertTrue(Files.isDirectory(tmp), "nothing above it");
    }

    @Test
    void aParentThatWasThereStays() throws Exception
    {
        final Path dir = tmp.resolve("aeron");
        try (IpcContext ignored = IpcTesting.dataplane(dir))
        {
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
        }
        assertFalse(Files.exists(dir));
        assertTrue(Files.isDirectory(tmp));
    }

    @Test
    void aSecondEmbeddedDriverOnTheSameDirectoryIsRefusedAndTheFirstKeepsWorking()
    {
        final Path dir = tmp.resolve("aeron");
        try (IpcContext first = IpcTesting.dataplane(dir))
        {
            assertThrows(ActiveDriverException.class, () -> IpcTesting.dataplane(dir));
            assertTrue(Files.exists(dir.resolve("cnc.dat")), "the refused one did not delete the running one's files");
            try (IpcContext control = IpcTesting.control(dir))
            {
                assertTrue(control.aeron().clientId() != first.aeron().clientId());
            }
        }
    }

    @Test
    void aControlProcessWithoutARunningDataplaneSaysWhatIsMissing()
    {
        final Path dir = tmp.resolve("nothing-here");
        final IllegalStateException e = assertThrows(IllegalStateException.class, () -> IpcTesting.control(dir));
        assertTrue(e.getMessage().contains("no Aeron directory " + dir) && e.getMessage().contains(IpcContext.DIR_PROP),
            e.getMessage());
    }

    @Test
    void theDefaultDirectoryIsPerUserInSharedMemory()
    {
        final String name = IpcContext.defaultAeronDirectoryName();
        assertTrue(name.startsWith("/dev/shm/sluice-" + System.getProperty("user.name") + "/"), name);
    }
}
