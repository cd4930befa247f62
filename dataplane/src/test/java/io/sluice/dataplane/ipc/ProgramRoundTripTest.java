package io.sluice.dataplane.ipc;

import io.sluice.dataplane.esp.EspEncryption;
import io.sluice.dataplane.esp.EspIntegrity;
import io.sluice.dataplane.esp.SecurityAssociation;
import io.sluice.dataplane.esp.SecurityAssociation.DfBit;
import io.sluice.dataplane.esp.SecurityAssociation.Direction;
import io.sluice.dataplane.esp.SecurityAssociation.Mode;
import io.sluice.dataplane.ipc.codecs.EncryptionAlgorithm;
import io.sluice.dataplane.ipc.codecs.IntegrityAlgorithm;
import io.sluice.dataplane.ipc.codecs.MessageHeaderEncoder;
import io.sluice.dataplane.ipc.codecs.SaAddEncoder;
import io.sluice.dataplane.ipc.codecs.SaDirection;
import io.sluice.dataplane.ipc.codecs.SaMode;
import io.sluice.dataplane.l2tp.L2tpSession.Encapsulation;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static io.sluice.dataplane.Dataplane.ip;
import static io.sluice.dataplane.ipc.IpcTesting.pollUntil;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every program message from a control-side proxy to a data-side adapter, through the embedded driver. */
class ProgramRoundTripTest
{
    @TempDir
    Path tmp;

    private IpcContext dataplane;
    private IpcContext control;
    private RecordingProgramHandler handler;
    private ProgramAdapter adapter;
    private ProgramProxy proxy;
    private final List<Throwable> errors = new ArrayList<>();

    @BeforeEach
    void setUp()
    {
        dataplane = IpcTesting.dataplane(tmp.resolve("aeron")).errorHandler(errors::add);
        control = IpcTesting.control(tmp.resolve("aeron"));
        handler = new RecordingProgramHandler();
        adapter = dataplane.programAdapter(handler);
        proxy = control.programProxy();
        IpcTesting.awaitConnected(proxy::isConnected, "the program stream to connect");
        pollUntil(adapter, adapter::isPublisherConnected, 10, "the control process's image");
        assertEquals(List.of("connected " + proxy.sessionId()), handler.lines);
        handler.lines.clear();
    }

    @AfterEach
    void tearDown()
    {
        proxy.close();
        adapter.close();
        control.close();
        dataplane.close();
    }

    private static byte[] pattern(final int length, final int first)
    {
        final byte[] b = new byte[length];
        for (int i = 0; i < length; i++)
        {
            b[i] = (byte)(first + i);
        }
        return b;
    }

    @Test
    void everyProgramMessageArrivesWithEveryField()
    {
        final byte[] cbcKey = pattern(32, 0x10);
        final byte[] hmacKey = pattern(64, 0x80);
        final byte[] gcmKey = pattern(20, 0x41);

        proxy.beginState(0x1_0000_0001L);
        proxy.dataplaneSettings(1000, 5000, 30, 250);
        proxy.interfaceConfig("eth1", ip("192.0.2.1"), 24, 1400, 1360, true);
        proxy.greTunnelAdd("Tunnel1", ip("198.51.100.1"), ip("198.51.100.2"), true, 0xdeadbeef, true, 255, 1476);
        proxy.greTunnelAdd("Tunnel2", ip("198.51.100.1"), 0, false, 0, false, 64, 0);
        proxy.tunnelProtect("Tunnel1");
        proxy.ipsecTunnelAdd("VPN/10", ip("198.51.100.1"), ip("203.0.113.9"));
        proxy.mgrePeerMap("Tunnel2", ip("10.255.0.3"), ip("203.0.113.3"));
        proxy.mgrePeerUnmap("Tunnel2", ip("10.255.0.3"), ip("203.0.113.3"));
        proxy.routeAdd(ip("10.1.0.0"), 16, "Tunnel1", ip("10.255.0.2"));
        proxy.routeDelete(ip("10.2.0.0"), 32, "Null0", 0);
        proxy.neighbourAdd("eth1", ip("192.0.2.254"), 0x02_00_5e_10_20_30L);
        proxy.saAdd(new SaParameters()
            .spi(0xc0ffee01)
            .direction(Direction.OUTBOUND)
            .mode(Mode.TRANSPORT)
            .peer(ip("203.0.113.3"))
            .tunnel("Tunnel2")
            .endpoints(ip("198.51.100.1"), ip("203.0.113.3"))
            .udpEncapsulation(4500, 31000)
            .encryption(EspEncryption.AES_CBC_256, cbcKey)
            .integrity(EspIntegrity.HMAC_SHA512_256, hmacKey)
            .esn(true)
            .replayWindow(1024)
            .initialSequence(0x1_0000_0005L)
            .ttl(255)
            .dfBit(DfBit.CLEAR)
            .lifetimeSeconds(3000, 3600)
            .lifetimeKilobytes(90_000, 100_000));
        proxy.saAdd(new SaParameters()
            .spi(0x1001)
            .direction(Direction.INBOUND)
            .encryption(EspEncryption.AES_GCM_128, gcmKey)
            .icvLength(12)
            .dfBit(DfBit.SET));
        proxy.saDelete(0xc0ffee01, Direction.OUTBOUND);
        proxy.saSwitchOutbound(0x2002);
        proxy.l2tpv2SessionAdd("Virtual-Access1", ip("192.0.2.1"), ip("192.0.2.7"), 1701, 50000, 11, 22, 33, 65535,
            true, true);
        proxy.l2tpv2SessionDelete(11, 22);
        proxy.l2tpv3SessionAdd("eth2", Encapsulation.IP, ip("192.0.2.1"), ip("192.0.2.8"), 0xfffffff0, 77,
            0x0102030405060708L, 0xa0a1a2a3L, 8);
        proxy.l2tpv3SessionAdd("eth3", Encapsulation.UDP, ip("192.0.2.1"), ip("192.0.2.9"), 5, 6, 0, 0, 0);
        proxy.l2tpv3SessionDelete(0xfffffff0);
        proxy.endState(0x1_0000_0001L);

        final List<String> expected = List.of(
            "begin 4294967297",
            "settings heartbeat 1000 counters 5000 idle 30 icmp 250",
            "interface eth1 192.0.2.1/24 mtu 1400 mss 1360 shutdown true",
            "gre add Tunnel1 198.51.100.1 -> 198.51.100.2 hasKey true key -559038737 sequence true ttl 255 mtu 1476",
            "gre add Tunnel2 198.51.100.1 -> 0.0.0.0 hasKey false key 0 sequence false ttl 64 mtu 0",
            "protect Tunnel1",
            "ipsec VPN/10 " + ip("198.51.100.1") + " " + ip("203.0.113.9"),
            "map Tunnel2 10.255.0.3 -> 203.0.113.3",
            "unmap Tunnel2 10.255.0.3 -> 203.0.113.3",
            "route add 10.1.0.0/16 Tunnel1 via 10.255.0.2",
            "route delete 10.2.0.0/32 Null0 via 0.0.0.0",
            "neighbour eth1 192.0.2.254 2005e102030",
            "sa add spi c0ffee01 OUTBOUND TRANSPORT peer 203.0.113.3 tunnel Tunnel2 198.51.100.1 -> 203.0.113.3 " +
                "udp 4500->31000 AES_CBC_256 " + IpcTesting.hex(new UnsafeBuffer(cbcKey)) + " HMAC_SHA512_256 " +
                IpcTesting.hex(new UnsafeBuffer(hmacKey)) + " icv 0 esn true window 1024 initial 4294967301 ttl 255 " +
                "df CLEAR seconds 3000/3600 kilobytes 90000/100000",
            "sa add spi 1001 INBOUND TUNNEL peer 0.0.0.0 tunnel  0.0.0.0 -> 0.0.0.0 udp 0->0 AES_GCM_128 " +
                IpcTesting.hex(new UnsafeBuffer(gcmKey)) + " NONE  icv 12 esn false window 64 initial 0 ttl 64 " +
                "df SET seconds 0/0 kilobytes 0/0",
            "sa delete spi c0ffee01 OUTBOUND",
            "sa switch spi 2002",
            "l2tpv2 add Virtual-Access1 192.0.2.1:1701 -> 192.0.2.7:50000 local 11/22 remote 33/65535 " +
                "sequencing true length true",
            "l2tpv2 delete 11/22",
            "l2tpv3 add eth2 IP 192.0.2.1 -> 192.0.2.8 sessions 4294967280/77 cookies 102030405060708/a0a1a2a3 length 8",
            "l2tpv3 add eth3 UDP 192.0.2.1 -> 192.0.2.9 sessions 5/6 cookies 0/0 length 0",
            "l2tpv3 delete 4294967280",
            "end 4294967297");
        pollUntil(adapter, () -> handler.lines.size() >= expected.size(), 10, "every message");
        assertEquals(expected, handler.lines);
        assertEquals(List.of(), errors);
        assertEquals(expected.size(), adapter.messages());
        assertEquals(0, adapter.failed() + adapter.unknown() + adapter.discarded());
        assertEquals(expected.size(), proxy.sent());
    }

    @Test
    void saKeysAreZeroedInTheReceiveBufferOnceTheHandlerReturns()
    {
        proxy.saAdd(new SaParameters().spi(7).direction(Direction.INBOUND)
            .encryption(EspEncryption.AES_CBC_128, pattern(16, 1))
            .integrity(EspIntegrity.HMAC_SHA256_128, pattern(32, 0x61)));
        assertTrue(IpcTesting.aeronFilesContain(tmp.resolve("aeron"), pattern(16, 1)),
            "until the dataplane reads it, the key is in the log buffer (which proves the search below can see it)");
        pollUntil(adapter, () -> handler.lines.size() == 1, 10, "the SA");
        assertTrue(handler.lines.getFirst().contains(IpcTesting.hex(new UnsafeBuffer(pattern(16, 1)))),
            "the handler saw the key: " + handler.lines.getFirst());
        assertTrue(handler.keysInDirectMemory, "the handler was given a view of the log buffer, not a copy");
        assertEquals(16, handler.encryptionKeyLength);
        assertEquals(32, handler.integrityKeyLength);
        // the log buffer is still mapped (the publication lives): the bytes where the keys were are zero,
        // and neither key is anywhere in the Aeron directory's files
        assertEquals("00".repeat(16),
            IpcTesting.hex(new UnsafeBuffer(handler.encryptionKeyAddress, handler.encryptionKeyLength)));
        assertEquals("00".repeat(32),
            IpcTesting.hex(new UnsafeBuffer(handler.integrityKeyAddress, handler.integrityKeyLength)));
        assertFalse(IpcTesting.aeronFilesContain(tmp.resolve("aeron"), pattern(16, 1)));
        assertFalse(IpcTesting.aeronFilesContain(tmp.resolve("aeron"), pattern(32, 0x61)));
    }

    @Test
    void saKeysAreZeroedEvenWhenTheHandlerThrows()
    {
        final RecordingProgramHandler throwing = new RecordingProgramHandler()
        {
            @Override
            public void onSaAdd(final SaParameters sa)
            {
                super.onSaAdd(sa);
                throw new IllegalStateException("SPI 0x7 is already used");
            }
        };
        try (ProgramAdapter second = dataplane.programAdapter(throwing))
        {
            pollUntil(second, second::isPublisherConnected, 10, "the second adapter's image");
            proxy.saAdd(new SaParameters().spi(7).direction(Direction.INBOUND)
                .encryption(EspEncryption.AES_GCM_256, pattern(36, 9)));
            proxy.routeAdd(ip("10.9.0.0"), 16, "eth1", 0);
            pollUntil(second, () -> throwing.lines.size() == 3, 10, "the SA and the route");
            assertEquals("route add 10.9.0.0/16 eth1 via 0.0.0.0", throwing.lines.get(2), "the next message is read");
            assertEquals(1, second.failed());
            assertEquals(1, errors.size());
            assertEquals("SPI 0x7 is already used", errors.getFirst().getMessage());
            assertEquals("00".repeat(36),
                IpcTesting.hex(new UnsafeBuffer(throwing.encryptionKeyAddress, throwing.encryptionKeyLength)));
        }
        pollUntil(adapter, () -> handler.lines.size() == 2, 10, "the first adapter to read both too");
    }

    @Test
    void receivedParametersBuildAWorkingSecurityAssociation()
    {
        final List<SecurityAssociation> built = new ArrayList<>();
        final RecordingProgramHandler installing = new RecordingProgramHandler()
        {
            @Override
            public void onSaAdd(final SaParameters sa)
            {
                built.add(sa.toBuilder(3).build());
            }
        };
        try (ProgramAdapter second = dataplane.programAdapter(installing))
        {
            pollUntil(second, second::isPublisherConnected, 10, "the second adapter's image");
            proxy.saAdd(new SaParameters().spi(0x4242).direction(Direction.OUTBOUND).mode(Mode.TUNNEL)
                .endpoints(ip("198.51.100.1"), ip("198.51.100.2")).udpEncapsulation(4500, 4501)
                .encryption(EspEncryption.AES_GCM_128, pattern(20, 3)).icvLength(12).esn(true)
                .lifetimeSeconds(10, 20).ttl(32).dfBit(DfBit.SET));
            pollUntil(second, () -> built.size() == 1, 10, "the SA");
        }
        final SecurityAssociation sa = built.getFirst();
        try
        {
            assertEquals(0x4242, sa.spi());
            assertEquals(Direction.OUTBOUND, sa.direction());
            assertEquals(3, sa.tunnel());
            assertEquals(ip("198.51.100.2"), sa.tunnelDestination());
            assertTrue(sa.udpEncapsulation());
            assertEquals(4501, sa.udpDestinationPort());
            assertEquals(EspEncryption.AES_GCM_128, sa.encryption());
            assertEquals(12, sa.icvLength());
            assertTrue(sa.esn());
            assertEquals(32, sa.ttl());
            assertEquals(DfBit.SET, sa.dfBit());
        }
        finally
        {
            sa.destroy();
        }
    }

    @Test
    void anSaWithAnAlgorithmTheDataplaneDoesNotKnowIsReportedNotHandledAndItsKeysAreStillZeroed()
    {
        // as a newer control process would send it: an encryption value this schema does not have
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[256]);
        final SaAddEncoder sa = new SaAddEncoder().wrapAndApplyHeader(buffer, 0, new MessageHeaderEncoder())
            .spi(9).direction(SaDirection.INBOUND).mode(SaMode.TUNNEL).encryption(EncryptionAlgorithm.AES_CBC_128)
            .integrity(IntegrityAlgorithm.NONE).dfBit(io.sluice.dataplane.ipc.codecs.DfBit.COPY).tunnel("")
            .putEncryptionKey(pattern(16, 0x30), 0, 16).putIntegrityKey(new byte[0], 0, 0);
        buffer.putByte(MessageHeaderEncoder.ENCODED_LENGTH + SaAddEncoder.encryptionEncodingOffset(), (byte)200);
        try (var publication = control.aeron().addExclusivePublication(control.publicationChannel(),
            IpcContext.PROGRAM_STREAM_ID))
        {
            IpcTesting.awaitConnected(publication::isConnected, "the raw publication");
            pollUntil(adapter, () -> adapter.currentSessionId() == publication.sessionId(), 10, "the newer image");
            while (publication.offer(buffer, 0, MessageHeaderEncoder.ENCODED_LENGTH + sa.encodedLength()) < 0)
            {
                Thread.onSpinWait();
            }
            pollUntil(adapter, () -> adapter.failed() == 1, 10, "the SA to fail");
            assertEquals(List.of("lost " + proxy.sessionId(), "connected " + publication.sessionId()), handler.lines,
                "no SA was handled");
            assertEquals(1, errors.size());
            assertTrue(errors.getFirst().getMessage().contains("unknown encryption value 200"),
                errors.getFirst().getMessage());
            assertFalse(IpcTesting.aeronFilesContain(tmp.resolve("aeron"), pattern(16, 0x30)),
                "the key is gone from the log buffer");
        }
    }

    @Test
    void valuesTheWireCannotCarryAreRefusedBeforeSending()
    {
        assertThrows(IllegalArgumentException.class, () -> proxy.routeAdd(0, 33, "eth0", 0));
        assertThrows(IllegalArgumentException.class, () -> proxy.greTunnelAdd("Tunnel1", 1, 2, false, 0, false, 256,
            0));
        assertThrows(IllegalArgumentException.class, () -> proxy.saAdd(new SaParameters().udpEncapsulation(70000, 1)));
        final IpcException e = assertThrows(IpcException.class, () -> proxy.saAdd(new SaParameters()
            .tunnel("T".repeat(2000)).encryption(EspEncryption.AES_GCM_128, pattern(20, 0))));
        assertTrue(e.getMessage().contains("does not fit one"), "an SA add is never fragmented (its keys could " +
            "not be zeroed in the log): " + e.getMessage());
        assertEquals(0, proxy.sent());
    }
}
