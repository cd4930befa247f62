package io.sluice.controlplane.config;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code show running-config} of every example parses back to an equal model, and is stable. */
class ConfigRoundTripTest
{
    static List<String> loadable()
    {
        return ConfigFiles.loadable();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("loadable")
    void runningConfigParsesBackToTheSameModel(final String file) throws ConfigException
    {
        final Config original = ConfigFiles.parse(file).config();
        final String running = RunningConfig.render(original);
        final ParsedConfig reparsed = ConfigFiles.parser().parse("running-config", running);
        assertEquals(original, reparsed.config(), running);
        assertEquals(running, RunningConfig.render(reparsed.config()));
        assertTrue(reparsed.ignored().isEmpty(), reparsed.ignored().toString());
        assertTrue(running.endsWith("end\n"));
    }
}
