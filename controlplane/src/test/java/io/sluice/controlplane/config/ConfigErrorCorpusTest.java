package io.sluice.controlplane.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The broken files of src/test/resources/config/errors: each is refused with exactly the messages
 * of its .expected file, all of them, in file order, and with nothing returned.
 */
class ConfigErrorCorpusTest
{
    static List<String> brokenFiles()
    {
        return ConfigFiles.names("errors", "*.conf");
    }

    @Test
    void corpusIsLargeAndEveryFileHasItsExpectation()
    {
        final List<String> files = brokenFiles();
        assertTrue(files.size() >= 25, files.size() + " files");
        final List<String> expectations = ConfigFiles.names("errors", "*.expected");
        assertEquals(files.stream().map(f -> f.replace(".conf", ".expected")).toList(), expectations);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("brokenFiles")
    void refusedWithTheExpectedMessages(final String file)
    {
        final String expected = ConfigFiles.read("errors/" + file.replace(".conf", ".expected")).strip();
        final ConfigException refused = assertThrows(ConfigException.class, () -> ConfigFiles.parse("errors/" + file));
        final String actual = refused.errors().stream().map(ConfigMessage::toString).collect(Collectors.joining("\n"));
        assertEquals(expected, actual);
        assertEquals(actual, refused.getMessage());
        for (final ConfigMessage error : refused.errors())
        {
            assertEquals(ConfigMessage.Severity.ERROR, error.severity());
            assertTrue(error.toString().startsWith(file + ":" + error.line() + ":" + error.column() + ": "));
        }
    }

    @Test
    void everyErrorOfAFileIsReported()
    {
        final ConfigException refused = assertThrows(ConfigException.class,
            () -> ConfigFiles.parse("errors/32-many-errors.conf"));
        assertEquals(List.of(2, 5, 6, 7, 8, 10, 11), refused.errors().stream().map(ConfigMessage::line).toList());
    }
}
