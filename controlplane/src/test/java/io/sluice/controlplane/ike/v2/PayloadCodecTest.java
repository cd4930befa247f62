package io.sluice.controlplane.ike.v2;

import io.sluice.controlplane.config.Ip4;
import io.sluice.controlplane.config.Ip4Subnet;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PayloadCodecTest
{
    private static final HexFormat HEX = HexFormat.of();

    private static List<Payload> everyPayload()
    {
        return List.of(
            new Payload.Sa(List.of(
                new Payload.Proposal(1, Ikev2.PROTO_IKE, new byte[0], List.of(
                    Payload.Transform.of(Ikev2.TRANSFORM_ENCR, Ikev2.ENCR_AES_GCM_16, 256),
                    Payload.Transform.of(Ikev2.TRANSFORM_PRF, Ikev2.PRF_HMAC_SHA2_256),
                    Payload.Transform.of(Ikev2.TRANSFORM_DH, 31))),
                new Payload.Proposal(2, Ikev2.PROTO_ESP, new byte[]{1, 2, 3, 4}, List.of(
                    Payload.Transform.of(Ikev2.TRANSFORM_ENCR, Ikev2.ENCR_AES_CBC, 128),
                    Payload.Transform.of(Ikev2.TRANSFORM_INTEG, Ikev2.AUTH_HMAC_SHA2_256_128),
                    Payload.Transform.of(Ikev2.TRANSFORM_ESN, Ikev2.ESN_NO))))),
            new Payload.KeyExchange(19, new byte[64]),
            new Payload.Nonce(new byte[32]),
            new Payload.Identification(Ikev2.PAYLOAD_IDI, Ikev2.ID_FQDN, "gw.example.net".getBytes()),
            new Payload.Identification(Ikev2.PAYLOAD_IDR, Ikev2.ID_IPV4_ADDR, new byte[]{10, 0, 0, 2}),
            new Payload.Auth(Ikev2.AUTH_SHARED_KEY_MIC, new byte[32]),
            new Payload.Notify(Ikev2.PROTO_ESP, new byte[]{9, 9, 9, 9}, Ikev2.REKEY_SA, new byte[0]),
            Payload.Notify.of(Ikev2.NAT_DETECTION_SOURCE_IP, new byte[20]),
            Payload.Delete.ike(),
            Payload.Delete.esp(List.of(0x11223344L, 0xaabbccddL)),
            new Payload.VendorId("sluice".getBytes()),
            new Payload.TrafficSelectors(Ikev2.PAYLOAD_TSI, List.of(TrafficSelector.of(
                new Ip4Subnet(Ip4.parse("10.1.0.0"), 16)), new TrafficSelector(47, 0, 65535, Ip4.parse("10.0.0.1"),
                Ip4.parse("10.0.0.1")))),
            new Payload.TrafficSelectors(Ikev2.PAYLOAD_TSR, List.of(new TrafficSelector(17, 500, 500,
                Ip4.parse("10.2.0.0"), Ip4.parse("10.2.0.255")))),
            new Payload.Cert(4, new byte[]{0x30, 0x00}),
            new Payload.CertReq(4, new byte[20]),
            new Payload.Unknown(47, false, new byte[]{1, 2, 3}));
    }

    @Test
    void everyPayloadRoundTrips()
    {
        final List<Payload> payloads = everyPayload();
        final byte[] wire = PayloadCodec.encode(payloads);
        final PayloadCodec.Chain chain = PayloadCodec.parse(Ikev2.PAYLOAD_SA, wire, 0, wire.length, false);
        assertEquals(payloads.size(), chain.payloads().size());
        assertArrayEquals(wire, PayloadCodec.encode(chain.payloads()));
        final Payload.Sa sa = chain.first(Payload.Sa.class);
        assertEquals(256, sa.proposals().get(0).transforms().get(0).keyLength());
        assertArrayEquals(new byte[]{1, 2, 3, 4}, sa.proposals().get(1).spi());
        assertEquals("10.1.0.0/16", chain.selectors(Ikev2.PAYLOAD_TSI).selectors().get(0).toString());
        assertEquals("10.0.0.1/32 proto 47", chain.selectors(Ikev2.PAYLOAD_TSI).selectors().get(1).toString());
        assertEquals("10.2.0.0/24 proto 17 port 500", chain.selectors(Ikev2.PAYLOAD_TSR).selectors().get(0).toString());
        assertEquals("gw.example.net", chain.id(Ikev2.PAYLOAD_IDI).text());
        assertEquals("10.0.0.2", chain.id(Ikev2.PAYLOAD_IDR).text());
        assertEquals(2, chain.all(Payload.Delete.class).get(1).spis().size());
        assertTrue(chain.summary().startsWith("SA KE No IDi IDr AUTH N(REKEY_SA) N(NAT_DETECTION_SOURCE_IP) D D V TSi TSr"),
            chain.summary());
    }

    @Test
    void skEndsTheChainAndNamesItsFirstInnerPayload()
    {
        final byte[] wire = PayloadCodec.encode(List.of(Payload.Notify.of(Ikev2.COOKIE, new byte[8]),
            new Payload.Encrypted(Ikev2.PAYLOAD_IDI, new byte[40])));
        final PayloadCodec.Chain chain = PayloadCodec.parse(Ikev2.PAYLOAD_NOTIFY, wire, 0, wire.length, false);
        assertEquals(Ikev2.PAYLOAD_IDI, chain.encrypted().firstInner());
        assertEquals(40, chain.encrypted().body().length);
        final Ikev2Exception inner = assertThrows(Ikev2Exception.class,
            () -> PayloadCodec.parse(Ikev2.PAYLOAD_NOTIFY, wire, 0, wire.length, true));
        assertTrue(inner.getMessage().contains("SK payload inside SK"));
    }

    @Test
    void everyTruncationIsRejectedWithOurException()
    {
        final byte[] wire = PayloadCodec.encode(everyPayload());
        for (int n = 0; n < wire.length; n++)
        {
            final int length = n;
            final Ikev2Exception e = assertThrows(Ikev2Exception.class,
                () -> PayloadCodec.parse(Ikev2.PAYLOAD_SA, wire, 0, length, false), "truncated to " + n);
            assertEquals(Ikev2.INVALID_SYNTAX, e.notifyType());
        }
    }

    @Test
    void lyingLengthsCountsAndFlagsAreRejected()
    {
        // a proposal substructure that claims "more" after the last one
        final byte[] sa = PayloadCodec.encode(List.of(everyPayload().getFirst()));
        final byte[] lastMore = sa.clone();
        final int second = 4 + (((sa[6] & 0xff) << 8) | (sa[7] & 0xff));
        lastMore[second] = 2;
        assertMalformed(lastMore, "without a last proposal");
        // a transform count above what the proposal holds
        final byte[] count = sa.clone();
        count[4 + 7] = 9;
        assertMalformed(count, "transform");
        // a proposal number out of sequence
        final byte[] number = sa.clone();
        number[second + 4] = 5;
        assertMalformed(number, "proposal number 5");
        // trailing bytes after the last payload
        final byte[] trailing = Arrays.copyOf(sa, sa.length + 3);
        assertMalformed(trailing, "after the last payload");
        // a nonce too short
        final byte[] nonce = PayloadCodec.encode(List.of(new Payload.Nonce(new byte[8])));
        final Ikev2Exception e = assertThrows(Ikev2Exception.class,
            () -> PayloadCodec.parse(Ikev2.PAYLOAD_NONCE, nonce, 0, nonce.length, false));
        assertTrue(e.getMessage().contains("nonce of 8 bytes"));
        // a delete whose SPI count disagrees with its length
        final byte[] del = PayloadCodec.encode(List.of(Payload.Delete.esp(List.of(1L, 2L))));
        del[7] = 3;
        assertThrows(Ikev2Exception.class, () -> PayloadCodec.parse(Ikev2.PAYLOAD_DELETE, del, 0, del.length, false));
    }

    private static void assertMalformed(final byte[] wire, final String why)
    {
        final Ikev2Exception e = assertThrows(Ikev2Exception.class,
            () -> PayloadCodec.parse(Ikev2.PAYLOAD_SA, wire, 0, wire.length, false));
        assertTrue(e.getMessage().contains(why), e.getMessage());
    }

    @Test
    void anUnknownCriticalPayloadIsRefusedAndAnUnknownOtherSkipped()
    {
        final byte[] critical = PayloadCodec.encode(List.of(new Payload.Unknown(200, true, new byte[4])));
        final Ikev2Exception e = assertThrows(Ikev2Exception.class,
            () -> PayloadCodec.parse(200, critical, 0, critical.length, false));
        assertEquals(Ikev2.UNSUPPORTED_CRITICAL_PAYLOAD, e.notifyType());
        final byte[] plain = PayloadCodec.encode(List.of(new Payload.Unknown(200, false, new byte[4]),
            new Payload.Nonce(new byte[16])));
        final PayloadCodec.Chain chain = PayloadCodec.parse(200, plain, 0, plain.length, false);
        assertFalse(chain.all(Payload.Nonce.class).isEmpty());
    }

    @Test
    void headerRejectsShortWrongVersionAndLyingLength()
    {
        final byte[] h = new byte[Ikev2.HEADER_LENGTH];
        new Ikev2Header(1, 0, 0, Ikev2.IKE_SA_INIT, Ikev2.FLAG_INITIATOR, 0, h.length).write(h);
        assertEquals(Ikev2.IKE_SA_INIT, Ikev2Header.parse(h, h.length).exchange());
        assertThrows(Ikev2Exception.class, () -> Ikev2Header.parse(h, 20));
        final byte[] v1 = h.clone();
        v1[17] = 0x10;
        assertEquals(Ikev2.INVALID_MAJOR_VERSION, assertThrows(Ikev2Exception.class,
            () -> Ikev2Header.parse(v1, v1.length)).notifyType());
        final byte[] longer = Arrays.copyOf(h, h.length + 1);
        assertThrows(Ikev2Exception.class, () -> Ikev2Header.parse(longer, longer.length));
    }

    /** Random corruption of a valid chain: parse or throw Ikev2Exception, nothing else, ever. */
    @Test
    void randomCorruptionOnlyEverRaisesIkev2Exception()
    {
        final byte[] wire = PayloadCodec.encode(everyPayload());
        final Random random = new Random(7296);
        int rejected = 0;
        for (int round = 0; round < 50_000; round++)
        {
            final byte[] d = round % 5 == 0 ? Arrays.copyOf(wire, random.nextInt(wire.length + 8)) : wire.clone();
            final int flips = 1 + random.nextInt(6);
            for (int i = 0; i < flips && d.length > 0; i++)
            {
                d[random.nextInt(d.length)] = (byte)random.nextInt(256);
            }
            try
            {
                final PayloadCodec.Chain chain = PayloadCodec.parse(Ikev2.PAYLOAD_SA, d, 0, d.length, false);
                PayloadCodec.encode(chain.payloads());
                chain.summary();
            }
            catch (final Ikev2Exception e)
            {
                rejected++;
            }
        }
        assertTrue(rejected > 10_000, rejected + " rejected");
    }

    @Test
    void knownBytesOfAnIkeProposal()
    {
        final byte[] wire = PayloadCodec.encode(List.of(new Payload.Sa(List.of(new Payload.Proposal(1, Ikev2.PROTO_IKE,
            new byte[0], List.of(Payload.Transform.of(Ikev2.TRANSFORM_ENCR, Ikev2.ENCR_AES_CBC, 128),
            Payload.Transform.of(Ikev2.TRANSFORM_DH, 14)))))));
        // generic header, proposal (last, len 28, #1, IKE, SPI size 0, 2 transforms),
        // ENCR 12 with key length 128 (TV 0x800e), DH 14
        assertEquals("00000020" + "0000001c01010002" + "0300000c0100000c800e0080" + "0000000804000" + "00e",
            HEX.formatHex(wire));
    }
}
