package io.sluice.dataplane.esp;

import io.sluice.dataplane.esp.EspTesting.Suite;
import io.sluice.dataplane.esp.SecurityAssociation.Mode;
import io.sluice.dataplane.testing.Packets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import static io.sluice.dataplane.esp.EspTesting.PEER;
import static io.sluice.dataplane.esp.EspTesting.OURS;
import static io.sluice.dataplane.esp.EspTesting.hex;
import static io.sluice.dataplane.esp.EspTesting.udpPacket;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the codec does with good and bad packets, SA by SA. */
class EspCodecTest
{
    private static final long TWO_32 = 1L << 32;

    private final EspTesting t = new EspTesting();
    private final List<String> events = new ArrayList<>();

    @AfterEach
    void tearDown()
    {
        t.close();
    }

    private SecurityAssociation.Builder out(final Suite suite, final Mode mode)
    {
        return t.builder(suite, 0x1000, true, mode, 1).listener((sa, e) -> events.add("out " + EspEvents.names(e)));
    }

    private SecurityAssociation.Builder in(final Suite suite, final Mode mode)
    {
        return t.builder(suite, 0x1000, false, mode, 1).listener((sa, e) -> events.add("in " + EspEvents.names(e)));
    }

    private static Suite suite(final EspEncryption e, final EspIntegrity i)
    {
        return new Suite(e, i);
    }

    private static final Suite GCM = suite(EspEncryption.AES_GCM_128, EspIntegrity.NONE);
    private static final Suite CBC = suite(EspEncryption.AES_CBC_128, EspIntegrity.HMAC_SHA1_96);
    private static final Suite NULL_SHA256 = suite(EspEncryption.NULL, EspIntegrity.HMAC_SHA256_128);

    private static int u16(final byte[] b, final int at)
    {
        return Packets.u16(b, at);
    }

    // ------------------------------------------------------------------ round trips

    @Test
    void roundTripsEverySuiteInTunnelAndTransportModeWithAndWithoutUdp()
    {
        for (final Suite suite : EspTesting.SUITES)
        {
            for (final Mode mode : Mode.values())
            {
                for (final boolean udp : new boolean[] {false, true})
                {
                    final SecurityAssociation.Builder ob = out(suite, mode);
                    final SecurityAssociation.Builder ib = in(suite, mode);
                    if (udp)
                    {
                        ob.udpEncapsulation(4500, 14500);
                        ib.udpEncapsulation(14500, 4500);
                    }
                    final SecurityAssociation o = ob.build();
                    final SecurityAssociation i = ib.build();
                    final String what = suite + " " + mode + (udp ? " udp" : "");
                    int seq = 0;
                    for (final int size : new int[] {28, 29, 30, 31, 61, 100, 1000, 1400})
                    {
                        seq++;
                        final byte[] packet = udpPacket(size, 0, size);
                        final byte[] esp = t.encrypt(o, packet);
                        checkOuter(what + " " + size, esp, o, packet, seq);
                        assertEquals(hex(packet), hex(t.decryptOk(i, esp)), what + " " + size);
                    }
                    assertEquals(8, o.packets());
                    assertEquals(8, i.packets());
                    assertEquals(o.bytes(), i.bytes());
                    o.destroy();
                    i.destroy();
                }
            }
        }
    }

    /** The outer headers and the ESP framing, read with plain byte arithmetic. */
    private static void checkOuter(final String what, final byte[] esp, final SecurityAssociation sa, final byte[] inner,
        final int seq)
    {
        assertEquals(esp.length, u16(esp, 2), what + ": total length");
        assertEquals(0, Packets.checksum(esp, 0, 20), what + ": outer checksum");
        final boolean udp = sa.udpEncapsulation();
        assertEquals(udp ? 17 : 50, esp[9], what + ": protocol");
        if (sa.mode() == Mode.TUNNEL)
        {
            assertEquals(OURS, Packets.u32(esp, 12), what);
            assertEquals(PEER, Packets.u32(esp, 16), what);
            assertEquals(64, esp[8] & 0xff, what + ": outer TTL");
        }
        else
        {
            assertArrayEquals(Arrays.copyOfRange(inner, 12, 20), Arrays.copyOfRange(esp, 12, 20), what + ": addresses kept");
        }
        int at = 20;
        if (udp)
        {
            assertEquals(4500, u16(esp, 20), what);
            assertEquals(14500, u16(esp, 22), what);
            assertEquals(esp.length - 20, u16(esp, 24), what + ": UDP length");
            assertEquals(0, u16(esp, 26), what + ": UDP checksum 0 (RFC 3948 2.1)");
            at += 8;
        }
        assertEquals(0x1000, Packets.u32(esp, at), what + ": SPI");
        assertEquals(seq, Packets.u32(esp, at + 4), what + ": sequence number");
        final int encrypted = esp.length - at - 8 - sa.encryption().ivLength() - sa.icvLength();
        assertEquals(0, encrypted % sa.encryption().blockSize(), what + ": block aligned");
        final int data = sa.mode() == Mode.TUNNEL ? inner.length : inner.length - 20;
        assertTrue(encrypted - data - 2 < sa.encryption().blockSize(), what + ": minimal padding");
    }

    @Test
    void copiesDscpAndEcnToTheOuterHeaderAndAppliesTheDfBit()
    {
        final byte[] packet = udpPacket(100, 0xb9, 1);
        for (final SecurityAssociation.DfBit df : SecurityAssociation.DfBit.values())
        {
            final SecurityAssociation o = out(GCM, Mode.TUNNEL).dfBit(df).ttl(17).build();
            final byte[] esp = t.encrypt(o, packet);
            assertEquals(0xb9, esp[1] & 0xff, "DSCP EF and ECT(1) copied");
            assertEquals(17, esp[8]);
            final int expectedDf = df == SecurityAssociation.DfBit.CLEAR ? 0 : 0x4000;
            assertEquals(expectedDf, u16(esp, 6) & 0x4000, df.name());
            assertEquals(0, Packets.checksum(esp, 0, 20));
        }
    }

    @Test
    void outerCongestionMarkReachesAnEcnCapableInnerPacket()
    {
        final SecurityAssociation o = out(CBC, Mode.TUNNEL).build();
        final SecurityAssociation i = in(CBC, Mode.TUNNEL).build();
        final byte[] ect = udpPacket(100, 0x02, 1);
        final byte[] esp = t.encrypt(o, ect);
        esp[1] |= 3;
        final byte[] inner = t.decryptOk(i, esp);
        assertEquals(0x03, inner[1], "CE");
        assertEquals(0, Packets.checksum(inner, 0, 20));
        final byte[] notEct = udpPacket(100, 0x00, 2);
        final byte[] esp2 = t.encrypt(o, notEct);
        esp2[1] |= 3;
        assertArrayEquals(notEct, t.decryptOk(i, esp2), "a not-ECT inner packet is left alone");
    }

    // ------------------------------------------------------------------ anti-replay

    @Test
    void dropsReplayedAndTooOldSequenceNumbersAndCountsThem()
    {
        final SecurityAssociation o = out(GCM, Mode.TUNNEL).build();
        final SecurityAssociation i = in(GCM, Mode.TUNNEL).replayWindow(64).build();
        final List<byte[]> sent = new ArrayList<>();
        for (int n = 1; n <= 200; n++)
        {
            sent.add(t.encrypt(o, udpPacket(60, 0, n)));
        }
        t.decryptOk(i, sent.get(0));
        assertEquals(EspStatus.REPLAY, t.decrypt(i, sent.get(0)));
        t.decryptOk(i, sent.get(99));
        t.decryptOk(i, sent.get(50));
        assertEquals(EspStatus.REPLAY, t.decrypt(i, sent.get(50)));
        assertEquals(EspStatus.REPLAY, t.decrypt(i, sent.get(99)));
        assertEquals(EspStatus.OK, t.decrypt(i, sent.get(36)), "seq 37 = 100 - 63: the window's left edge");
        assertEquals(EspStatus.TOO_OLD, t.decrypt(i, sent.get(35)));
        assertEquals(EspStatus.TOO_OLD, t.decrypt(i, sent.get(1)));
        t.decryptOk(i, sent.get(199));
        assertEquals(EspStatus.TOO_OLD, t.decrypt(i, sent.get(100)));
        assertEquals(3, i.replayDrops());
        assertEquals(3, i.tooOldDrops());
        assertEquals(5, i.packets());
        assertEquals(200, i.window().top());
    }

    // ------------------------------------------------------------------ integrity

    @Test
    void everySingleBitFlipOfTheEspPartIsAnIcvFailureAndNothingIsDelivered()
    {
        final Suite[] suites = {GCM, suite(EspEncryption.CHACHA20_POLY1305, EspIntegrity.NONE), CBC,
            suite(EspEncryption.DES3_CBC, EspIntegrity.HMAC_MD5_96), NULL_SHA256};
        for (final Suite s : suites)
        {
            for (final boolean esn : new boolean[] {false, true})
            {
                final SecurityAssociation o = out(s, Mode.TUNNEL).esn(esn).initialSequence(esn ? 3 * TWO_32 + 2 : 2)
                    .build();
                final SecurityAssociation i = in(s, Mode.TUNNEL).esn(esn).initialSequence(esn ? 3 * TWO_32 : 0).build();
                final byte[] packet = udpPacket(28, 0, 9);
                final byte[] esp = t.encrypt(o, packet);
                final String what = s + (esn ? " esn" : "");
                int flips = 0;
                for (int bit = 20 * 8; bit < esp.length * 8; bit++)
                {
                    final byte[] bad = esp.clone();
                    bad[bit >>> 3] ^= (byte)(0x80 >>> (bit & 7));
                    final int status = t.decrypt(i, bad);
                    final int expected = bit < 24 * 8 ? EspStatus.SPI_MISMATCH : EspStatus.ICV_FAILURE;
                    assertEquals(EspStatus.name(expected), EspStatus.name(status), what + " bit " + bit);
                    flips++;
                }
                assertEquals(flips - 32, i.icvFailures(), what);
                assertEquals(0, i.packets(), what + ": nothing delivered");
                assertEquals(esn ? 3 * TWO_32 : 0, i.window().top(), what + ": the window did not move");
                assertArrayEquals(packet, t.decryptOk(i, esp), what + ": the genuine packet still decrypts");
                o.destroy();
                i.destroy();
            }
        }
    }

    /** A NULL-encryption packet with a trailer of our choosing and a valid ICV, made with javax.crypto.Mac. */
    private static byte[] forgeNullEsp(final int spi, final int seq, final byte[] data, final byte[] padding,
        final int padLength, final int nextHeader, final byte[] key) throws Exception
    {
        final ByteBuffer b = ByteBuffer.allocate(8 + data.length + padding.length + 2);
        b.putInt(spi).putInt(seq).put(data).put(padding).put((byte)padLength).put((byte)nextHeader);
        final Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(key, "HmacSHA256"));
        final byte[] icv = Arrays.copyOf(mac.doFinal(b.array()), 16);
        return Packets.ipv4(PEER, OURS, 50, 64, 1, 0, Packets.concat(b.array(), icv));
    }

    @Test
    void detectsBadPaddingNextHeaderAndInnerPacketInAuthenticPackets() throws Exception
    {
        final SecurityAssociation i = in(NULL_SHA256, Mode.TUNNEL).build();
        final byte[] key = NULL_SHA256.integrityKey(1);
        final byte[] inner = udpPacket(28, 0, 1);
        assertArrayEquals(inner, t.decryptOk(i, forgeNullEsp(0x1000, 1, inner, new byte[] {1, 2}, 2, 4, key)),
            "the forger is right when it follows the rules");
        assertEquals(EspStatus.BAD_PADDING, t.decrypt(i, forgeNullEsp(0x1000, 2, inner, new byte[] {1, 3}, 2, 4, key)));
        assertEquals(EspStatus.BAD_PADDING, t.decrypt(i, forgeNullEsp(0x1000, 3, inner, new byte[] {0, 0}, 2, 4, key)));
        assertEquals(EspStatus.BAD_PADDING,
            t.decrypt(i, forgeNullEsp(0x1000, 4, new byte[0], new byte[] {1, 2}, 200, 4, key)), "pad length beyond the payload");
        assertEquals(3, i.paddingErrors());
        assertEquals(4, i.window().top(), "authentic packets move the window even when malformed");
        assertEquals(EspStatus.BAD_NEXT_HEADER, t.decrypt(i, forgeNullEsp(0x1000, 5, inner, new byte[] {1, 2}, 2, 6, key)));
        assertEquals(EspStatus.DUMMY_PACKET, t.decrypt(i, forgeNullEsp(0x1000, 6, inner, new byte[] {1, 2}, 2, 59, key)));
        final byte[] longer = inner.clone();
        longer[3] += 4;
        assertEquals(EspStatus.BAD_INNER_PACKET,
            t.decrypt(i, forgeNullEsp(0x1000, 7, longer, new byte[] {1, 2}, 2, 4, key)));
        final byte[] shorter = Packets.concat(inner, new byte[] {9, 9, 9, 9});
        assertArrayEquals(inner, t.decryptOk(i, forgeNullEsp(0x1000, 8, shorter, new byte[] {1, 2}, 2, 4, key)),
            "TFC padding after the inner packet (RFC 4303 2.7) is dropped");
        assertEquals(1, i.drops(EspStatus.BAD_NEXT_HEADER));
        assertEquals(1, i.drops(EspStatus.DUMMY_PACKET));
        assertEquals(1, i.drops(EspStatus.BAD_INNER_PACKET));
    }

    @Test
    void refusesTruncatedAndNonEspPackets()
    {
        final SecurityAssociation o = out(CBC, Mode.TUNNEL).udpEncapsulation(4500, 4500).build();
        final SecurityAssociation i = in(CBC, Mode.TUNNEL).build();
        final byte[] esp = t.encrypt(o, udpPacket(100, 0, 1));
        final byte[] cut = Arrays.copyOf(esp, esp.length - 5);
        cut[3] -= 5;
        assertEquals(EspStatus.TRUNCATED, t.decrypt(i, cut), "not a whole number of blocks");
        assertEquals(EspStatus.TRUNCATED, t.decrypt(i, Arrays.copyOf(esp, esp.length - 1)), "shorter than its total length");
        final byte[] tiny = Packets.ipv4(PEER, OURS, 50, 64, 1, 0, new byte[20]);
        assertEquals(EspStatus.TRUNCATED, t.decrypt(i, tiny));
        final byte[] ike = Packets.ipv4(PEER, OURS, 17, 64, 1, 0, Packets.udp(4500, 4500, new byte[40]));
        assertEquals(EspStatus.NOT_ESP, t.decrypt(i, ike), "non-ESP marker: IKE");
        final byte[] fragment = esp.clone();
        fragment[6] = 0x20;
        assertEquals(EspStatus.NOT_ESP, t.decrypt(i, fragment));
        assertEquals(EspStatus.NOT_ESP, t.decrypt(i, Packets.ipv4(PEER, OURS, 47, 64, 1, 0, new byte[40])));
        final SecurityAssociation other = t.builder(CBC, 0x2000, false, Mode.TUNNEL, 1).build();
        assertEquals(EspStatus.SPI_MISMATCH, t.decrypt(other, esp));
        assertArrayEquals(udpPacket(100, 0, 1), t.decryptOk(i, esp), "UDP-encapsulated ESP to an SA without: accepted");
    }

    // ------------------------------------------------------------------ lifetimes

    @Test
    void softAndHardLifetimeByKilobytesInBothDirections()
    {
        final SecurityAssociation o = out(GCM, Mode.TUNNEL).lifetimeKilobytes(2, 4).build();
        final SecurityAssociation i = in(GCM, Mode.TUNNEL).lifetimeKilobytes(2, 4).build();
        final List<Integer> statuses = new ArrayList<>();
        for (int n = 0; n < 5; n++)
        {
            final byte[] packet = udpPacket(1000, 0, n);
            final long at = t.put(0, packet);
            final int status = t.codec.encrypt(t.memory, at, packet.length, o);
            statuses.add(status);
            if (status == EspStatus.OK)
            {
                t.decryptOk(i, t.result());
            }
            if (n == 2)
            {
                assertEquals(List.of("out soft-bytes", "in soft-bytes"), events, "soft at 2048 bytes, both ends");
                assertEquals(EspEvents.SOFT_BYTES, o.events());
            }
        }
        assertEquals(List.of(EspStatus.OK, EspStatus.OK, EspStatus.OK, EspStatus.OK, EspStatus.LIFETIME_EXPIRED),
            statuses, "4 x 1000 bytes fit in 4096, a fifth does not");
        assertEquals(4000, o.bytes());
        assertEquals(EspEvents.SOFT_BYTES | EspEvents.HARD_BYTES, o.events());
        assertEquals(1, o.drops(EspStatus.LIFETIME_EXPIRED));
        assertEquals(List.of("out soft-bytes", "in soft-bytes", "out hard-bytes"), events);
        assertEquals(EspStatus.LIFETIME_EXPIRED, t.codec.encrypt(t.memory, t.put(0, udpPacket(28, 0, 1)), 28, o),
            "the SA stays dead");
    }

    @Test
    void inboundHardKilobytesStopsTheSa()
    {
        final SecurityAssociation o = out(CBC, Mode.TUNNEL).build();
        final SecurityAssociation i = in(CBC, Mode.TUNNEL).lifetimeKilobytes(0, 2).build();
        t.decryptOk(i, t.encrypt(o, udpPacket(1024, 0, 1)));
        t.decryptOk(i, t.encrypt(o, udpPacket(1024, 0, 2)));
        assertEquals(EspStatus.LIFETIME_EXPIRED, t.decrypt(i, t.encrypt(o, udpPacket(28, 0, 3))));
        assertEquals(EspEvents.HARD_BYTES, i.events());
    }

    @Test
    void softAndHardLifetimeByTime()
    {
        final SecurityAssociation o = out(CBC, Mode.TUNNEL).lifetimeSeconds(10, 20).build();
        final SecurityAssociation i = in(CBC, Mode.TUNNEL).lifetimeSeconds(10, 20).build();
        final long start = t.clock.nanoTime();
        t.decryptOk(i, t.encrypt(o, udpPacket(64, 0, 1)));
        assertEquals(0, o.events());
        t.clock.update(start + 10_000_000_000L);
        t.decryptOk(i, t.encrypt(o, udpPacket(64, 0, 2)));
        assertEquals(List.of("out soft-time", "in soft-time"), events);
        t.clock.update(start + 19_999_999_999L);
        final byte[] late = t.encrypt(o, udpPacket(64, 0, 3));
        t.clock.update(start + 20_000_000_000L);
        assertEquals(EspStatus.LIFETIME_EXPIRED, t.decrypt(i, late));
        assertEquals(EspStatus.LIFETIME_EXPIRED, t.codec.encrypt(t.memory, t.put(0, udpPacket(64, 0, 4)), 64, o));
        assertEquals(List.of("out soft-time", "in soft-time", "in hard-time", "out hard-time"), events);
        assertEquals(EspEvents.SOFT_TIME | EspEvents.HARD_TIME, i.events());
    }

    @Test
    void idleSaExpiresWhenTheControlSideChecks()
    {
        final SecurityAssociation i = in(GCM, Mode.TUNNEL).lifetimeSeconds(60, 90).build();
        assertEquals(0, i.checkLifetime(t.clock.nanoTime() + 59_000_000_000L));
        assertEquals(EspEvents.SOFT_TIME, i.checkLifetime(t.clock.nanoTime() + 61_000_000_000L));
        assertEquals(EspEvents.SOFT_TIME | EspEvents.HARD_TIME, i.checkLifetime(t.clock.nanoTime() + 91_000_000_000L));
        assertEquals(List.of("in soft-time", "in hard-time"), events, "each event once");
        i.checkLifetime(t.clock.nanoTime() + 100_000_000_000L);
        assertEquals(2, events.size());
    }

    // ------------------------------------------------------------------ sequence numbers

    @Test
    void withoutEsnRefusesToSendPast2To32Minus1()
    {
        final SecurityAssociation o = out(GCM, Mode.TUNNEL).initialSequence(0xffff_fffeL).build();
        final SecurityAssociation i = in(GCM, Mode.TUNNEL).initialSequence(0xffff_fff0L).build();
        final byte[] last = t.encrypt(o, udpPacket(64, 0, 1));
        assertEquals(0xffff_ffff, Packets.u32(last, 24));
        t.decryptOk(i, last);
        final long at = t.put(0, udpPacket(64, 0, 2));
        assertEquals(EspStatus.SEQUENCE_EXHAUSTED, t.codec.encrypt(t.memory, at, 64, o));
        assertEquals(EspStatus.SEQUENCE_EXHAUSTED, t.codec.encrypt(t.memory, at, 64, o));
        assertEquals(0xffff_ffffL, o.lastSequence(), "no wrap");
        assertEquals(2, o.drops(EspStatus.SEQUENCE_EXHAUSTED));
        assertEquals(List.of("out sequence-soft", "out sequence-exhausted"), events);
    }

    @Test
    void esnCarriesOnPast2To32AndStopsAt2To64Minus1()
    {
        for (final Suite s : new Suite[] {GCM, CBC, suite(EspEncryption.CHACHA20_POLY1305, EspIntegrity.NONE)})
        {
            final SecurityAssociation o = out(s, Mode.TUNNEL).esn(true).initialSequence(TWO_32 - 3).build();
            final SecurityAssociation i = in(s, Mode.TUNNEL).esn(true).initialSequence(TWO_32 - 10).build();
            final List<byte[]> sent = new ArrayList<>();
            for (int n = 0; n < 6; n++)
            {
                sent.add(t.encrypt(o, udpPacket(64, 0, n)));
            }
            final int[] low = new int[6];
            for (int n = 0; n < 6; n++)
            {
                low[n] = Packets.u32(sent.get(n), 24);
            }
            assertArrayEquals(new int[] {-2, -1, 0, 1, 2, 3}, low, s + ": only the low 32 bits travel");
            // In order up to 2^32 + 1, then the two late ones from below 2^32, then the rest.
            for (final int n : new int[] {0, 2, 3, 1, 4, 5})
            {
                assertArrayEquals(udpPacket(64, 0, n), t.decryptOk(i, sent.get(n)), s + " packet " + n);
            }
            assertEquals(TWO_32 + 3, i.window().top(), s.toString());
            assertEquals(EspStatus.REPLAY, t.decrypt(i, sent.get(1)), s.toString());
            // A receiver that guesses the wrong high bits fails the ICV: they are authenticated.
            final SecurityAssociation confused = in(s, Mode.TUNNEL).esn(true).initialSequence(3 * TWO_32).build();
            assertEquals(EspStatus.ICV_FAILURE, t.decrypt(confused, sent.get(3)), s.toString());
            o.destroy();
            i.destroy();
            confused.destroy();
        }
        final SecurityAssociation o = out(GCM, Mode.TUNNEL).esn(true).initialSequence(-2L).build();
        final SecurityAssociation i = in(GCM, Mode.TUNNEL).esn(true).initialSequence(-5L).build();
        t.decryptOk(i, t.encrypt(o, udpPacket(64, 0, 1)));
        assertEquals(-1L, i.window().top(), "2^64-1 is the last number");
        assertEquals(EspStatus.SEQUENCE_EXHAUSTED, t.codec.encrypt(t.memory, t.put(0, udpPacket(64, 0, 2)), 64, o));
    }

    // ------------------------------------------------------------------ misuse

    @Test
    void refusesToWriteOutsideTheFrame()
    {
        final SecurityAssociation o = out(CBC, Mode.TUNNEL).build();
        final byte[] packet = udpPacket(200, 0, 1);
        final long near = t.put(3, 40, packet);
        assertEquals(EspStatus.NO_HEADROOM, t.codec.encrypt(t.memory, near, packet.length, o));
        final long end = t.put(3, EspTesting.FRAME - packet.length - 10, packet);
        assertEquals(EspStatus.NO_TAILROOM, t.codec.encrypt(t.memory, end, packet.length, o));
        assertEquals(1, o.drops(EspStatus.NO_HEADROOM));
        assertEquals(1, o.drops(EspStatus.NO_TAILROOM));
        assertEquals(0, o.lastSequence(), "no sequence number spent on a refused packet");
    }

    @Test
    void refusesWrongDirectionAndDestroyedSas()
    {
        final SecurityAssociation o = out(GCM, Mode.TUNNEL).build();
        final SecurityAssociation i = in(GCM, Mode.TUNNEL).build();
        final byte[] esp = t.encrypt(o, udpPacket(64, 0, 1));
        assertEquals(EspStatus.WRONG_DIRECTION, t.decrypt(o, esp));
        assertEquals(EspStatus.WRONG_DIRECTION, t.codec.encrypt(t.memory, t.put(0, udpPacket(64, 0, 1)), 64, i));
        i.destroy();
        assertEquals(EspStatus.SA_DEAD, t.decrypt(i, esp));
        assertEquals(EspStatus.BAD_PACKET, t.codec.encrypt(t.memory, t.put(0, new byte[40]), 40, o));
    }

    @Test
    void destroyZeroesTheKeysAndToStringNeverShowsThem()
    {
        for (final Suite s : new Suite[] {GCM, CBC, suite(EspEncryption.CHACHA20_POLY1305, EspIntegrity.NONE)})
        {
            final SecurityAssociation o = out(s, Mode.TUNNEL).build();
            t.encrypt(o, udpPacket(64, 0, 1));
            final byte[] enc = o.encryptionKeyMaterial();
            final byte[] auth = o.integrityKey();
            final String text = o.toString() + " " + o;
            assertFalse(text.toLowerCase().contains(hex(Arrays.copyOf(enc, 4))), text);
            assertFalse(text.contains(Arrays.toString(enc)), text);
            assertTrue(text.contains("spi 0x00001000"), text);
            o.destroy();
            assertArrayEquals(new byte[enc.length], enc, s + ": encryption key zeroed");
            assertArrayEquals(new byte[auth.length], auth, s + ": integrity key zeroed");
            assertTrue(o.isDestroyed());
            assertEquals(EspStatus.SA_DEAD, t.codec.encrypt(t.memory, t.put(0, udpPacket(64, 0, 1)), 64, o));
            assertTrue(o.toString().endsWith("destroyed"));
        }
    }

    @Test
    void builderSaysWhatIsWrong()
    {
        final byte[] k16 = new byte[16];
        assertMessage("GCM-128 takes 20 bytes of key material (16 key + 4 salt), not 16", () -> SecurityAssociation
            .builder().inbound().spi(0x1000).encryption(EspEncryption.AES_GCM_128, k16).build());
        assertMessage("authenticates by itself", () -> SecurityAssociation.builder().inbound().spi(0x1000)
            .encryption(EspEncryption.AES_GCM_128, new byte[20]).integrity(EspIntegrity.HMAC_SHA1_96, new byte[20])
            .build());
        assertMessage("needs an integrity algorithm", () -> SecurityAssociation.builder().inbound().spi(0x1000)
            .encryption(EspEncryption.AES_CBC_128, k16).build());
        assertMessage("SPI 0-255 are reserved", () -> SecurityAssociation.builder().inbound().spi(255)
            .encryption(EspEncryption.AES_GCM_128, new byte[20]).build());
        assertMessage("replay window of 32 packets", () -> SecurityAssociation.builder().inbound().spi(0x1000)
            .encryption(EspEncryption.AES_GCM_128, new byte[20]).replayWindow(32).build());
        assertMessage("soft kilobyte lifetime 10 is above the hard one 5", () -> SecurityAssociation.builder().inbound()
            .spi(0x1000).encryption(EspEncryption.AES_GCM_128, new byte[20]).lifetimeKilobytes(10, 5).build());
        assertMessage("needs its outer source and destination", () -> SecurityAssociation.builder().outbound()
            .spi(0x1000).encryption(EspEncryption.AES_GCM_128, new byte[20]).build());
        assertMessage("HMAC-SHA256-128 takes a 32-byte key, not 20", () -> SecurityAssociation.builder().inbound()
            .spi(0x1000).encryption(EspEncryption.NULL, null).integrity(EspIntegrity.HMAC_SHA256_128, new byte[20])
            .build());
        assertMessage("ICV of 10 bytes", () -> SecurityAssociation.builder().inbound().spi(0x1000)
            .encryption(EspEncryption.AES_GCM_128, new byte[20]).icvLength(10).build());
        assertMessage("needs ESN", () -> SecurityAssociation.builder().inbound().spi(0x1000)
            .encryption(EspEncryption.AES_GCM_128, new byte[20]).initialSequence(TWO_32).build());
    }

    private static void assertMessage(final String part, final org.junit.jupiter.api.function.Executable build)
    {
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, build);
        assertTrue(e.getMessage().contains(part), e.getMessage());
    }

    @Test
    void gcmWithA12ByteIcvAndNot8()
    {
        assertMessage("the JDK's GCM makes tags of 12 to 16 bytes", () -> out(GCM, Mode.TUNNEL).icvLength(8).build());
        for (final int icv : new int[] {12})
        {
            final SecurityAssociation o = out(GCM, Mode.TUNNEL).icvLength(icv).build();
            final SecurityAssociation i = in(GCM, Mode.TUNNEL).icvLength(icv).build();
            final byte[] packet = udpPacket(100, 0, icv);
            final byte[] esp = t.encrypt(o, packet);
            assertEquals(20 + 8 + 8 + 104 + icv, esp.length);
            assertArrayEquals(packet, t.decryptOk(i, esp));
        }
    }
}
