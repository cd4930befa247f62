package io.sluice.controlplane.config;

import java.util.List;
import java.util.stream.Collectors;

/**
 * A configuration file with errors: all of them, in file order. Nothing of the file is returned
 * with it, so nothing of it can be applied.
 */
public final class ConfigException extends Exception
{
    private final transient List<ConfigMessage> errors;

    public ConfigException(final List<ConfigMessage> errors)
    {
        super(errors.stream().map(ConfigMessage::toString).collect(Collectors.joining("\n")), null, false, false);
        this.errors = List.copyOf(errors);
    }

    public List<ConfigMessage> errors()
    {
        return errors;
    }
}
