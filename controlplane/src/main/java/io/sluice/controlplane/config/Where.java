package io.sluice.controlplane.config;

/**
 * A place in the file, kept with a name that is checked once the whole file is read (a crypto
 * map's transform set may be defined below the map).
 *
 * @param line   the line.
 * @param column 1-based.
 */
record Where(ConfigLine line, int column)
{
    static Where at(final ConfigLine line, final ConfigLine.Token token)
    {
        return new Where(line, token.column());
    }

    ConfigMessage error(final String message)
    {
        return line.message(column, ConfigMessage.Severity.ERROR, message);
    }

    ConfigMessage warning(final String message)
    {
        return line.message(column, ConfigMessage.Severity.WARNING, message);
    }

    /** "line 12", for messages pointing at another place. */
    String lineText()
    {
        return "line " + line.number;
    }
}
