package io.sluice.tools.ikebench;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A tiny run of the IKEv2 setup-rate benchmark: strongSwan initiates 20 IKE SAs with child SAs
 * against Sluice's responder and 20 against strongSwan's. Counts, never speed: both produce a
 * rate, every negotiation with Sluice succeeds, and each responder holds what the initiator set up.
 */
class IkeSetupBenchTest
{
    @Test
    void bothRespondersSetUpEverySaAndSluiceFailsNone() throws Exception
    {
        final String why = IkeLab.unavailableReason();
        if (why != null)
        {
            System.out.println("SKIPPED " + getClass().getSimpleName() + ": " + why);
        }
        assumeTrue(why == null, why);
        final IkeSetupBench.Options options = IkeSetupBench.Options.parse(new String[]{"--sas", "20", "--warmup", "5",
            "--window", "4"});
        final IkeSetupBench.Result result = IkeSetupBench.measure(options, System.out);
        System.out.print(result.table());
        System.out.println(result.json());

        final IkeSetupBench.TargetResult sluice = result.target("sluice");
        final IkeSetupBench.TargetResult swan = result.target("strongswan");
        assertNotNull(sluice);
        assertNotNull(swan);
        assertEquals(0, sluice.failedTotal(), "failed negotiations with Sluice: " + sluice.errors());
        assertEquals(20, sluice.established(), result.table());
        assertEquals(25, sluice.responderIkeSas(), "Sluice's IKE SAs (warm-up included): " + sluice.responderCounters());
        assertEquals(25, sluice.responderChildSas(), "Sluice's child SAs: " + sluice.responderCounters());
        assertEquals(0, sluice.responderCounters().get("auth_failures"));
        assertEquals(0, sluice.responderCounters().get("half_open_drops"));
        assertEquals(0, sluice.responderCounters().get("cookies_sent"));
        assertTrue(sluice.rate() > 0 && sluice.seconds() > 0, result.table());

        assertTrue(swan.established() > 0 && swan.rate() > 0, "strongSwan's responder produced no number: " +
            result.table() + swan.errors());
        assertEquals(swan.established() + 5 - swan.warmupFailed(), swan.responderChildSas(), result.table());
        assertTrue(Double.isFinite(result.ratio()) && result.ratio() > 0, result.json());
        assertTrue(result.json().contains("\"ratio_sluice_to_strongswan\":"), result.json());
    }
}
