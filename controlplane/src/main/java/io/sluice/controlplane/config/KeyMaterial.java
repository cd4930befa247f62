package io.sluice.controlplane.config;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * Key bytes given in hexadecimal: a manual SA's cipher or authenticator key (secret), or a peer's
 * RSA public key (not secret, but long). {@link #toString()} gives the length only.
 */
public final class KeyMaterial
{
    private final byte[] bytes;

    public KeyMaterial(final byte[] bytes)
    {
        this.bytes = bytes.clone();
    }

    /** Hex digits, either case, even in number. */
    public static KeyMaterial ofHex(final String hex)
    {
        return new KeyMaterial(HexFormat.of().parseHex(hex));
    }

    public int length()
    {
        return bytes.length;
    }

    /** A copy: callers may wipe it once they have handed it on. */
    public byte[] bytes()
    {
        return bytes.clone();
    }

    /** Lower-case hex, for the running configuration only. */
    public String hex()
    {
        return HexFormat.of().formatHex(bytes);
    }

    @Override
    public boolean equals(final Object other)
    {
        return other instanceof KeyMaterial that && Arrays.equals(bytes, that.bytes);
    }

    @Override
    public int hashCode()
    {
        return Arrays.hashCode(bytes);
    }

    @Override
    public String toString()
    {
        return "<" + bytes.length + "-byte key>";
    }
}
