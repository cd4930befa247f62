package io.sluice.controlplane.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code sluice check -c FILE}: the summary or the errors, and the exit status. */
class ConfigCheckMainTest
{
    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int check(final String... args)
    {
        return CheckMain.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8), ConfigFiles.parser());
    }

    private Path file(final String name, final String text) throws IOException
    {
        return Files.writeString(dir.resolve(name), text);
    }

    private String out()
    {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String err()
    {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void aGoodFileGetsAOneLineSummaryAndStatus0() throws IOException
    {
        final Path gw = file("hub.conf", ConfigFiles.read("ref-003-hub-sv9-2.conf"));
        assertEquals(0, check("-c", gw.toString()));
        assertEquals(gw + ": OK: 3 interfaces (1 tunnel), 3 routes, 1 isakmp policy, 1 pre-shared key, " +
            "1 transform set, 1 ipsec profile, 0 crypto maps (0 entries), dataplane afxdp on eth0 eth1, " +
            "1 worker (cpu 3); 1 warning, 10 IOS lines ignored\n", out());
        assertTrue(err().contains("warning: next hop 10.66.79.193"), err());
        assertTrue(!err().contains("ignored:"), err());
    }

    @Test
    void errorsArePrintedAndTheStatusIs1() throws IOException
    {
        final Path gw = file("gw.conf", "crypto isakmp policy 10\n encryption aes512\n hash sha1024\n");
        assertEquals(1, check("-c", gw.toString()));
        assertEquals("", out());
        assertEquals(gw + ":2:13: 'aes512' is not an encryption algorithm; expected des, 3des, aes [128|192|256]\n" +
            gw + ":3:7: 'sha1024' is not a hash algorithm; expected sha, sha256, sha384, md5\n" +
            gw + ": 2 errors; nothing of it would be applied\n", err());
    }

    @Test
    void aFileThatParsesButCannotBeAppliedIsRefusedToo() throws IOException
    {
        final Path gw = file("gw.conf", """
            interface eth0
             ip address 192.0.2.1 255.255.255.0
             crypto map VPN
            crypto ipsec transform-set TS esp-aes esp-sha-hmac
             mode transport
            access-list 110 permit ip 10.1.0.0 0.0.0.255 10.2.0.0 0.0.0.255
            crypto map VPN 20 ipsec-isakmp
             set peer 198.51.100.7
             set transform-set TS
             match address 110
            """);
        assertEquals(1, check("-c", gw.toString()));
        assertEquals("", out());
        assertTrue(err().contains(gw + ": crypto map VPN 20 ipsec-isakmp: transform set TS is 'mode transport', which " +
            "protects only GRE"), err());
        assertTrue(err().endsWith(gw + ": 1 error applying it; nothing of it would be applied\n"), err());
    }

    @Test
    void verboseListsIgnoredLinesAndRunningConfigPrintsTheConfiguration() throws IOException
    {
        final Path gw = file("gw.conf", "version 12.4\nhostname gw\n");
        assertEquals(0, check("-c", gw.toString(), "-v", "--running-config"));
        assertTrue(err().contains(gw + ":1:1: ignored: 'version 12.4'"), err());
        assertTrue(out().startsWith("! Sluice running configuration\nhostname gw\n"), out());
        assertTrue(out().contains("end\n" + gw + ": OK: hostname gw,"), out());
    }

    @Test
    void badUsageIsStatus2AndAMissingFileStatus1()
    {
        assertEquals(2, check());
        assertEquals(2, check("-c"));
        assertEquals(2, check("--frobnicate"));
        assertTrue(err().contains("usage: sluice check -c FILE"), err());
        assertEquals(1, check("--config=" + dir.resolve("absent.conf")));
        assertTrue(err().contains("absent.conf: no such file"), err());
    }
}
