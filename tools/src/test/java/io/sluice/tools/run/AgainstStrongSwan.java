package io.sluice.tools.run;

import io.sluice.ffi.testkit.NetnsLab;
import io.sluice.ffi.testkit.StrongSwan;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * What a test of a {@code sluice run} gateway against strongSwan sets up and tears down: a lab of
 * namespaces, a work directory, and the gateway and charon it starts there. Skipped, with the
 * reason printed, where namespaces or strongSwan are missing; everything is removed afterwards,
 * also when the test fails.
 */
abstract class AgainstStrongSwan
{
    protected NetnsLab lab;
    protected Path dir;
    protected RunningGateway gateway;
    protected StrongSwan swan;

    @BeforeEach
    void createLab() throws Exception
    {
        final String why = StrongSwan.unavailableReason();
        if (why != null)
        {
            System.out.println("SKIPPED " + getClass().getSimpleName() + ": " + why);
        }
        assumeTrue(why == null, why);
        lab = NetnsLab.create();
        dir = Files.createTempDirectory("sluice-" + getClass().getSimpleName() + "-");
    }

    @AfterEach
    void removeLab() throws Exception
    {
        if (gateway != null)
        {
            gateway.close();
        }
        if (lab != null)
        {
            lab.close(); // charon and everything else it spawned, then the namespaces
        }
        if (dir != null)
        {
            try (var files = Files.walk(dir))
            {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
