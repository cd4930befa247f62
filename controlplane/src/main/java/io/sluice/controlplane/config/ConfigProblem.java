package io.sluice.controlplane.config;

/**
 * A line that does not parse: thrown by the command handlers, caught per line by the parser,
 * which records it and goes on with the next line. Control flow, so no stack trace.
 */
final class ConfigProblem extends RuntimeException
{
    final int column;

    ConfigProblem(final int column, final String message)
    {
        super(message, null, false, false);
        this.column = column;
    }
}
