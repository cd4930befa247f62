package io.sluice.dataplane.esp;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * DES and 3DES: the JDK 25 here still has both in SunJCE (round trips, scapy and tshark interop
 * cover them). A JDK whose {@code java.security} disables DES through
 * {@code jdk.crypto.disabledAlgorithms} (the JDK 24+ mechanism) makes {@code Cipher.getInstance}
 * throw "DES/CBC/NoPadding is disabled"; building the SA must then fail with a message that says
 * so and what to change, not with a stack trace on the first packet. Shown in a child JVM started
 * with such an override.
 */
class EspDesTest
{
    @TempDir
    Path dir;

    @Test
    void thisJdkAcceptsDesAndTripleDes()
    {
        for (final EspEncryption e : new EspEncryption[] {EspEncryption.DES_CBC, EspEncryption.DES3_CBC})
        {
            SecurityAssociation.builder().inbound().spi(0x1000).encryption(e, EspTesting.bytes(e.keyLength(), 1))
                .integrity(EspIntegrity.HMAC_MD5_96, new byte[16]).build().destroy();
        }
    }

    @Test
    void aJdkThatDisablesDesRefusesTheSaWithAClearMessage() throws Exception
    {
        final Path security = dir.resolve("no-des.security");
        Files.writeString(security, "jdk.crypto.disabledAlgorithms=Cipher.DES/CBC/NoPadding\n");
        final String java = ProcessHandle.current().info().command().orElse("java");
        final List<String> command = new ArrayList<>(List.of(java, "-Djava.security.properties=" + security,
            "--enable-native-access=ALL-UNNAMED", "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "--sun-misc-unsafe-memory-access=allow", "-Xmx64m", "-cp", classPath(), DesRefusedChild.class.getName()));
        final Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
        final String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(child.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, child.exitValue(), out);
        final List<String> lines = out.lines().toList();
        assertEquals(2, lines.size(), out);
        final String des = lines.get(0);
        assertTrue(des.startsWith("DES-CBC REFUSED DES-CBC with HMAC-SHA1-96 cannot be used with this JDK"), des);
        assertTrue(des.contains("DES/CBC/NoPadding is disabled"), des);
        assertTrue(des.contains("jdk.crypto.disabledAlgorithms=\"Cipher.DES/CBC/NoPadding\""), des);
        assertTrue(des.contains("move the peer to AES-GCM"), des);
        assertEquals("3DES-CBC ACCEPTED", lines.get(1), "only what the override names is refused");
    }

    /** The test class path, plus this class's own location in case surefire hands over a manifest-only jar. */
    private static String classPath()
    {
        final List<String> entries = new ArrayList<>(List.of(System.getProperty("java.class.path").split(File.pathSeparator)));
        for (final Class<?> c : new Class<?>[] {DesRefusedChild.class, SecurityAssociation.class, org.agrona.BitUtil.class})
        {
            final String location = Path.of(c.getProtectionDomain().getCodeSource().getLocation().getPath()).toString();
            if (!entries.contains(location))
            {
                entries.add(location);
            }
        }
        return String.join(File.pathSeparator, entries);
    }
}
