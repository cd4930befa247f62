package io.sluice.ffi.testkit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A strongSwan charon for interop tests, in a namespace of a {@link NetnsLab}: its own mount
 * namespace with a private /run (so several can run at once and none touches the machine's), its
 * own vici socket, configuration and log in a directory of the test's. The lab stops it with the
 * rest of what it started.
 * <pre>
 * StrongSwan swan = StrongSwan.start(lab, ns, dir, "ike = 2", "retransmit_tries = 3", swanctlConf);
 * swan.swanctl("--initiate", "--child", "net");
 * </pre>
 */
public final class StrongSwan
{
    public static final String CHARON = "/usr/lib/ipsec/charon";
    public static final String SWANCTL = "/usr/sbin/swanctl";
    /** The plugins every test loads: kernel-libipsec (ESP in user space over TUN), vici, the usual crypto. */
    public static final String PLUGINS = "random nonce openssl aes sha1 sha2 md5 hmac gmp curve25519 kdf pem pkcs1 " +
        "pkcs8 x509 pubkey kernel-libipsec kernel-netlink socket-default vici updown";

    private final Path dir;
    private final Process process;

    private StrongSwan(final Path dir, final Process process)
    {
        this.dir = dir;
        this.process = process;
    }

    /** Why a strongSwan test cannot run here (with what to install), or null when it can. */
    public static String unavailableReason()
    {
        final String lab = NetnsLab.unavailableReason();
        if (lab != null)
        {
            return lab;
        }
        if (!Files.isExecutable(Path.of(CHARON)) || !Files.isExecutable(Path.of(SWANCTL)))
        {
            return "strongSwan not installed (apt-get install strongswan strongswan-swanctl libcharon-extra-plugins " +
                "libstrongswan-standard-plugins libstrongswan-extra-plugins)";
        }
        if (!Files.isExecutable(Path.of("/usr/bin/unshare")))
        {
            return "unshare (util-linux) not installed";
        }
        return null;
    }

    /**
     * Writes strongswan.conf and swanctl.conf into {@code dir}, starts charon in {@code ns} and
     * loads the connections once its vici socket answers.
     *
     * @param logLevels      filelog levels beyond {@code default = 1}, one per line ({@code ike = 2})
     * @param charonSettings more lines for the {@code charon} section ({@code retransmit_tries = 3})
     * @param swanctlConf    the whole swanctl.conf (connections, secrets)
     */
    public static StrongSwan start(final NetnsLab lab, final String ns, final Path dir, final String logLevels,
        final String charonSettings, final String swanctlConf) throws IOException, InterruptedException
    {
        Files.writeString(dir.resolve("strongswan.conf"), """
            charon {
              filelog {
                test {
                  path = %1$s/charon.log
                  time_format = %%T
                  default = 1
            %2$s
                  flush_line = yes
                }
              }
              load = %3$s
            %4$s
              plugins {
                vici {
                  socket = unix://%1$s/charon.vici
                }
              }
            }
            swanctl {
              socket = unix://%1$s/charon.vici
            }
            """.formatted(dir, indent(logLevels, 6), PLUGINS, indent(charonSettings, 2)));
        Files.writeString(dir.resolve("swanctl.conf"), swanctlConf);
        final Process process = lab.spawn(ns, "env", "STRONGSWAN_CONF=" + dir.resolve("strongswan.conf"), "unshare",
            "-m", "--propagation", "private", "sh", "-c", "mount -t tmpfs tmpfs /run && exec " + CHARON);
        final StrongSwan swan = new StrongSwan(dir, process);
        final long until = System.nanoTime() + 10_000_000_000L;
        while (!Files.exists(dir.resolve("charon.vici")) || swan.trySwanctl("--stats").status() != 0)
        {
            if (System.nanoTime() > until || !process.isAlive())
            {
                throw new IllegalStateException("charon's vici socket did not answer in 10 s (charon " +
                    (process.isAlive() ? "running" : "exited") + "):\n" + swan.log());
            }
            Thread.sleep(50);
        }
        swan.swanctl("--load-all", "--file", dir.resolve("swanctl.conf").toString());
        return swan;
    }

    private static String indent(final String lines, final int spaces)
    {
        final StringBuilder b = new StringBuilder();
        for (final String line : lines.strip().split("\n"))
        {
            if (!line.isBlank())
            {
                b.append(" ".repeat(spaces)).append(line.strip()).append('\n');
            }
        }
        return b.toString().stripTrailing();
    }

    /** swanctl against this charon; throws with its output (and charon's log) when it fails. */
    public String swanctl(final String... args)
    {
        final NetnsLab.Result r = trySwanctl(args);
        if (r.status() != 0)
        {
            throw new IllegalStateException("swanctl " + String.join(" ", args) + " failed (" + r.status() + "): " +
                r.output() + "\ncharon log:\n" + log());
        }
        return r.output();
    }

    /** swanctl against this charon, whatever its exit status. */
    public NetnsLab.Result trySwanctl(final String... args)
    {
        final List<String> cmd = new ArrayList<>(List.of("env", "STRONGSWAN_CONF=" + dir.resolve("strongswan.conf"),
            SWANCTL));
        cmd.addAll(List.of(args));
        cmd.addAll(List.of("--uri", "unix://" + dir.resolve("charon.vici")));
        return NetnsLab.execute(cmd.toArray(String[]::new));
    }

    /** charon's log so far (empty if it has written none). */
    public String log()
    {
        try
        {
            return Files.readString(dir.resolve("charon.log"));
        }
        catch (final IOException e)
        {
            return "";
        }
    }

    /** The process started in the namespace (the shell that became charon). */
    public Process process()
    {
        return process;
    }

    /** Kills charon at once (a peer that dies without a word). */
    public void kill() throws InterruptedException
    {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        process.waitFor(5, java.util.concurrent.TimeUnit.SECONDS);
    }
}
