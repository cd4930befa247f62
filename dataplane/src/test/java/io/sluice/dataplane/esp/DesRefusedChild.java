package io.sluice.dataplane.esp;

/**
 * Run in a child JVM by {@link EspDesTest} with a {@code java.security} override: builds a DES SA
 * and a 3DES SA and prints what happened, one line each.
 */
public final class DesRefusedChild
{
    private DesRefusedChild()
    {
    }

    public static void main(final String[] args)
    {
        for (final EspEncryption e : new EspEncryption[] {EspEncryption.DES_CBC, EspEncryption.DES3_CBC})
        {
            try
            {
                SecurityAssociation.builder().inbound().spi(0x1000).encryption(e, new byte[e.keyLength()])
                    .integrity(EspIntegrity.HMAC_SHA1_96, new byte[20]).build().destroy();
                System.out.println(e + " ACCEPTED");
            }
            catch (final IllegalArgumentException x)
            {
                System.out.println(e + " REFUSED " + x.getMessage());
            }
        }
    }
}
