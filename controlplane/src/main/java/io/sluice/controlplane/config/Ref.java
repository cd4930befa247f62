package io.sluice.controlplane.config;

/**
 * A name used on a line, checked against the definitions once the whole file is read.
 *
 * @param name  the name as written (or canonicalised, for interfaces).
 * @param where the word's place.
 */
record Ref(String name, Where where)
{
    static Ref of(final ConfigLine line, final ConfigLine.Token token)
    {
        return new Ref(token.text(), Where.at(line, token));
    }
}
