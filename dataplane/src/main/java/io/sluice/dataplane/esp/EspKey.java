package io.sluice.dataplane.esp;

import java.io.NotSerializableException;
import java.io.ObjectOutputStream;
import java.io.Serial;
import java.util.Arrays;
import javax.crypto.SecretKey;

/**
 * Key bytes handed to a JCE Cipher. Unlike {@code SecretKeySpec}, whose copy nobody outside the
 * JDK can wipe, {@link #destroy()} zeroes the only long-lived copy; the providers wipe the copies
 * {@link #getEncoded()} gives them once they have expanded the key.
 */
final class EspKey implements SecretKey
{
    @Serial
    private static final long serialVersionUID = 1L;

    private final String algorithm;
    private final byte[] key;
    private volatile boolean destroyed;

    EspKey(final String algorithm, final byte[] key, final int offset, final int length)
    {
        this.algorithm = algorithm;
        this.key = Arrays.copyOfRange(key, offset, offset + length);
    }

    @Override
    public String getAlgorithm()
    {
        return algorithm;
    }

    @Override
    public String getFormat()
    {
        return "RAW";
    }

    @Override
    public byte[] getEncoded()
    {
        return key.clone();
    }

    @Override
    public void destroy()
    {
        Arrays.fill(key, (byte)0);
        destroyed = true;
    }

    @Override
    public boolean isDestroyed()
    {
        return destroyed;
    }

    @Serial
    private void writeObject(final ObjectOutputStream out) throws NotSerializableException
    {
        throw new NotSerializableException("ESP keys are not serialized");
    }

    @Override
    public String toString()
    {
        return algorithm + " key (" + key.length + " bytes)";
    }
}
