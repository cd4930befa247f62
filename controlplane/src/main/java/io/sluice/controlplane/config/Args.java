package io.sluice.controlplane.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The arguments of one command, read left to right. Every reader either returns a value or
 * throws a {@link ConfigProblem} that names the offending word (or the missing one) and what was
 * expected there.
 */
final class Args
{
    private final ConfigLine line;
    private int index;

    Args(final ConfigLine line, final int index)
    {
        this.line = line;
        this.index = index;
    }

    ConfigLine line()
    {
        return line;
    }

    boolean more()
    {
        return index < line.size();
    }

    /** The next word, or null at the end. */
    ConfigLine.Token peek()
    {
        return more() ? line.token(index) : null;
    }

    /** Where the next word is, or where it would be. */
    Where where()
    {
        return new Where(line, more() ? line.token(index).column() : line.endColumn());
    }

    /** The next word, whatever it is. */
    ConfigLine.Token next(final String what, final String expected)
    {
        if (!more())
        {
            throw missing(what, expected);
        }
        return line.token(index++);
    }

    /** The word before the next one (the one just read). */
    ConfigLine.Token previous()
    {
        return line.token(index - 1);
    }

    /**
     * One of the choices, which may be abbreviated as IOS allows (a unique prefix of a word).
     *
     * @return the choice as listed.
     */
    String keyword(final String what, final String expected, final String... choices)
    {
        final ConfigLine.Token token = next(what, expected);
        final Resolution resolution = resolve(token.text(), List.of(choices));
        if (resolution.match() == null)
        {
            throw resolution.ambiguous() ?
                problem(token, "'" + token.text() + "' is ambiguous; expected one of " +
                    String.join(", ", resolution.candidates())) :
                not(token, what, expected);
        }
        return resolution.match();
    }

    /** If the next word is one of the choices, reads it and returns the choice; else null. */
    String accept(final String... choices)
    {
        if (!more())
        {
            return null;
        }
        final Resolution resolution = resolve(line.token(index).text(), List.of(choices));
        if (resolution.match() != null)
        {
            index++;
        }
        return resolution.match();
    }

    /** A decimal number in [min, max]. */
    long number(final String what, final long min, final long max)
    {
        final ConfigLine.Token token = next(what, what + ", " + min + "-" + max);
        final String text = token.text();
        if (text.isEmpty() || text.length() > 12 || !text.chars().allMatch(Character::isDigit))
        {
            throw problem(token, "'" + text + "' is not a number; expected " + what + ", " + min + "-" + max);
        }
        final long value = Long.parseLong(text);
        if (value < min || value > max)
        {
            throw problem(token, "'" + text + "' is out of range; expected " + what + ", " + min + "-" + max);
        }
        return value;
    }

    int intNumber(final String what, final int min, final int max)
    {
        return (int)number(what, min, max);
    }

    Ip4 address(final String what)
    {
        final ConfigLine.Token token = next(what, "an address such as 192.0.2.1");
        return parseAddress(token, what);
    }

    static Ip4 parseAddress(final ConfigLine.Token token, final String what)
    {
        try
        {
            return Ip4.parse(token.text());
        }
        catch (final IllegalArgumentException e)
        {
            final String reason = e.getMessage().startsWith("not four") ? "" : ": " + e.getMessage();
            throw problem(token, "'" + token.text() + "' is not " + what + reason +
                "; expected four numbers 0-255 separated by dots");
        }
    }

    /** A subnet mask with contiguous one bits. */
    Ip4 mask()
    {
        final ConfigLine.Token token = next("a subnet mask", "a mask such as 255.255.255.0");
        final Ip4 mask = parseAddress(token, "a subnet mask");
        if (!mask.isContiguousMask())
        {
            throw problem(token, "'" + token.text() + "' is not a subnet mask: its one bits are not contiguous; " +
                "expected a mask such as 255.255.255.0");
        }
        return mask;
    }

    /** An ACL wildcard with contiguous one bits at the end. */
    Ip4 wildcard()
    {
        final ConfigLine.Token token = next("a wildcard", "a wildcard such as 0.0.0.255");
        final Ip4 wildcard = parseAddress(token, "a wildcard");
        if (!wildcard.isContiguousWildcard())
        {
            throw problem(token, "'" + token.text() + "' is not a contiguous wildcard (Sluice matches prefixes); " +
                "expected a wildcard such as 0.0.0.255");
        }
        return wildcard;
    }

    /** The raw rest of the line, blanks inside kept. */
    String rest(final String what)
    {
        if (!more())
        {
            throw missing(what, what);
        }
        final String text = line.textFrom(index);
        index = line.size();
        return text;
    }

    /** Checks that nothing follows. */
    void end()
    {
        if (more())
        {
            throw problem(line.token(index), "'" + line.token(index).text() + "' is unexpected; expected end of line");
        }
    }

    ConfigProblem missing(final String what, final String expected)
    {
        return new ConfigProblem(line.endColumn(), "missing " + what + "; expected " + expected);
    }

    static ConfigProblem not(final ConfigLine.Token token, final String what, final String expected)
    {
        return problem(token, "'" + token.text() + "' is not " + what + "; expected " + expected);
    }

    static ConfigProblem problem(final ConfigLine.Token token, final String message)
    {
        return new ConfigProblem(token.column(), message);
    }

    /**
     * @param match     the choice the word stands for, or null.
     * @param ambiguous true if the word is a prefix of several choices.
     */
    record Resolution(String match, boolean ambiguous, List<String> candidates)
    {
        Resolution(final String match, final boolean ambiguous)
        {
            this(match, ambiguous, List.of());
        }
    }

    /**
     * IOS keyword matching: the word itself (any case), else the one choice it is a prefix of.
     * Numbers are never abbreviated.
     */
    static Resolution resolve(final String word, final List<String> choices)
    {
        final String lower = word.toLowerCase(Locale.ROOT);
        for (final String choice : choices)
        {
            if (choice.equals(lower))
            {
                return new Resolution(choice, false);
            }
        }
        if (lower.isEmpty() || !Character.isLetter(lower.charAt(0)))
        {
            return new Resolution(null, false);
        }
        final List<String> prefixed = new ArrayList<>();
        for (final String choice : choices)
        {
            if (choice.startsWith(lower) && !prefixed.contains(choice))
            {
                prefixed.add(choice);
            }
        }
        return prefixed.size() == 1 ? new Resolution(prefixed.get(0), false) :
            new Resolution(null, prefixed.size() > 1, List.copyOf(prefixed));
    }
}
