package io.sluice.tools.bench;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The one-line JSON objects the forwarders and the generator print: flat, keys to numbers (or
 * strings). Just enough of a parser for those; anything nested is rejected.
 */
final class FlatJson
{
    private final Map<String, String> values;
    private final String text;

    private FlatJson(final Map<String, String> values, final String text)
    {
        this.values = values;
        this.text = text;
    }

    static FlatJson parse(final String text)
    {
        final Map<String, String> values = new LinkedHashMap<>();
        final String s = text.trim();
        if (!s.startsWith("{") || !s.endsWith("}"))
        {
            throw new BenchException("not a JSON object: " + text);
        }
        int i = 1;
        final int end = s.length() - 1;
        while (i < end)
        {
            i = skipSpace(s, i);
            if (i >= end)
            {
                break;
            }
            if (s.charAt(i) != '"')
            {
                throw new BenchException("bad JSON at " + i + ": " + text);
            }
            final int keyEnd = s.indexOf('"', i + 1);
            final String key = s.substring(i + 1, keyEnd);
            i = skipSpace(s, keyEnd + 1);
            if (s.charAt(i) != ':')
            {
                throw new BenchException("bad JSON at " + i + ": " + text);
            }
            i = skipSpace(s, i + 1);
            final String value;
            if (s.charAt(i) == '"')
            {
                final int valueEnd = s.indexOf('"', i + 1);
                value = s.substring(i + 1, valueEnd);
                i = valueEnd + 1;
            }
            else
            {
                int j = i;
                while (j < end && s.charAt(j) != ',')
                {
                    j++;
                }
                value = s.substring(i, j).trim();
                if (value.startsWith("{") || value.startsWith("["))
                {
                    throw new BenchException("nested JSON not expected: " + text);
                }
                i = j;
            }
            values.put(key, value);
            i = skipSpace(s, i);
            if (i < end && s.charAt(i) == ',')
            {
                i++;
            }
        }
        return new FlatJson(values, s);
    }

    private static int skipSpace(final String s, final int from)
    {
        int i = from;
        while (i < s.length() && Character.isWhitespace(s.charAt(i)))
        {
            i++;
        }
        return i;
    }

    long getLong(final String key)
    {
        final String v = values.get(key);
        if (v == null)
        {
            throw new BenchException("result has no \"" + key + "\": " + text);
        }
        try
        {
            return Long.parseLong(v);
        }
        catch (final NumberFormatException e)
        {
            return (long)Double.parseDouble(v);
        }
    }

    long getLong(final String key, final long otherwise)
    {
        return values.containsKey(key) ? getLong(key) : otherwise;
    }

    double getDouble(final String key)
    {
        final String v = values.get(key);
        if (v == null)
        {
            throw new BenchException("result has no \"" + key + "\": " + text);
        }
        return Double.parseDouble(v);
    }

    /** A value as text (a string's contents), or null when absent. */
    String getString(final String key)
    {
        return values.get(key);
    }

    boolean has(final String key)
    {
        return values.containsKey(key);
    }

    @Override
    public String toString()
    {
        return text;
    }
}
