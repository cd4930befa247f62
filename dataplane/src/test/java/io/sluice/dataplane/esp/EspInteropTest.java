package io.sluice.dataplane.esp;

import io.sluice.dataplane.esp.EspTesting.Suite;
import io.sluice.dataplane.esp.SecurityAssociation.Mode;
import io.sluice.dataplane.packet.Bytes;
import io.sluice.dataplane.testing.Packets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.sluice.dataplane.esp.EspTesting.hex;
import static io.sluice.dataplane.esp.EspTesting.udpPacket;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Wire checks against independent ESP implementations: scapy's {@code SecurityAssociation}
 * (Python, over the {@code cryptography} package, i.e. OpenSSL) encrypts and we decrypt, we encrypt
 * and scapy decrypts, for every algorithm both have (AES-GCM, ChaCha20-Poly1305, AES-CBC with each
 * HMAC, 3DES, DES, NULL), tunnel and transport mode, with and without UDP encapsulation, and with
 * ESN across 2^32 for the AEADs (scapy's HMAC path leaves the ESN out of the ICV, so no ESN there).
 * tshark decrypts what we send for every algorithm it knows (not ChaCha20-Poly1305 in 4.0), checks
 * the ICV, and finds nothing malformed.
 */
class EspInteropTest
{
    private static final Path PYTHON = Path.of("/usr/bin/python3");
    private static final Path TSHARK = Path.of("/usr/bin/tshark");
    private static final long TWO_32 = 1L << 32;

    @TempDir
    Path dir;

    private final EspTesting t = new EspTesting();

    @AfterEach
    void tearDown()
    {
        t.close();
    }

    // ------------------------------------------------------------------ scapy

    /** scapy's names, or null when scapy lacks the algorithm. */
    private static String scapyCrypt(final EspEncryption e)
    {
        return switch (e)
        {
            case NULL -> "NULL";
            case AES_CBC_128, AES_CBC_192, AES_CBC_256 -> "AES-CBC";
            case DES3_CBC -> "3DES";
            case DES_CBC -> "DES";
            case AES_GCM_128, AES_GCM_192, AES_GCM_256 -> "AES-GCM";
            case CHACHA20_POLY1305 -> "CHACHA20-POLY1305";
        };
    }

    private static String scapyAuth(final EspIntegrity i)
    {
        return switch (i)
        {
            case NONE -> "-";
            case HMAC_MD5_96 -> "HMAC-MD5-96";
            case HMAC_SHA1_96 -> "HMAC-SHA1-96";
            case HMAC_SHA256_128 -> "SHA2-256-128";
            case HMAC_SHA384_192 -> "SHA2-384-192";
            case HMAC_SHA512_256 -> "SHA2-512-256";
        };
    }

    private static final String SCAPY = """
        import sys
        from scapy.all import IP, UDP, raw, conf
        from scapy.layers.ipsec import SecurityAssociation, ESP
        conf.verb = 0
        def sa_for(f):
            name, spi, crypt, ckey, auth, akey, mode, natt, esn, esn_hi = f[:10]
            kw = dict(spi=int(spi, 16), crypt_algo=crypt, crypt_key=bytes.fromhex(ckey) if ckey != '-' else None)
            if auth != '-':
                kw.update(auth_algo=auth, auth_key=bytes.fromhex(akey))
            if mode == 'tunnel':
                kw['tunnel_header'] = IP(src='198.51.100.2', dst='192.0.2.1')
            if natt == '1':
                kw['nat_t_header'] = UDP(sport=4500, dport=4500)
            if esn == '1':
                kw.update(esn_en=True, esn=int(esn_hi))
            if len(f) > 11:
                # encrypt(seq_num=0) would fall back to the SA's counter ('seq_num or self.seq_num'): set it here
                kw['seq_num'] = int(f[10])
            return SecurityAssociation(ESP, **kw)
        for line in open(sys.argv[2]):
            f = line.split()
            sa = sa_for(f)
            if sys.argv[1] == 'encrypt':
                e = sa.encrypt(IP(bytes.fromhex(f[11])))
                if UDP in e:
                    # scapy 2.5 computes the NAT-T UDP length before adding ESP: fix it
                    e[UDP].len = 8 + len(raw(e[ESP]))
                    e[UDP].chksum = 0
                print(f[0], raw(e).hex())
            else:
                print(f[0], raw(sa.decrypt(IP(bytes.fromhex(f[10])))).hex())
        """;

    private record Case(String name, Suite suite, Mode mode, boolean udp, boolean esn, long sequence, byte[] inner, int spi)
    {
        String line(final byte[] ckey, final byte[] akey)
        {
            return String.join(" ", name, Integer.toHexString(spi), scapyCrypt(suite.encryption()),
                ckey.length == 0 ? "-" : hex(ckey), scapyAuth(suite.integrity()), akey.length == 0 ? "-" : hex(akey),
                mode == Mode.TUNNEL ? "tunnel" : "transport", udp ? "1" : "0", esn ? "1" : "0",
                Long.toString(sequence >>> 32));
        }
    }

    private static List<Case> cases()
    {
        final List<Case> cases = new ArrayList<>();
        int spi = 0x3000;
        int n = 0;
        for (final Suite suite : EspTesting.SUITES)
        {
            for (final Mode mode : Mode.values())
            {
                for (final boolean udp : new boolean[] {false, true})
                {
                    final int size = 28 + (n * 37) % 1300;
                    cases.add(new Case("c" + n, suite, mode, udp, false, 1 + n, udpPacket(size, n % 4 * 0x20, n), spi++));
                    n++;
                }
            }
            if (suite.encryption().aead())
            {
                for (final long seq : new long[] {TWO_32 - 1, TWO_32, TWO_32 + 1, 7 * TWO_32 + 12345})
                {
                    cases.add(new Case("e" + n, suite, Mode.TUNNEL, n % 2 == 0, true, seq, udpPacket(100 + n, 0, n), spi++));
                    n++;
                }
            }
        }
        return cases;
    }

    private SecurityAssociation sa(final Case c, final boolean outbound)
    {
        final SecurityAssociation.Builder b = t.builder(c.suite(), c.spi(), outbound, c.mode(), c.spi()).esn(c.esn());
        if (c.udp())
        {
            b.udpEncapsulation(4500, 4500);
        }
        // Outbound: the last number sent is one less than the one this case sends; inbound: a window just below it.
        return b.initialSequence(outbound ? c.sequence() - 1 : Math.max(0, c.sequence() - 10)).build();
    }

    @Test
    void scapyEncryptsAndWeDecrypt() throws Exception
    {
        assumeScapy();
        final List<Case> cases = cases();
        final StringBuilder input = new StringBuilder();
        for (final Case c : cases)
        {
            input.append(c.line(c.suite().encryptionKey(c.spi()), c.suite().integrity() == EspIntegrity.NONE ? new byte[0] :
                c.suite().integrityKey(c.spi()))).append(' ').append(c.sequence() & 0xffff_ffffL).append(' ')
                .append(hex(c.inner())).append('\n');
        }
        final Map<String, byte[]> encrypted = scapy("encrypt", input.toString());
        assertEquals(cases.size(), encrypted.size());
        for (final Case c : cases)
        {
            final SecurityAssociation in = sa(c, false);
            final byte[] esp = encrypted.get(c.name());
            final String what = c.name() + " " + c.suite() + " " + c.mode() + (c.udp() ? " udp" : "") + (c.esn() ? " esn " +
                Long.toHexString(c.sequence()) : "");
            assertEquals(c.udp() ? 17 : 50, esp[9], what);
            assertEquals(hex(c.inner()), hex(t.decryptOk(in, esp)), what);
            assertEquals(c.sequence(), in.window().top(), what);
            in.destroy();
        }
    }

    @Test
    void weEncryptAndScapyDecrypts() throws Exception
    {
        assumeScapy();
        final List<Case> cases = cases();
        final StringBuilder input = new StringBuilder();
        for (final Case c : cases)
        {
            final SecurityAssociation out = sa(c, true);
            final byte[] esp = t.encrypt(out, c.inner());
            assertEquals(c.sequence(), out.lastSequence());
            input.append(c.line(c.suite().encryptionKey(c.spi()), c.suite().integrity() == EspIntegrity.NONE ? new byte[0] :
                c.suite().integrityKey(c.spi()))).append(' ').append(hex(esp)).append('\n');
            out.destroy();
        }
        final Map<String, byte[]> decrypted = scapy("decrypt", input.toString());
        assertEquals(cases.size(), decrypted.size());
        for (final Case c : cases)
        {
            assertEquals(hex(c.inner()), hex(decrypted.get(c.name())), c.name() + " " + c.suite() + " " + c.mode() +
                (c.udp() ? " udp" : "") + (c.esn() ? " esn" : ""));
        }
    }

    private Map<String, byte[]> scapy(final String verb, final String input) throws Exception
    {
        final Path script = dir.resolve("esp.py");
        Files.writeString(script, SCAPY.stripIndent());
        final Path cases = dir.resolve(verb + ".txt");
        Files.writeString(cases, input);
        final String out = run(List.of(PYTHON.toString(), script.toString(), verb, cases.toString()));
        final Map<String, byte[]> result = new LinkedHashMap<>();
        for (final String line : out.lines().filter(l -> !l.isBlank()).toList())
        {
            final String[] f = line.trim().split(" ");
            result.put(f[0], EspTesting.hex(f[1]));
        }
        return result;
    }

    // ------------------------------------------------------------------ tshark

    private static String tsharkEncryption(final SecurityAssociation sa)
    {
        return switch (sa.encryption())
        {
            case NULL -> "NULL";
            case AES_CBC_128, AES_CBC_192, AES_CBC_256 -> "AES-CBC [RFC3602]";
            case DES3_CBC -> "TripleDES-CBC [RFC2451]";
            case DES_CBC -> "DES-CBC [RFC2405]";
            case AES_GCM_128, AES_GCM_192, AES_GCM_256 -> "AES-GCM with " + sa.icvLength() + " octet ICV [RFC4106]";
            case CHACHA20_POLY1305 -> null;
        };
    }

    private static String tsharkIntegrity(final EspIntegrity i)
    {
        return switch (i)
        {
            case NONE -> "NULL";
            case HMAC_MD5_96 -> "HMAC-MD5-96 [RFC2403]";
            case HMAC_SHA1_96 -> "HMAC-SHA-1-96 [RFC2404]";
            case HMAC_SHA256_128 -> "HMAC-SHA-256-128 [RFC4868]";
            case HMAC_SHA384_192 -> "HMAC-SHA-384-192 [RFC4868]";
            case HMAC_SHA512_256 -> "HMAC-SHA-512-256 [RFC4868]";
        };
    }

    @Test
    void tsharkDecryptsWhatWeSendAndChecksTheIcv() throws Exception
    {
        assumeTshark();
        final List<String> prefs = new ArrayList<>(List.of("-o", "esp.enable_encryption_decode:TRUE", "-o",
            "esp.enable_authentication_check:TRUE"));
        final List<byte[]> frames = new ArrayList<>();
        final List<String> expected = new ArrayList<>();
        int spi = 0x5000;
        for (final Suite suite : EspTesting.SUITES)
        {
            if (suite.encryption() == EspEncryption.CHACHA20_POLY1305)
            {
                continue;
            }
            for (final Mode mode : Mode.values())
            {
                for (final boolean udp : new boolean[] {false, true})
                {
                    final SecurityAssociation.Builder b = t.builder(suite, spi, true, mode, spi);
                    if (udp)
                    {
                        b.udpEncapsulation(4500, 4500);
                    }
                    final SecurityAssociation out = b.build();
                    final byte[] inner = udpPacket(60 + spi % 97, 0, spi);
                    final byte[] esp = t.encrypt(out, inner);
                    final String src = Bytes.ip4ToString(Packets.u32(esp, 12));
                    final String dst = Bytes.ip4ToString(Packets.u32(esp, 16));
                    prefs.add("-o");
                    prefs.add("uat:esp_sa:\"IPv4\",\"" + src + "\",\"" + dst + "\",\"0x" + Integer.toHexString(spi) + "\",\"" +
                        tsharkEncryption(out) + "\",\"" + (suite.encryption() == EspEncryption.NULL ? "" : "0x" +
                        hex(suite.encryptionKey(spi))) + "\",\"" + tsharkIntegrity(suite.integrity()) + "\",\"" +
                        (suite.integrity() == EspIntegrity.NONE ? "" : "0x" + hex(suite.integrityKey(spi))) + "\"");
                    frames.add(Packets.ethernet(0x0200_0000_0002L, 0x0200_0000_0001L, 0x0800, esp));
                    final int payload = inner.length - 28;
                    expected.add(String.format("0x%08x|1|%s|40000|40001|%d|%s", spi, mode == Mode.TUNNEL ? "4" : "17",
                        payload + 8, hex(Packets.pattern(payload, spi))));
                    out.destroy();
                    spi++;
                }
            }
        }
        // A control: tshark must say "bad" when the ICV is wrong, or its "good" means nothing.
        final SecurityAssociation control = t.builder(EspTesting.SUITES[6], 0x5fff, true, Mode.TUNNEL, 0x5fff).build();
        final byte[] corrupted = t.encrypt(control, udpPacket(80, 0, 1));
        corrupted[corrupted.length - 1] ^= 1;
        prefs.add("-o");
        prefs.add("uat:esp_sa:\"IPv4\",\"192.0.2.1\",\"198.51.100.2\",\"0x5fff\",\"AES-CBC [RFC3602]\",\"0x" +
            hex(EspTesting.SUITES[6].encryptionKey(0x5fff)) + "\",\"HMAC-SHA-256-128 [RFC4868]\",\"0x" +
            hex(EspTesting.SUITES[6].integrityKey(0x5fff)) + "\"");
        final Path bad = writePcap("bad", List.of(Packets.ethernet(0x0200_0000_0002L, 0x0200_0000_0001L, 0x0800, corrupted)));
        final List<String> badCommand = new ArrayList<>(tshark(bad, prefs));
        badCommand.addAll(List.of("-T", "fields", "-E", "separator=|", "-e", "esp.icv_good", "-e", "esp.icv_bad"));
        assertEquals(List.of("0|1"), run(badCommand).lines().toList(), "tshark sees a corrupted ICV");

        final Path pcap = writePcap("esp", frames);
        final List<String> verbose = new ArrayList<>(tshark(pcap, prefs));
        verbose.add("-V");
        final String dissection = run(verbose);
        assertFalse(dissection.contains("Malformed"), dissection);
        assertFalse(dissection.contains("Expert Info (Error"), dissection);
        assertFalse(dissection.contains("Expert Info (Warning"), dissection);
        assertFalse(dissection.contains("[Checksum Status: Bad]"), dissection);
        final List<String> command = new ArrayList<>(tshark(pcap, prefs));
        command.addAll(List.of("-T", "fields", "-E", "separator=|", "-e", "esp.spi", "-e", "esp.icv_good", "-e",
            "esp.protocol", "-e", "udp.srcport", "-e", "udp.dstport", "-e", "udp.length", "-e", "data.data"));
        final List<String> rows = run(command).lines().toList();
        assertEquals(expected.size(), rows.size());
        for (int i = 0; i < rows.size(); i++)
        {
            final String[] f = rows.get(i).split("\\|", -1);
            final String[] e = expected.get(i).split("\\|", -1);
            final String what = "frame " + (i + 1) + ": " + rows.get(i);
            assertEquals(e[0], f[0], what);
            assertEquals("1", f[1], what + ": ICV good");
            assertEquals(String.format("0x%02x", Integer.parseInt(e[2])), f[2], what + ": next header");
            assertTrue(f[3].endsWith(e[3]), what + ": inner UDP source port");
            assertTrue(f[4].endsWith(e[4]), what + ": inner UDP destination port");
            assertTrue(f[5].endsWith(e[5]), what + ": inner UDP length");
            assertEquals(e[6], f[6], what + ": the decrypted payload");
        }
    }

    private List<String> tshark(final Path pcap, final List<String> prefs)
    {
        final List<String> command = new ArrayList<>(List.of(TSHARK.toString(), "-n", "-r", pcap.toString(), "-o",
            "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE"));
        command.addAll(prefs);
        return command;
    }

    private Path writePcap(final String name, final List<byte[]> frames) throws IOException
    {
        return io.sluice.dataplane.testing.TestPcap.write(dir, name, frames);
    }

    // ------------------------------------------------------------------ tools

    private static void assumeTshark()
    {
        if (!Files.isExecutable(TSHARK))
        {
            System.out.println("SKIPPED EspInteropTest: " + TSHARK + " is missing; install tshark (apt-get install tshark)");
        }
        Assumptions.assumeTrue(Files.isExecutable(TSHARK), TSHARK + " is missing");
    }

    private static void assumeScapy() throws InterruptedException
    {
        boolean present = false;
        if (Files.isExecutable(PYTHON))
        {
            try
            {
                final Process p = new ProcessBuilder(PYTHON.toString(), "-c", "import scapy.layers.ipsec, cryptography")
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
                present = p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
            }
            catch (final IOException e)
            {
                present = false;
            }
        }
        if (!present)
        {
            System.out.println("SKIPPED EspInteropTest: scapy is missing; install it (apt-get install python3-scapy)");
        }
        Assumptions.assumeTrue(present, "scapy is missing");
    }

    private static String run(final List<String> command) throws IOException, InterruptedException
    {
        final Process p = new ProcessBuilder(command).start();
        try
        {
            final ByteArrayOutputStream err = new ByteArrayOutputStream();
            final Thread drain = Thread.ofVirtual().start(() ->
            {
                try
                {
                    p.getErrorStream().transferTo(err);
                }
                catch (final IOException ignored)
                {
                    // the process is gone
                }
            });
            final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(300, TimeUnit.SECONDS), "did not finish: " + command);
            drain.join();
            assertEquals(0, p.exitValue(), "exit status of " + String.join(" ", command) + "\n" + out + "\n" + err);
            return out;
        }
        finally
        {
            p.destroyForcibly();
        }
    }
}
