package io.sluice.controlplane.config;

import java.util.List;

/**
 * A configuration that loaded, with what the parser noticed on the way.
 *
 * @param config the model.
 * @param notes  warnings and ignored lines, in file order.
 */
public record ParsedConfig(Config config, List<ConfigMessage> notes)
{
    public ParsedConfig
    {
        notes = List.copyOf(notes);
    }

    public List<ConfigMessage> warnings()
    {
        return notes.stream().filter(n -> n.severity() == ConfigMessage.Severity.WARNING).toList();
    }

    public List<ConfigMessage> ignored()
    {
        return notes.stream().filter(n -> n.severity() == ConfigMessage.Severity.IGNORED).toList();
    }
}
