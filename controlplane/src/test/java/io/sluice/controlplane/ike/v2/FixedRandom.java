package io.sluice.controlplane.ike.v2;

import java.security.SecureRandom;

/** A SecureRandom that hands out one fixed byte string, repeated: for known-answer tests only. */
final class FixedRandom extends SecureRandom
{
    private final byte[] bytes;
    private int at;

    FixedRandom(final byte[] bytes)
    {
        this.bytes = bytes.clone();
    }

    @Override
    public void nextBytes(final byte[] out)
    {
        for (int i = 0; i < out.length; i++)
        {
            out[i] = bytes[at++ % bytes.length];
        }
    }
}
