package io.sluice.controlplane.config;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** The configuration files under src/test/resources/config, and a parser for a fixed 4-CPU machine. */
final class ConfigFiles
{
    static final int CPUS = 4;

    private ConfigFiles()
    {
    }

    static Path directory()
    {
        try
        {
            return Path.of(ConfigFiles.class.getResource("/config").toURI());
        }
        catch (final URISyntaxException e)
        {
            throw new IllegalStateException(e);
        }
    }

    /** The file names in config/ (or a sub-directory) matching a glob, sorted. */
    static List<String> names(final String subdirectory, final String glob)
    {
        final Path dir = subdirectory.isEmpty() ? directory() : directory().resolve(subdirectory);
        final java.nio.file.PathMatcher matcher = dir.getFileSystem().getPathMatcher("glob:" + glob);
        try (Stream<Path> files = Files.list(dir))
        {
            return files.map(Path::getFileName).filter(matcher::matches).map(Path::toString).sorted().toList();
        }
        catch (final IOException e)
        {
            throw new UncheckedIOException(e);
        }
    }

    static String read(final String relative)
    {
        try
        {
            return Files.readString(directory().resolve(relative), StandardCharsets.UTF_8);
        }
        catch (final IOException e)
        {
            throw new UncheckedIOException(e);
        }
    }

    /** Parses a file of config/ under its bare name, as a user would see it in messages. */
    static ParsedConfig parse(final String relative) throws ConfigException
    {
        return parser().parse(Path.of(relative).getFileName().toString(), read(relative));
    }

    static ParsedConfig parseText(final String text) throws ConfigException
    {
        return parser().parse("test.conf", text);
    }

    static ConfigParser parser()
    {
        return new ConfigParser(CPUS);
    }

    /** Every configuration that must load: the reference examples and the full gateway. */
    static List<String> loadable()
    {
        return Stream.concat(names("", "ref-*.conf").stream(), Stream.of("gateway-full.conf")).toList();
    }
}
