package io.sluice.ffi.bpf;

import java.util.ArrayList;
import java.util.List;

/**
 * A tiny eBPF assembler: enough instructions for an XDP classifier, with forward labels.
 * Encoding (little-endian): opcode, dst (low nibble) | src (high nibble), 16-bit offset, 32-bit imm.
 */
public final class BpfInsns
{
    public static final int R0 = 0, R1 = 1, R2 = 2, R3 = 3, R4 = 4, R5 = 5, R6 = 6;

    private static final int LDX_W = 0x61, LDX_H = 0x69, LDX_B = 0x71;
    private static final int MOV64_K = 0xb7, MOV64_X = 0xbf, ADD64_K = 0x07, ADD64_X = 0x0f;
    private static final int AND64_K = 0x57, LSH64_K = 0x67;
    private static final int JA = 0x05, JEQ_K = 0x15, JNE_K = 0x55, JGT_X = 0x2d;
    private static final int CALL = 0x85, EXIT = 0x95, LD_IMM64 = 0x18;
    private static final int PSEUDO_MAP_FD = 1;

    /** A jump target; bound once, referenced any number of times before or after. */
    public static final class Label
    {
        int position = -1;
        final List<Integer> uses = new ArrayList<>();
    }

    private final List<Long> code = new ArrayList<>();
    private final List<Label> labels = new ArrayList<>();

    private static long insn(final int op, final int dst, final int src, final int off, final int imm)
    {
        return (op & 0xffL) | ((long)((src << 4) | dst) & 0xff) << 8 | ((long)off & 0xffff) << 16 |
            ((long)imm & 0xffffffffL) << 32;
    }

    private BpfInsns emit(final int op, final int dst, final int src, final int off, final int imm)
    {
        code.add(insn(op, dst, src, off, imm));
        return this;
    }

    public Label label()
    {
        final Label l = new Label();
        labels.add(l);
        return l;
    }

    public BpfInsns bind(final Label l)
    {
        l.position = code.size();
        return this;
    }

    private BpfInsns jump(final int op, final int dst, final int src, final int imm, final Label l)
    {
        l.uses.add(code.size());
        return emit(op, dst, src, 0, imm);
    }

    public BpfInsns ldxW(final int dst, final int src, final int off)
    {
        return emit(LDX_W, dst, src, off, 0);
    }

    public BpfInsns ldxH(final int dst, final int src, final int off)
    {
        return emit(LDX_H, dst, src, off, 0);
    }

    public BpfInsns ldxB(final int dst, final int src, final int off)
    {
        return emit(LDX_B, dst, src, off, 0);
    }

    public BpfInsns mov(final int dst, final int imm)
    {
        return emit(MOV64_K, dst, 0, 0, imm);
    }

    public BpfInsns movReg(final int dst, final int src)
    {
        return emit(MOV64_X, dst, src, 0, 0);
    }

    public BpfInsns add(final int dst, final int imm)
    {
        return emit(ADD64_K, dst, 0, 0, imm);
    }

    public BpfInsns addReg(final int dst, final int src)
    {
        return emit(ADD64_X, dst, src, 0, 0);
    }

    public BpfInsns and(final int dst, final int imm)
    {
        return emit(AND64_K, dst, 0, 0, imm);
    }

    public BpfInsns lsh(final int dst, final int imm)
    {
        return emit(LSH64_K, dst, 0, 0, imm);
    }

    public BpfInsns ja(final Label l)
    {
        return jump(JA, 0, 0, 0, l);
    }

    public BpfInsns jeq(final int dst, final int imm, final Label l)
    {
        return jump(JEQ_K, dst, 0, imm, l);
    }

    public BpfInsns jne(final int dst, final int imm, final Label l)
    {
        return jump(JNE_K, dst, 0, imm, l);
    }

    public BpfInsns jgtReg(final int dst, final int src, final Label l)
    {
        return jump(JGT_X, dst, src, 0, l);
    }

    /** Loads a map fd into a register (the two-slot ld_imm64 with BPF_PSEUDO_MAP_FD). */
    public BpfInsns ldMapFd(final int dst, final int mapFd)
    {
        emit(LD_IMM64, dst, PSEUDO_MAP_FD, 0, mapFd);
        return emit(0, 0, 0, 0, 0);
    }

    public BpfInsns call(final int helper)
    {
        return emit(CALL, 0, 0, 0, helper);
    }

    public BpfInsns exit()
    {
        return emit(EXIT, 0, 0, 0, 0);
    }

    /** The program, with every jump offset resolved. */
    public long[] assemble()
    {
        final long[] out = new long[code.size()];
        for (int i = 0; i < out.length; i++)
        {
            out[i] = code.get(i);
        }
        for (final Label l : labels)
        {
            if (l.position < 0 && !l.uses.isEmpty())
            {
                throw new IllegalStateException("unbound label");
            }
            for (final int use : l.uses)
            {
                final int off = l.position - use - 1;
                out[use] = (out[use] & ~(0xffffL << 16)) | ((long)off & 0xffff) << 16;
            }
        }
        return out;
    }
}
