package io.sluice.controlplane.config;

/**
 * A finding about one place of a configuration file, printed as compilers do:
 * {@code gw.conf:12:22: 'aes512' is not an encryption algorithm; expected des, 3des, aes [128|192|256]}.
 *
 * @param file     the file's name as the user gave it.
 * @param line     1-based.
 * @param column   1-based, of the offending word (or just past the line's end for a missing one).
 * @param severity error, warning, or a line ignored on purpose.
 * @param message  what is wrong, naming the word and what was expected.
 */
public record ConfigMessage(String file, int line, int column, Severity severity, String message)
    implements Comparable<ConfigMessage>
{
    public enum Severity
    {
        /** The file is refused. */
        ERROR(""),
        /** Accepted, but probably not what was meant. */
        WARNING("warning: "),
        /** An IOS line with nothing for Sluice to do (version, service timestamps...): accepted and dropped. */
        IGNORED("ignored: ");

        private final String prefix;

        Severity(final String prefix)
        {
            this.prefix = prefix;
        }
    }

    @Override
    public int compareTo(final ConfigMessage other)
    {
        return line != other.line ? Integer.compare(line, other.line) : Integer.compare(column, other.column);
    }

    @Override
    public String toString()
    {
        return file + ":" + line + ":" + column + ": " + severity.prefix + message;
    }
}
