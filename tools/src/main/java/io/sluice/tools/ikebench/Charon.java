package io.sluice.tools.ikebench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * One strongSwan charon in a network namespace and its own mount namespace: a private /run (the
 * pid file is fixed at /run/charon.pid), {@code STRONGSWAN_CONF} and a vici socket in its own
 * directory, kernel-libipsec for the child SAs (no kernel ESP here). Stopped by its process handle.
 */
final class Charon implements AutoCloseable
{
    static final String CHARON = "/usr/lib/ipsec/charon";
    static final String SWANCTL = "/usr/sbin/swanctl";
    private static final String PLUGINS = "random nonce openssl aes sha1 sha2 hmac gmp curve25519 kdf pem pkcs1 " +
        "x509 pubkey kernel-libipsec kernel-netlink socket-default vici";

    private final Process process;
    private final Path dir;

    private Charon(final Process process, final Path dir)
    {
        this.process = process;
        this.dir = dir;
    }

    /** Why charon cannot run here, or null. */
    static String unavailableReason()
    {
        if (!Files.isExecutable(Path.of(CHARON)) || !Files.isExecutable(Path.of(SWANCTL)))
        {
            return "strongSwan's charon or swanctl is missing (apt-get install strongswan strongswan-swanctl " +
                "libcharon-extra-plugins libstrongswan-standard-plugins libstrongswan-extra-plugins)";
        }
        if (!Files.exists(Path.of("/usr/lib/ipsec/plugins/libstrongswan-kernel-libipsec.so")))
        {
            return "strongSwan's kernel-libipsec plugin is missing (apt-get install libcharon-extra-plugins)";
        }
        if (!Files.exists(Path.of("/dev/net/tun")))
        {
            return "no /dev/net/tun (kernel-libipsec needs TUN)";
        }
        return null;
    }

    /**
     * Starts charon in {@code ns} with its files in {@code dir}: strongswan.conf with
     * {@code charonSettings} inside the {@code charon} section, then loads {@code swanctlConf}.
     */
    static Charon start(final IkeLab lab, final String ns, final Path dir, final String charonSettings,
        final String swanctlConf) throws IOException, InterruptedException
    {
        Files.createDirectories(dir);
        final Path conf = dir.resolve("strongswan.conf");
        Files.writeString(conf, """
            charon {
              filelog {
                bench {
                  path = %1$s/charon.log
                  time_format = %%T
                  default = 0
                  ike = 1
                  flush_line = yes
                }
              }
              load = %2$s
              # lookups stay cheap with thousands of IKE SAs (the defaults are 1 segment of 32 rows)
              ikesa_table_size = 4096
              ikesa_table_segments = 16
              install_virtual_ip = no
            %3$s
              plugins {
                vici {
                  socket = unix://%1$s/charon.vici
                }
              }
            }
            swanctl {
              socket = unix://%1$s/charon.vici
            }
            """.formatted(dir, PLUGINS, charonSettings.indent(2)));
        Files.writeString(dir.resolve("swanctl.conf"), swanctlConf);
        final Process p = lab.spawn(ns, List.of("env", "STRONGSWAN_CONF=" + conf, "unshare", "-m", "--propagation",
            "private", "sh", "-c", "mount -t tmpfs tmpfs /run && exec " + CHARON), dir.resolve("charon.out"), false);
        final Charon charon = new Charon(p, dir);
        final long until = System.nanoTime() + 15_000_000_000L;
        while (true)
        {
            if (!p.isAlive())
            {
                throw new IOException("charon in " + ns + " exited (" + p.exitValue() + "): " + charon.logTail());
            }
            if (Files.exists(charon.viciSocket()))
            {
                try (Vici v = Vici.connect(charon.viciSocket()))
                {
                    v.request("version", Map.of());
                    break;
                }
                catch (final IOException e)
                {
                    // not listening yet
                }
            }
            if (System.nanoTime() > until)
            {
                IkeLab.stop(p);
                throw new IOException("charon in " + ns + " did not open its vici socket in 15 s: " + charon.logTail());
            }
            Thread.sleep(50);
        }
        IkeLab.run("env", "STRONGSWAN_CONF=" + conf, SWANCTL, "--load-all", "--noprompt", "--file",
            dir.resolve("swanctl.conf").toString(), "--uri", "unix://" + charon.viciSocket());
        return charon;
    }

    Path viciSocket()
    {
        return dir.resolve("charon.vici");
    }

    long pid()
    {
        return process.pid();
    }

    boolean alive()
    {
        return process.isAlive();
    }

    /** The last lines charon logged, for error messages. */
    String logTail()
    {
        final StringBuilder sb = new StringBuilder();
        for (final String f : new String[]{"charon.out", "charon.log"})
        {
            try
            {
                final List<String> lines = Files.readAllLines(dir.resolve(f));
                sb.append("\n--- ").append(dir.resolve(f)).append(" (tail) ---\n")
                    .append(String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size())));
            }
            catch (final IOException e)
            {
                // not written (yet)
            }
        }
        return sb.toString();
    }

    @Override
    public void close()
    {
        IkeLab.stop(process);
    }
}
