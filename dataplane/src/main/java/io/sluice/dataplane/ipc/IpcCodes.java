package io.sluice.dataplane.ipc;

import io.sluice.dataplane.esp.EspEncryption;
import io.sluice.dataplane.esp.EspIntegrity;
import io.sluice.dataplane.esp.SecurityAssociation.DfBit;
import io.sluice.dataplane.esp.SecurityAssociation.Direction;
import io.sluice.dataplane.esp.SecurityAssociation.Mode;
import io.sluice.dataplane.ipc.codecs.EncryptionAlgorithm;
import io.sluice.dataplane.ipc.codecs.IntegrityAlgorithm;
import io.sluice.dataplane.ipc.codecs.L2tpEncapsulation;
import io.sluice.dataplane.ipc.codecs.SaDirection;
import io.sluice.dataplane.ipc.codecs.SaMode;
import io.sluice.dataplane.l2tp.L2tpSession.Encapsulation;

/**
 * Between the wire's enums (generated from the schema) and the dataplane's own. Decoding goes
 * through tables indexed by the raw value, so an unknown value is a null (the adapter counts the
 * message as malformed) instead of the generated {@code get}'s exception. The tables are built
 * by name at class load: an algorithm added to {@link EspEncryption} without a schema value fails
 * here, loudly, before any message is sent.
 */
final class IpcCodes
{
    private static final Direction[] DIRECTIONS = new Direction[256];
    private static final Mode[] MODES = new Mode[256];
    private static final EspEncryption[] ENCRYPTIONS = new EspEncryption[256];
    private static final EspIntegrity[] INTEGRITIES = new EspIntegrity[256];
    private static final DfBit[] DF_BITS = new DfBit[256];
    private static final Encapsulation[] ENCAPSULATIONS = new Encapsulation[256];

    private static final EncryptionAlgorithm[] TO_ENCRYPTION = new EncryptionAlgorithm[EspEncryption.values().length];
    private static final IntegrityAlgorithm[] TO_INTEGRITY = new IntegrityAlgorithm[EspIntegrity.values().length];
    private static final io.sluice.dataplane.ipc.codecs.DfBit[] TO_DF_BIT =
        new io.sluice.dataplane.ipc.codecs.DfBit[DfBit.values().length];

    static
    {
        DIRECTIONS[SaDirection.INBOUND.value()] = Direction.INBOUND;
        DIRECTIONS[SaDirection.OUTBOUND.value()] = Direction.OUTBOUND;
        MODES[SaMode.TUNNEL.value()] = Mode.TUNNEL;
        MODES[SaMode.TRANSPORT.value()] = Mode.TRANSPORT;
        ENCAPSULATIONS[L2tpEncapsulation.IP.value()] = Encapsulation.IP;
        ENCAPSULATIONS[L2tpEncapsulation.UDP.value()] = Encapsulation.UDP;
        for (final EspEncryption e : EspEncryption.values())
        {
            final EncryptionAlgorithm wire = EncryptionAlgorithm.valueOf(e.name());
            TO_ENCRYPTION[e.ordinal()] = wire;
            ENCRYPTIONS[wire.value()] = e;
        }
        for (final EspIntegrity i : EspIntegrity.values())
        {
            final IntegrityAlgorithm wire = IntegrityAlgorithm.valueOf(i.name());
            TO_INTEGRITY[i.ordinal()] = wire;
            INTEGRITIES[wire.value()] = i;
        }
        for (final DfBit d : DfBit.values())
        {
            final io.sluice.dataplane.ipc.codecs.DfBit wire = io.sluice.dataplane.ipc.codecs.DfBit.valueOf(d.name());
            TO_DF_BIT[d.ordinal()] = wire;
            DF_BITS[wire.value()] = d;
        }
    }

    private IpcCodes()
    {
    }

    static Direction direction(final short raw)
    {
        return DIRECTIONS[raw & 0xff];
    }

    static SaDirection direction(final Direction direction)
    {
        return direction == Direction.INBOUND ? SaDirection.INBOUND : SaDirection.OUTBOUND;
    }

    static Mode mode(final short raw)
    {
        return MODES[raw & 0xff];
    }

    static SaMode mode(final Mode mode)
    {
        return mode == Mode.TUNNEL ? SaMode.TUNNEL : SaMode.TRANSPORT;
    }

    static EspEncryption encryption(final short raw)
    {
        return ENCRYPTIONS[raw & 0xff];
    }

    static EncryptionAlgorithm encryption(final EspEncryption encryption)
    {
        return TO_ENCRYPTION[encryption.ordinal()];
    }

    static EspIntegrity integrity(final short raw)
    {
        return INTEGRITIES[raw & 0xff];
    }

    static IntegrityAlgorithm integrity(final EspIntegrity integrity)
    {
        return TO_INTEGRITY[integrity.ordinal()];
    }

    static DfBit dfBit(final short raw)
    {
        return DF_BITS[raw & 0xff];
    }

    static io.sluice.dataplane.ipc.codecs.DfBit dfBit(final DfBit dfBit)
    {
        return TO_DF_BIT[dfBit.ordinal()];
    }

    static Encapsulation encapsulation(final short raw)
    {
        return ENCAPSULATIONS[raw & 0xff];
    }

    static L2tpEncapsulation encapsulation(final Encapsulation encapsulation)
    {
        return encapsulation == Encapsulation.IP ? L2tpEncapsulation.IP : L2tpEncapsulation.UDP;
    }

    /** Wire booleans: 1 is true, anything else false. */
    static boolean bool(final short raw)
    {
        return raw == 1;
    }

    static io.sluice.dataplane.ipc.codecs.BooleanType bool(final boolean value)
    {
        return value ? io.sluice.dataplane.ipc.codecs.BooleanType.TRUE : io.sluice.dataplane.ipc.codecs.BooleanType.FALSE;
    }
}
