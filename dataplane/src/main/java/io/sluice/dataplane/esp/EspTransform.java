package io.sluice.dataplane.esp;

import java.lang.foreign.MemorySegment;

/**
 * One SA's cryptography on one worker: the cipher and MAC state kept across packets. The codec
 * lays out the packet and calls {@link #seal} or {@link #open}; the transform writes the IV and
 * the ICV and en- or decrypts in place. Offsets: the ESP header at {@code esp} (8 bytes: SPI and
 * sequence number, already written on seal), the IV right after it ({@link EspEncryption#ivLength}
 * bytes), then the payload of {@code payloadLength} bytes (data, padding, pad length, next header:
 * a multiple of the block size), then the ICV ({@link SecurityAssociation#icvLength} bytes).
 * <p>
 * Neither call allocates beyond what the provider itself does, and neither throws.
 */
public interface EspTransform
{
    /** The SA this transform serves (an engine checks it to tell a recycled SA index from its own). */
    SecurityAssociation sa();

    /**
     * Writes the IV, encrypts the payload in place and writes the ICV over the ESP header, IV,
     * ciphertext and, with ESN, the high 32 bits of {@code sequence}.
     *
     * @return false if the provider failed (the packet must not be sent)
     */
    boolean seal(MemorySegment m, long esp, int payloadLength, long sequence);

    /**
     * Verifies the ICV (with ESN, over the high 32 bits of {@code sequence} too) and only then
     * decrypts the payload in place. The IV bytes may be overwritten.
     *
     * @return {@link EspStatus#OK}, {@link EspStatus#ICV_FAILURE} or {@link EspStatus#CRYPTO_ERROR}
     */
    int open(MemorySegment m, long esp, int payloadLength, long sequence);

    /** Overwrites what this transform holds of the keys. Control path, once no worker uses the SA. */
    void destroy();
}
