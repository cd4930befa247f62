package io.sluice.controlplane.ike.v1;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PayloadCodecTest
{
    private static final HexFormat HEX = HexFormat.of();

    private static Payload.Sa phase1Sa()
    {
        return new Payload.Sa(Ikev1.DOI_IPSEC, Ikev1.SIT_IDENTITY_ONLY, List.of(new Payload.Proposal(1,
            Ikev1.PROTO_ISAKMP, new byte[0], List.of(
                new Payload.Transform(1, Ikev1.KEY_IKE, List.of(Payload.Attribute.basic(1, 7),
                    Payload.Attribute.basic(14, 128), Payload.Attribute.number(12, 86400))),
                new Payload.Transform(2, Ikev1.KEY_IKE, List.of(Payload.Attribute.basic(1, 5)))))));
    }

    private static List<Payload> everyPayload()
    {
        return List.of(phase1Sa(),
            new Payload.KeyExchange(new byte[]{1, 2, 3}),
            new Payload.Nonce(new byte[16]),
            new Payload.Identification(Ikev1.ID_IPV4_ADDR, 17, 500, new byte[]{10, 0, 0, 1}),
            new Payload.Hash(new byte[20]),
            new Payload.Notify(1, 1, Ikev1.R_U_THERE, new byte[16], new byte[]{0, 0, 0, 7}),
            new Payload.Delete(1, 3, 4, List.of(new byte[]{1, 2, 3, 4}, new byte[]{5, 6, 7, 8})),
            new Payload.VendorId(Ikev1Engine.VID_DPD),
            new Payload.NatD(Ikev1.PAYLOAD_NAT_D, new byte[20]),
            new Payload.NatOa(Ikev1.PAYLOAD_NAT_OA, Ikev1.ID_IPV4_ADDR, new byte[]{10, 0, 0, 2}));
    }

    /** A whole message: header then payloads. */
    private static byte[] message(final List<Payload> payloads)
    {
        final byte[] body = PayloadCodec.encode(payloads);
        final IsakmpHeader h = new IsakmpHeader(0x1122334455667788L, 0, payloads.get(0).type(), Ikev1.EXCHANGE_MAIN, 0,
            0, Ikev1.HEADER_LENGTH + body.length);
        final byte[] d = new byte[h.length()];
        h.write(d);
        System.arraycopy(body, 0, d, Ikev1.HEADER_LENGTH, body.length);
        return d;
    }

    private static PayloadCodec.Chain parse(final byte[] d)
    {
        final IsakmpHeader h = IsakmpHeader.parse(d, d.length);
        return PayloadCodec.parse(h.nextPayload(), d, Ikev1.HEADER_LENGTH, d.length, false);
    }

    @Test
    void everyPayloadTypeRoundTrips()
    {
        final byte[] d = message(everyPayload());
        final PayloadCodec.Chain chain = parse(d);
        assertEquals(10, chain.payloads().size());
        final Payload.Sa sa = (Payload.Sa)chain.payloads().get(0);
        assertEquals(2, sa.proposals().get(0).transforms().size());
        final Payload.Transform t = sa.proposals().get(0).transforms().get(0);
        assertEquals(128, t.attribute(14).longValue());
        assertEquals(86400, t.attribute(12).longValue());
        assertTrue(!t.attribute(12).basic() && t.attribute(14).basic());
        final Payload.Identification id = (Payload.Identification)chain.payloads().get(3);
        assertEquals(500, id.port());
        assertArrayEquals(new byte[]{10, 0, 0, 1}, id.data());
        final Payload.Notify n = (Payload.Notify)chain.payloads().get(5);
        assertEquals(Ikev1.R_U_THERE, n.notifyType());
        assertEquals(16, n.spi().length);
        assertArrayEquals(new byte[]{0, 0, 0, 7}, n.data());
        final Payload.Delete del = (Payload.Delete)chain.payloads().get(6);
        assertArrayEquals(new byte[]{5, 6, 7, 8}, del.spis().get(1));
        assertInstanceOf(Payload.NatOa.class, chain.payloads().get(9));
        // re-encoding what was parsed gives the same bytes, and body() gives SAi_b as received
        assertArrayEquals(d, message(chain.payloads()));
        assertArrayEquals(PayloadCodec.encodeBody(phase1Sa()), chain.body(0));
    }

    @Test
    void saPayloadHasTheRfc2408Layout()
    {
        final Payload.Sa sa = new Payload.Sa(1, 1, List.of(new Payload.Proposal(1, 1, new byte[0], List.of(
            new Payload.Transform(1, 1, List.of(Payload.Attribute.basic(1, 5), Payload.Attribute.number(12, 86400)))))));
        // DOI, situation; proposal: next 0, len 28, #1, ISAKMP, spi 0, 1 transform;
        // transform: next 0, len 20, #1, KEY_IKE, 0, 0; attr 0x8001=5; attr 12 TLV len 4 = 0x00015180
        assertEquals("0000000100000001" + "0000001c01010001" + "0000001401010000" + "80010005" + "000c000400015180",
            HEX.formatHex(PayloadCodec.encodeBody(sa)));
    }

    @Test
    void everyTruncationIsRejectedWithAReason()
    {
        final byte[] d = message(everyPayload());
        for (int n = 0; n < d.length; n++)
        {
            final byte[] cut = Arrays.copyOf(d, n);
            final Ikev1Exception e = assertThrows(Ikev1Exception.class, () -> parse(cut), "length " + n);
            assertTrue(e.getMessage() != null && !e.getMessage().isBlank());
        }
        // a truncated datagram whose header length is patched to match: the payload chain runs out
        for (int n = Ikev1.HEADER_LENGTH; n < d.length; n++)
        {
            final byte[] cut = Arrays.copyOf(d, n);
            cut[24] = (byte)(n >>> 24);
            cut[25] = (byte)(n >>> 16);
            cut[26] = (byte)(n >>> 8);
            cut[27] = (byte)n;
            assertThrows(Ikev1Exception.class, () -> parse(cut), "patched length " + n);
        }
    }

    @Test
    void lyingLengthsAndCountsAreRejected()
    {
        final byte[] good = message(List.of(phase1Sa(), new Payload.Nonce(new byte[16])));
        parse(good);
        // the SA payload claims to run past the datagram
        final byte[] longSa = good.clone();
        longSa[Ikev1.HEADER_LENGTH + 3] = (byte)0xf0;
        assertEquals(Ikev1.PAYLOAD_MALFORMED, assertThrows(Ikev1Exception.class, () -> parse(longSa)).notifyType());
        // a payload length below the generic header
        final byte[] tiny = good.clone();
        tiny[Ikev1.HEADER_LENGTH + 2] = 0;
        tiny[Ikev1.HEADER_LENGTH + 3] = 3;
        assertThrows(Ikev1Exception.class, () -> parse(tiny));
        // the proposal says 3 transforms, has 2
        final byte[] count = good.clone();
        count[Ikev1.HEADER_LENGTH + 4 + 8 + 7] = 3;
        assertTrue(assertThrows(Ikev1Exception.class, () -> parse(count)).getMessage().contains("transforms"));
        // the header length disagrees with the datagram
        final byte[] header = Arrays.copyOf(good, good.length + 4);
        assertThrows(Ikev1Exception.class, () -> parse(header));
        // a nonce of 4 bytes
        assertThrows(Ikev1Exception.class, () -> parse(message(List.of(new Payload.Nonce(new byte[4])))));
        // delete: 3 SPIs announced, 2 present
        final byte[] del = message(List.of(new Payload.Delete(1, 3, 4, List.of(new byte[4], new byte[4]))));
        del[Ikev1.HEADER_LENGTH + 4 + 7] = 3;
        assertThrows(Ikev1Exception.class, () -> parse(del));
        // notify SPI size beyond the payload
        final byte[] notify = message(List.of(new Payload.Notify(1, 1, 14, new byte[0], new byte[0])));
        notify[Ikev1.HEADER_LENGTH + 4 + 5] = 16;
        assertThrows(Ikev1Exception.class, () -> parse(notify));
    }

    @Test
    void headerProblemsAreNamed()
    {
        final byte[] good = message(List.of(new Payload.VendorId(new byte[16])));
        final byte[] v2 = good.clone();
        v2[17] = 0x20;
        assertEquals(Ikev1.INVALID_MAJOR_VERSION, assertThrows(Ikev1Exception.class, () -> parse(v2)).notifyType());
        final byte[] flags = good.clone();
        flags[19] = (byte)0x80;
        assertEquals(Ikev1.INVALID_FLAGS, assertThrows(Ikev1Exception.class, () -> parse(flags)).notifyType());
        final byte[] unknown = good.clone();
        unknown[16] = 99;
        assertEquals(Ikev1.INVALID_PAYLOAD_TYPE, assertThrows(Ikev1Exception.class, () -> parse(unknown)).notifyType());
        final byte[] trailing = Arrays.copyOf(good, good.length + 3);
        trailing[27] = (byte)trailing.length;
        assertTrue(assertThrows(Ikev1Exception.class, () -> parse(trailing)).getMessage().contains("after the last"));
    }

    @Test
    void randomCorruptionNeverEscapesAsAnythingButIkev1Exception()
    {
        final byte[] good = message(everyPayload());
        final Random random = new Random(7);
        for (int i = 0; i < 20_000; i++)
        {
            final byte[] d = good.clone();
            final int flips = 1 + random.nextInt(4);
            for (int f = 0; f < flips; f++)
            {
                d[Ikev1.HEADER_LENGTH + random.nextInt(d.length - Ikev1.HEADER_LENGTH)] = (byte)random.nextInt(256);
            }
            try
            {
                final PayloadCodec.Chain chain = parse(d);
                for (final Payload p : chain.payloads())
                {
                    if (p instanceof Payload.Sa sa)
                    {
                        sa.proposals().forEach(pr -> pr.transforms().forEach(t -> t.attributes().forEach(a -> {
                            try
                            {
                                a.longValue();
                            }
                            catch (final Ikev1Exception ignored)
                            {
                                // too long a value: a clean rejection
                            }
                        })));
                    }
                }
            }
            catch (final Ikev1Exception expected)
            {
                // rejected with a reason
            }
        }
    }
}
