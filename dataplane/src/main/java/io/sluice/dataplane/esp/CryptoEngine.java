package io.sluice.dataplane.esp;

/**
 * Where an {@link EspCodec} gets its cryptography: one engine per worker thread (engines are not
 * thread-safe), handing out one {@link EspTransform} per SA, made on the SA's first packet on that
 * worker and kept until the SA is destroyed. {@link JceCryptoEngine} (the JDK's JCE) is the
 * default; an engine over another library (a native one through FFM, say) implements the same.
 */
public interface CryptoEngine
{
    /** A short name for logs and {@code show} output. */
    String name();

    /**
     * This engine's transform for {@code sa}, made on first use. Returns null when it cannot be
     * made (the provider failed though the SA's algorithms were checked when it was built); the
     * codec then drops the packet as {@link EspStatus#CRYPTO_ERROR}. Worker thread; allocates only
     * on an SA's first packet.
     */
    EspTransform transform(SecurityAssociation sa);
}
