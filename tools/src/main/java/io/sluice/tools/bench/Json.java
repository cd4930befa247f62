package io.sluice.tools.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Just enough JSON for the bench: quoting strings it writes, and reading documents other tools
 * write (JMH's {@code -rf json}, the bench's own result files) into maps, lists, strings, doubles,
 * booleans and null. NaN and Infinity, bare or quoted, read as doubles (JMH writes them).
 */
final class Json
{
    private final String s;
    private int i;

    private Json(final String s)
    {
        this.s = s;
    }

    static String quote(final String text)
    {
        final StringBuilder sb = new StringBuilder(text.length() + 2).append('"');
        for (int k = 0; k < text.length(); k++)
        {
            final char c = text.charAt(k);
            switch (c)
            {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default ->
                {
                    if (c < 0x20)
                    {
                        sb.append(String.format("\\u%04x", (int)c));
                    }
                    else
                    {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }

    static Object parse(final String text)
    {
        final Json p = new Json(text);
        final Object v = p.value();
        p.space();
        if (p.i != text.length())
        {
            throw p.error("trailing text");
        }
        return v;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> object(final Object v)
    {
        return v instanceof Map<?, ?> m ? (Map<String, Object>)m : Map.of();
    }

    @SuppressWarnings("unchecked")
    static List<Object> array(final Object v)
    {
        return v instanceof List<?> l ? (List<Object>)l : List.of();
    }

    static double number(final Object v)
    {
        if (v instanceof Double d)
        {
            return d;
        }
        if (v instanceof String t)
        {
            try
            {
                return Double.parseDouble(t);
            }
            catch (final NumberFormatException e)
            {
                return Double.NaN;
            }
        }
        return Double.NaN;
    }

    private Object value()
    {
        space();
        if (i >= s.length())
        {
            throw error("unexpected end");
        }
        final char c = s.charAt(i);
        return switch (c)
        {
            case '{' -> readObject();
            case '[' -> readArray();
            case '"' -> readString();
            case 't' -> word("true", Boolean.TRUE);
            case 'f' -> word("false", Boolean.FALSE);
            case 'n' -> word("null", null);
            case 'N' -> word("NaN", Double.NaN);
            case 'I' -> word("Infinity", Double.POSITIVE_INFINITY);
            default -> readNumber();
        };
    }

    private Map<String, Object> readObject()
    {
        final Map<String, Object> m = new LinkedHashMap<>();
        i++;
        space();
        if (peek() == '}')
        {
            i++;
            return m;
        }
        while (true)
        {
            space();
            if (peek() != '"')
            {
                throw error("expected a key");
            }
            final String key = readString();
            space();
            if (peek() != ':')
            {
                throw error("expected ':'");
            }
            i++;
            m.put(key, value());
            space();
            final char c = peek();
            i++;
            if (c == '}')
            {
                return m;
            }
            if (c != ',')
            {
                throw error("expected ',' or '}'");
            }
        }
    }

    private List<Object> readArray()
    {
        final List<Object> l = new ArrayList<>();
        i++;
        space();
        if (peek() == ']')
        {
            i++;
            return l;
        }
        while (true)
        {
            l.add(value());
            space();
            final char c = peek();
            i++;
            if (c == ']')
            {
                return l;
            }
            if (c != ',')
            {
                throw error("expected ',' or ']'");
            }
        }
    }

    private String readString()
    {
        final StringBuilder sb = new StringBuilder();
        i++;
        while (i < s.length())
        {
            final char c = s.charAt(i++);
            if (c == '"')
            {
                return sb.toString();
            }
            if (c != '\\')
            {
                sb.append(c);
                continue;
            }
            final char e = s.charAt(i++);
            switch (e)
            {
                case 'n' -> sb.append('\n');
                case 't' -> sb.append('\t');
                case 'r' -> sb.append('\r');
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case 'u' ->
                {
                    sb.append((char)Integer.parseInt(s.substring(i, i + 4), 16));
                    i += 4;
                }
                default -> sb.append(e);
            }
        }
        throw error("unterminated string");
    }

    private Double readNumber()
    {
        final int start = i;
        while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0)
        {
            i++;
        }
        if (start == i)
        {
            throw error("unexpected '" + s.charAt(i) + "'");
        }
        return Double.parseDouble(s.substring(start, i));
    }

    private Object word(final String w, final Object v)
    {
        if (!s.startsWith(w, i))
        {
            throw error("expected " + w);
        }
        i += w.length();
        return v;
    }

    private char peek()
    {
        if (i >= s.length())
        {
            throw error("unexpected end");
        }
        return s.charAt(i);
    }

    private void space()
    {
        while (i < s.length() && Character.isWhitespace(s.charAt(i)))
        {
            i++;
        }
    }

    private BenchException error(final String what)
    {
        return new BenchException("bad JSON at offset " + i + ": " + what);
    }
}
