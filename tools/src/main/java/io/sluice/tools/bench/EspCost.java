package io.sluice.tools.bench;

import java.util.Locale;

/**
 * What ESP costs per packet beyond forwarding, against what its cipher costs alone (issue 4's goal:
 * at most {@value Scenario#ESP_OVER_CIPHER_GOAL} x at 1400 B). From one run: the ESP forwarder's
 * time per packet less Sluice's io forward's (so the routing graph, outer header, SA lookup,
 * padding, replay window and the cipher are all ESP's), over the JCE cipher loop's time per packet
 * for the same bytes ({@link CryptoBaseline}), and over openssl's. The io forward does no routing:
 * the ratio charges the graph to ESP and so errs against Sluice. Both forwarders share their core
 * with the kernel's veth and AF_XDP copy work, which shows as time per packet too; when the
 * generator was the limit of either, the difference is not a cost (the summary says so). The cipher
 * loop encrypts; for the decrypt direction it stands for the decrypt (the same work for GCM and
 * ChaCha20-Poly1305; CBC decrypts faster than it encrypts).
 *
 * @param espNs         ns per packet of the ESP forwarder (median rate)
 * @param ioNs          ns per packet of Sluice's io forward in the same run
 * @param jceNs         ns per packet of the JCE cipher alone
 * @param opensslNs     ns per packet of openssl speed for the same algorithm and bytes
 * @param goal          the goal for this size (1400 B only), or 0
 */
record EspCost(double espNs, double ioNs, double jceNs, double opensslNs, double goal, boolean generatorLimited)
{
    /** The ESP cost of a result with its cipher's crypto point, or null when it is not an ESP scenario. */
    static EspCost of(final IoBench.Result r, final CryptoBaseline.Point p)
    {
        if (p == null || !r.scenario().esp() || r.mpps() <= 0 || r.baselineMpps() <= 0 ||
            !r.scenario().baseline().equals(Scenario.SLUICE_IO))
        {
            return null;
        }
        final boolean at1400 = !r.size().imix() && r.size().sizes()[0] == 1400;
        return new EspCost(1e3 / r.mpps(), 1e3 / r.baselineMpps(), p.jceMpps() > 0 ? 1e3 / p.jceMpps() : Double.NaN,
            p.opensslMpps() > 0 ? 1e3 / p.opensslMpps() : Double.NaN, at1400 ? Scenario.ESP_OVER_CIPHER_GOAL : 0,
            r.generatorBottleneck());
    }

    /** ESP's ns per packet beyond the io forward. */
    double extraNs()
    {
        return espNs - ioNs;
    }

    /** ESP's extra cost over the JCE cipher's own: the goal's ratio. */
    double overJce()
    {
        return extraNs() / jceNs;
    }

    double overOpenssl()
    {
        return extraNs() / opensslNs;
    }

    boolean goalMet()
    {
        return goal > 0 && Double.isFinite(overJce()) && overJce() <= goal;
    }

    String json()
    {
        return "{\"espNsPerPacket\":" + Stats.num(espNs) + ",\"ioNsPerPacket\":" + Stats.num(ioNs) +
            ",\"extraNsPerPacket\":" + Stats.num(extraNs()) + ",\"jceCipherNsPerPacket\":" + Stats.num(jceNs) +
            ",\"opensslCipherNsPerPacket\":" + Stats.num(opensslNs) + ",\"overJceCipher\":" + Stats.num(overJce()) +
            ",\"overOpensslCipher\":" + Stats.num(overOpenssl()) + ",\"goal\":" +
            (goal > 0 ? Stats.num(goal) : "null") + ",\"goalMet\":" + (goal > 0 ? Boolean.toString(goalMet()) : "null") +
            ",\"generatorLimited\":" + generatorLimited + "}";
    }

    String text()
    {
        return String.format(Locale.ROOT, "  ESP cost: %.0f ns/packet, io forward %.0f: ESP adds %.0f ns; the JCE " +
                "cipher alone %.0f ns (x %.2f), openssl %.0f ns (x %.2f)%s%s", espNs, ioNs, extraNs(), jceNs, overJce(),
            opensslNs, overOpenssl(), goal > 0 ? String.format(Locale.ROOT, "; goal <= %.2f x the cipher: %s", goal,
                goalMet() ? "met" : "NOT MET") : "",
            generatorLimited ? " (the generator was a limit: not a cost measurement)" : "");
    }
}
