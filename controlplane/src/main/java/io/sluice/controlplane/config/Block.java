package io.sluice.controlplane.config;

import java.util.HashMap;
import java.util.Map;

/**
 * What a block of lines writes into. Remembers where each single-valued setting was made: a file
 * sets each once (IOS would silently take the last, which in a file is nearly always a mistake).
 */
abstract class Block
{
    private final Map<String, Where> seen = new HashMap<>();

    /**
     * Records that the setting is made here.
     *
     * @throws ConfigProblem if the block already made it.
     */
    void once(final String setting, final Args args)
    {
        final Where here = new Where(args.line(), args.line().token(0).column());
        final Where before = seen.putIfAbsent(setting, here);
        if (before != null)
        {
            throw new ConfigProblem(here.column(), "'" + setting + "' is already set in this block (" +
                before.lineText() + "); expected it once");
        }
    }
}
