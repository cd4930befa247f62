package io.sluice.controlplane.config;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Supplier;

/**
 * A configuration mode (global, interface, crypto isakmp policy...) and its commands. A command
 * is a path of keywords ("ip nhrp") and a handler for the rest of the line; a handler that opens
 * a sub-mode returns the {@link Frame} to enter.
 *
 * @param <B> what the mode's commands write into.
 */
final class Mode<B>
{
    @FunctionalInterface
    interface Handler<B>
    {
        /** @return the sub-mode frame this line opens, or null. */
        Frame<?> handle(Args args, B block);
    }

    /**
     * @param path    the keywords, lower case.
     * @param handler reads the rest of the line.
     * @param listed  shown in "expected" lists (inert and unsupported commands are not).
     * @param opens   the mode this command enters, or null.
     */
    record Command<B>(String[] path, Handler<B> handler, boolean listed, Mode<?> opens)
    {
    }

    /**
     * An open block.
     *
     * @param mode  its mode.
     * @param block what its commands write into.
     * @param title how messages name it: "interface eth0".
     * @param line  where it was opened.
     */
    record Frame<B>(Mode<B> mode, B block, String title, ConfigLine line)
    {
    }

    /**
     * The outcome of matching a line's first words.
     *
     * @param command  the command whose keywords all matched, or null.
     * @param consumed how many words its keywords took.
     * @param depth    how many words matched some command's keywords.
     * @param expected the keywords that could have come at {@code depth}.
     * @param ambiguous true if the word at {@code depth} is a prefix of several keywords.
     */
    record Match<B>(Command<B> command, int consumed, int depth, List<String> expected, boolean ambiguous)
    {
    }

    final String name;
    final String entry;
    final Supplier<B> detached;
    final boolean swallow;
    final List<Command<B>> commands = new ArrayList<>();
    /** For a data mode (key-string): takes every line until {@code quit}. */
    BiConsumer<ConfigLine, B> data;

    /**
     * @param name     how messages name the mode: "crypto isakmp policy".
     * @param entry    the command that opens it: "crypto isakmp policy N".
     * @param detached a throw-away block, for the lines of a block whose opening line was refused:
     *                 they are still checked, but what they set goes nowhere.
     * @param swallow  the mode of an unsupported IOS block (router eigrp, line vty): its lines are
     *                 dropped without more errors until a line that another mode knows.
     */
    Mode(final String name, final String entry, final Supplier<B> detached, final boolean swallow)
    {
        this.name = name;
        this.entry = entry;
        this.detached = detached;
        this.swallow = swallow;
    }

    Mode<B> command(final String path, final Handler<B> handler)
    {
        commands.add(new Command<>(path.split(" "), handler, true, null));
        return this;
    }

    Mode<B> opening(final String path, final Mode<?> opens, final Handler<B> handler)
    {
        commands.add(new Command<>(path.split(" "), handler, true, opens));
        return this;
    }

    /** A command left out of "expected" lists. */
    Mode<B> hidden(final String path, final Mode<?> opens, final Handler<B> handler)
    {
        commands.add(new Command<>(path.split(" "), handler, false, opens));
        return this;
    }

    /** Makes this a data mode: its lines are data for the block, not commands. */
    Mode<B> data(final BiConsumer<ConfigLine, B> handler)
    {
        this.data = handler;
        return this;
    }

    Frame<B> frame(final B block, final String title, final ConfigLine line)
    {
        return new Frame<>(this, block, title, line);
    }

    Frame<B> detachedFrame(final String title, final ConfigLine line)
    {
        return new Frame<>(this, detached.get(), title, line);
    }

    /** The longest command whose keywords the line starts with. */
    Match<B> match(final List<ConfigLine.Token> tokens)
    {
        List<Command<B>> candidates = commands;
        Command<B> complete = null;
        int consumed = 0;
        int depth = 0;
        while (true)
        {
            for (final Command<B> command : candidates)
            {
                if (command.path().length == depth)
                {
                    complete = command;
                    consumed = depth;
                }
            }
            final Set<String> words = new LinkedHashSet<>();
            for (final Command<B> command : candidates)
            {
                if (command.path().length > depth && command.listed())
                {
                    words.add(command.path()[depth]);
                }
            }
            final Set<String> all = new LinkedHashSet<>();
            for (final Command<B> command : candidates)
            {
                if (command.path().length > depth)
                {
                    all.add(command.path()[depth]);
                }
            }
            if (words.isEmpty())
            {
                words.addAll(all);
            }
            if (depth == tokens.size() || all.isEmpty())
            {
                return new Match<>(complete, consumed, depth, List.copyOf(words), false);
            }
            final Args.Resolution resolution = Args.resolve(tokens.get(depth).text(), List.copyOf(all));
            if (resolution.match() == null)
            {
                return new Match<>(complete, consumed, depth,
                    resolution.ambiguous() ? resolution.candidates() : List.copyOf(words), resolution.ambiguous());
            }
            final int level = depth;
            candidates = candidates.stream()
                .filter(c -> c.path().length > level && c.path()[level].equals(resolution.match()))
                .toList();
            depth++;
        }
    }

    /** True if some command of this mode starts with this word (not abbreviated). */
    boolean knowsFirstWord(final String word)
    {
        for (final Command<B> command : commands)
        {
            if (command.listed() && command.path()[0].equalsIgnoreCase(word))
            {
                return true;
            }
        }
        return false;
    }
}
