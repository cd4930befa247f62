package io.sluice.controlplane.config;

import java.util.ArrayList;
import java.util.List;

/**
 * One line of a configuration file, split into words with their columns (IOS words are separated
 * by blanks; there is no quoting, and {@code !} comments only a whole line).
 */
final class ConfigLine
{
    /**
     * @param text   the word.
     * @param column 1-based.
     */
    record Token(String text, int column)
    {
        /** The column just past the word. */
        int end()
        {
            return column + text.length();
        }
    }

    final String file;
    final int number;
    final String text;
    final List<Token> tokens;

    private ConfigLine(final String file, final int number, final String text, final List<Token> tokens)
    {
        this.file = file;
        this.number = number;
        this.text = text;
        this.tokens = tokens;
    }

    static ConfigLine of(final String file, final int number, final String raw)
    {
        final String text = raw.endsWith("\r") ? raw.substring(0, raw.length() - 1) : raw;
        final List<Token> tokens = new ArrayList<>();
        int i = 0;
        while (i < text.length())
        {
            while (i < text.length() && isBlank(text.charAt(i)))
            {
                i++;
            }
            final int start = i;
            while (i < text.length() && !isBlank(text.charAt(i)))
            {
                i++;
            }
            if (i > start)
            {
                tokens.add(new Token(text.substring(start, i), start + 1));
            }
        }
        return new ConfigLine(file, number, text, List.copyOf(tokens));
    }

    private static boolean isBlank(final char c)
    {
        return c == ' ' || c == '\t' || c == '\u00a0' || c == '\f';
    }

    /** Blank, or a {@code !} comment. */
    boolean isBlankOrComment()
    {
        return tokens.isEmpty() || tokens.get(0).text().startsWith("!");
    }

    int size()
    {
        return tokens.size();
    }

    Token token(final int index)
    {
        return tokens.get(index);
    }

    /** Where a missing word would have gone: one blank past the last word. */
    int endColumn()
    {
        return tokens.isEmpty() ? 1 : tokens.get(tokens.size() - 1).end() + 1;
    }

    /** The raw text from a word to the end of the line, blanks inside kept. */
    String textFrom(final int index)
    {
        return text.substring(tokens.get(index).column() - 1).strip();
    }

    /** The first words, for messages: "crypto isakmp policy 10". */
    String words(final int count)
    {
        final StringBuilder words = new StringBuilder();
        for (int i = 0; i < Math.min(count, tokens.size()); i++)
        {
            words.append(i == 0 ? "" : " ").append(tokens.get(i).text());
        }
        return words.toString();
    }

    ConfigMessage message(final int column, final ConfigMessage.Severity severity, final String message)
    {
        return new ConfigMessage(file, number, column, severity, message);
    }
}
