package io.sluice.controlplane.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Reads an IOS-style configuration file into a {@link Config}.
 * <p>
 * The language is IOS's: one command per line, {@code !} comment lines, sub-modes opened by
 * commands such as {@code interface} or {@code crypto isakmp policy}, and, as in IOS, indentation
 * means nothing: a line that the current sub-mode does not know is tried in the enclosing modes,
 * and running there closes the sub-mode. {@code exit} closes one mode, {@code end} all of them.
 * Keywords may be abbreviated to a unique prefix ({@code encr} for {@code encryption}).
 * <p>
 * Every error of the file is collected, each as {@code file:line:column: message}; with any error
 * the whole file is refused ({@link ConfigException}) and nothing of it is returned.
 */
public final class ConfigParser
{
    private final int cpus;

    /** A parser for this machine: {@code worker cpus} are checked against its CPUs. */
    public ConfigParser()
    {
        this(Runtime.getRuntime().availableProcessors());
    }

    /** @param availableCpus the CPUs workers may be pinned to: 0 to availableCpus - 1. */
    public ConfigParser(final int availableCpus)
    {
        if (availableCpus < 1)
        {
            throw new IllegalArgumentException("availableCpus " + availableCpus);
        }
        this.cpus = availableCpus;
    }

    /** Reads a file; its name in messages is the path as given. */
    public ParsedConfig load(final Path file) throws IOException, ConfigException
    {
        return parse(file.toString(), new String(Files.readAllBytes(file), StandardCharsets.UTF_8));
    }

    /**
     * @param fileName how messages name the file.
     * @param text     the whole file.
     */
    public ParsedConfig parse(final String fileName, final String text) throws ConfigException
    {
        final ConfigBuilder root = new ConfigBuilder(fileName, cpus);
        final Session session = new Session(new Grammar(root));
        final String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++)
        {
            session.line(ConfigLine.of(fileName, i + 1, lines[i]));
        }
        session.finish();
        return root.build();
    }

    /** The stack of open modes while one file is read. */
    private static final class Session
    {
        private final Grammar grammar;
        private final ConfigBuilder root;
        private final List<Mode.Frame<?>> stack = new ArrayList<>();

        Session(final Grammar grammar)
        {
            this.grammar = grammar;
            this.root = grammar.root;
            stack.add(grammar.global.frame(root, "global configuration", null));
        }

        void line(final ConfigLine line)
        {
            if (line.isBlankOrComment())
            {
                return;
            }
            try
            {
                dispatch(line);
            }
            catch (final ConfigProblem problem)
            {
                root.error(line.message(problem.column, ConfigMessage.Severity.ERROR, problem.getMessage()));
            }
        }

        void finish()
        {
            final Mode.Frame<?> top = top();
            if (top.mode().data != null)
            {
                root.warn(new Where(top.line(), 1), "the key-string has no 'quit' before the end of the file");
            }
        }

        private Mode.Frame<?> top()
        {
            return stack.get(stack.size() - 1);
        }

        private void truncate(final int size)
        {
            while (stack.size() > size)
            {
                stack.remove(stack.size() - 1);
            }
        }

        private void dispatch(final ConfigLine line)
        {
            final String first = line.token(0).text();
            if (top().mode().data != null)
            {
                if (first.equalsIgnoreCase("quit"))
                {
                    new Args(line, 1).end();
                    truncate(stack.size() - 1);
                    return;
                }
                if (!isHex(line) && knownOutside(line))
                {
                    root.error(line.message(line.token(0).column(), ConfigMessage.Severity.ERROR, "'" + first +
                        "' comes before the key-string (line " + top().line().number + ") has ended; expected quit " +
                        "after the key's hex lines"));
                    truncate(stack.size() - 1);
                }
                else
                {
                    runData(top(), line);
                    return;
                }
            }
            if (first.equalsIgnoreCase("exit") || first.equalsIgnoreCase("quit") && top().mode() == grammar.pubkey)
            {
                new Args(line, 1).end();
                if (stack.size() > 1)
                {
                    truncate(stack.size() - 1);
                }
                return;
            }
            if (first.equalsIgnoreCase("end"))
            {
                new Args(line, 1).end();
                truncate(1);
                return;
            }

            Mode.Match<?> best = null;
            final Set<String> expected = new LinkedHashSet<>();
            ConfigProblem firstProblem = null;
            for (int i = stack.size() - 1; i >= 0; i--)
            {
                final Mode.Frame<?> frame = stack.get(i);
                if (frame.mode().swallow || frame.mode().data != null)
                {
                    continue;
                }
                final Mode.Match<?> match = frame.mode().match(line.tokens);
                if (match.command() != null)
                {
                    // As IOS: a line the inner mode knows but refuses is tried in the outer modes before it is an error.
                    final ConfigProblem problem = run(i, frame, match, line, firstProblem == null);
                    if (problem == null)
                    {
                        return;
                    }
                    if (firstProblem == null)
                    {
                        firstProblem = problem;
                    }
                    continue;
                }
                if (best == null || match.depth() > best.depth())
                {
                    best = match;
                    expected.clear();
                    expected.addAll(match.expected());
                }
                else if (match.depth() == best.depth() && !best.ambiguous())
                {
                    if (match.ambiguous())
                    {
                        best = match;
                        expected.clear();
                    }
                    expected.addAll(match.expected());
                }
            }
            if (firstProblem != null)
            {
                throw firstProblem;
            }
            if (top().mode().swallow)
            {
                return;
            }
            throw unknown(line, best, List.copyOf(expected));
        }

        /**
         * Runs the command in the frame at that depth, closing the frames inside it.
         *
         * @param recover on an error, enter the mode the command opens anyway (with a detached block).
         * @return null if the line was taken, else its problem.
         */
        @SuppressWarnings("unchecked")
        private <B> ConfigProblem run(
            final int index, final Mode.Frame<?> frame, final Mode.Match<?> match, final ConfigLine line,
            final boolean recover)
        {
            final Mode.Command<B> command = (Mode.Command<B>)match.command();
            try
            {
                final Mode.Frame<?> next = command.handler().handle(new Args(line, match.consumed()), (B)frame.block());
                truncate(index + 1);
                if (next != null)
                {
                    stack.add(next);
                }
                return null;
            }
            catch (final ConfigProblem problem)
            {
                if (recover && command.opens() != null)
                {
                    // The block's own lines are still read, into a block that goes nowhere.
                    truncate(index + 1);
                    stack.add(command.opens().detachedFrame(line.words(match.consumed() + 1), line));
                }
                return problem;
            }
        }

        @SuppressWarnings("unchecked")
        private <B> void runData(final Mode.Frame<?> frame, final ConfigLine line)
        {
            ((Mode<B>)frame.mode()).data.accept(line, (B)frame.block());
        }

        private static boolean isHex(final ConfigLine line)
        {
            return line.tokens.stream().allMatch(t -> t.text().chars().allMatch(c -> Character.digit(c, 16) >= 0));
        }

        private boolean knownOutside(final ConfigLine line)
        {
            for (final Mode.Frame<?> frame : stack)
            {
                if (frame.mode().data == null && !frame.mode().swallow && frame.mode().match(line.tokens).command() != null)
                {
                    return true;
                }
            }
            return false;
        }

        private ConfigProblem unknown(final ConfigLine line, final Mode.Match<?> best, final List<String> expected)
        {
            final int depth = best == null ? 0 : best.depth();
            if (depth == 0)
            {
                if (best != null && best.ambiguous())
                {
                    final ConfigLine.Token token = line.token(0);
                    return Args.problem(token, "'" + token.text() + "' is ambiguous; expected one of " +
                        String.join(", ", expected));
                }
                return unknownCommand(line);
            }
            final String before = line.words(depth);
            if (depth >= line.size())
            {
                return new ConfigProblem(line.endColumn(), "missing a keyword after '" + before + "'; expected " +
                    String.join(", ", expected));
            }
            final ConfigLine.Token token = line.token(depth);
            return Args.problem(token, "'" + token.text() + "' is " + (best.ambiguous() ? "ambiguous" :
                "not a command") + " after '" + before + "'; expected " + (best.ambiguous() ? "one of " : "") +
                String.join(", ", expected));
        }

        private ConfigProblem unknownCommand(final ConfigLine line)
        {
            final ConfigLine.Token token = line.token(0);
            final String word = token.text();
            final List<Mode<?>> owners = new ArrayList<>();
            for (final Mode<?> mode : grammar.modes())
            {
                if (mode != grammar.global && mode.knowsFirstWord(word) &&
                    stack.stream().noneMatch(f -> f.mode() == mode))
                {
                    owners.add(mode);
                }
            }
            Mode.Frame<?> inner = null;
            for (final Mode.Frame<?> frame : stack)
            {
                if (frame.mode() != grammar.global && !frame.mode().swallow)
                {
                    inner = frame;
                }
            }
            if (!owners.isEmpty())
            {
                final List<String> names = owners.stream().map(m -> m.name).toList();
                final List<String> entries = owners.stream().map(m -> "'" + m.entry + "'").toList();
                return Args.problem(token, "'" + word + "' belongs in " + Grammar.orList(names) + " blocks" +
                    (inner != null ? ", not in " + inner.title() + " (line " + inner.line().number + ")" : "") +
                    "; expected it after " + Grammar.orList(entries));
            }
            final List<String> globalWords = firstWords(grammar.global);
            if (inner == null)
            {
                return Args.problem(token, "'" + word + "' is not a command; expected " + String.join(", ", globalWords));
            }
            return Args.problem(token, "'" + word + "' is not a command; expected " + Grammar.article(inner.mode().name) +
                " command (" + String.join(", ", firstWords(inner.mode())) + ") or a global command (" +
                String.join(", ", globalWords) + ")");
        }

        private static List<String> firstWords(final Mode<?> mode)
        {
            final Set<String> words = new LinkedHashSet<>();
            for (final Mode.Command<?> command : mode.commands)
            {
                if (command.listed())
                {
                    words.add(command.path()[0]);
                }
            }
            return List.copyOf(words);
        }
    }
}
