package io.sluice.ffi.bpf;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class BpfInsnsTest
{
    @Test
    void encodesOpcodeRegistersOffsetAndImmediateLittleEndian()
    {
        final long[] code = new BpfInsns()
            .mov(BpfInsns.R0, 2)             // b7 00 0000 02000000
            .ldxW(BpfInsns.R2, BpfInsns.R6, 16) // 61 62 1000 00000000
            .exit()                          // 95 00 0000 00000000
            .assemble();
        assertEquals(0x00000002_0000_00b7L, code[0]);
        assertEquals(0x00000000_0010_6261L, code[1]);
        assertEquals(0x95L, code[2]);
    }

    @Test
    void resolvesForwardAndBackwardJumpsRelativeToTheNextInstruction()
    {
        final BpfInsns a = new BpfInsns();
        final BpfInsns.Label end = a.label();
        a.jeq(BpfInsns.R1, 17, end)   // 0: jumps over 1 and 2 -> offset 2
            .mov(BpfInsns.R0, 1)      // 1
            .mov(BpfInsns.R0, 1)      // 2
            .bind(end)
            .exit();                  // 3
        final long[] code = a.assemble();
        assertEquals(2, (short)(code[0] >>> 16));
        assertEquals(17, (int)(code[0] >>> 32));
        assertEquals(0x15, code[0] & 0xff);
        assertEquals(1, (code[0] >>> 8) & 0xf, "dst register");
    }

    @Test
    void mapFdLoadTakesTwoSlotsMarkedAsPseudoMapFd()
    {
        final long[] code = new BpfInsns().ldMapFd(BpfInsns.R1, 9).exit().assemble();
        assertEquals(3, code.length);
        assertEquals(0x18, code[0] & 0xff);
        assertEquals(1, (code[0] >>> 12) & 0xf, "src = BPF_PSEUDO_MAP_FD");
        assertEquals(9, (int)(code[0] >>> 32));
        assertEquals(0, code[1]);
    }

    @Test
    void unboundLabelIsAnError()
    {
        final BpfInsns a = new BpfInsns();
        final BpfInsns.Label nowhere = a.label();
        a.ja(nowhere).exit();
        assertThrows(IllegalStateException.class, a::assemble);
    }

    @Test
    void selectionRejectsOutOfRangeProtocolsAndPorts()
    {
        assertThrows(IllegalArgumentException.class, () -> XdpSelection.of(new int[]{256}, new int[0]));
        assertThrows(IllegalArgumentException.class, () -> XdpSelection.of(new int[0], new int[]{0}));
        assertThrows(IllegalArgumentException.class, () -> XdpSelection.of(new int[0], new int[]{65536}));
    }

    @Test
    void classifierMatchesEveryConfiguredPortInNetworkOrder()
    {
        final long[] code = XdpProgram.classifier(3, XdpSelection.of(new int[]{50}, new int[]{500, 4500}));
        int portCompares = 0;
        for (final long insn : code)
        {
            if ((insn & 0xff) == 0x15 && (int)(insn >>> 32) == (Short.reverseBytes((short)4500) & 0xffff))
            {
                portCompares++;
            }
        }
        assertEquals(1, portCompares, "one compare for port 4500 as loaded from the packet (little-endian)");
    }
}
