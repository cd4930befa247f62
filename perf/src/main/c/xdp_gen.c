/*
 * xdp_gen: AF_XDP traffic generator and sink for `./sluice bench io`.
 *
 *   xdp_gen --iface IF --dst-mac MAC [--src-mac MAC] [--queue Q] [--cpu N] [--size BYTES|imix]
 *           [--rate PPS] [--seconds N] [--warmup-ms MS] [--drain-ms MS] [--batch N]
 *           [--driver] [--copy|--zero-copy] [--rx-iface IF] [--rx-offset N] [--rx-any] [--ring FILE]
 *
 * One socket on IF/Q (its own XDP program redirects every frame on IF to it), one busy-polling
 * thread pinned to --cpu. It sends UDP/IPv4 frames to --dst-mac (the forwarder's interface) as
 * fast as it can, or paced at --rate frames per second, and receives the frames the forwarder
 * sends back on the same socket, counting them and checking their sequence numbers.
 *
 * Frame size: --size is the Ethernet frame size ON THE WIRE INCLUDING THE 4-BYTE FCS, the way
 * RFC 2544 counts it: --size 64 hands 60 bytes to the interface (14 Ethernet + 20 IPv4 + 8 UDP +
 * 18 payload), --size 1400 hands 1396 bytes. Range 64..1518 (a 1500-byte MTU). Bit rates derived
 * from it count those S bytes per frame (not preamble and inter-frame gap).
 *
 * --size imix sends the simple IMIX: 64, 570 and 1518-byte frames in the ratio 7:4:1, in a fixed
 * interleaved pattern of 12 frames chosen by sequence number (so the mix holds over any 12
 * consecutive frames, and the sink knows each frame's size from its sequence number).
 *
 * Payload: a 4-byte magic "SLG1" then a 64-bit sequence number (host order), 0, 1, 2, ... per
 * frame sent. Frames without the magic (anything else that reaches the interface) count as
 * "foreign" and are not counted as received.
 *
 * --rx-any (frames come back encrypted, e.g. as ESP from a gateway's encrypt direction): every IPv4
 * frame on the receive socket that is not ICMP counts as received, by port and length: its size as
 * sent is --size, or for IMIX the largest IMIX size whose frame fits in what came back (ESP adds
 * under 100 bytes, the IMIX sizes are 500 apart). Sequence numbers cannot be read, so "reordered"
 * stays 0; ICMP (e.g. a gateway's fragmentation-needed) and non-IPv4 count as foreign.
 *
 * --ring FILE (frames go out encrypted, e.g. ESP for a gateway's decrypt direction): instead of
 * building UDP frames, send the frames of FILE in order, round and round. The harness writes FILE:
 * "SLR1", u32 count, u32 largest length, then per frame u16 length, u16 wire size of the plain
 * frame it carries (with FCS, what sentBytes counts) and the frame's bytes, little-endian. The
 * generator writes its own MACs into every frame (destination --dst-mac, source its interface's).
 * Each frame's plain payload holds the magic and its index in the ring as sequence number; the
 * sink counts an index lower than the last one seen as reordered unless the ring wrapped (a jump
 * back of more than half the ring). With IMIX, frame i of the ring must be IMIX position i % 12.
 *
 * Phases: after READY the generator sends for --warmup-ms (default 0) without measuring, then
 * measures until SIGTERM/SIGINT or --seconds; then it stops sending and keeps receiving for
 * --drain-ms (default 100) to collect frames still in flight, and prints one JSON line:
 *
 *   {"sent":N,"received":N,"elapsedNs":N,"txDropped":N,"txErrors":N,"reordered":N,"lost":N,
 *    "foreign":N,"offeredMpps":X,"receivedMpps":X,"totalSent":N,"totalReceived":N,
 *    "kernelRxDropped":N,"kernelRxRingFull":N,"kernelFillEmpty":N,"kernelTxInvalid":N,
 *    "stalledNs":N,"maxGapNs":N,"sentBytes":N,"receivedBytes":N,"size":S,"frameLen":L,"cpu":N}
 *
 * sent / received / elapsedNs cover the measured interval only: frames put on the TX ring, and
 * own frames taken from the RX ring, between its start and its end; sentBytes / receivedBytes are
 * their sizes as sent (with FCS, as --size counts), whatever wrapping they came back in. For IMIX,
 * "size" is "imix" and frameLen the largest frame. offeredMpps = sent/elapsed,
 * receivedMpps = received/elapsed. The rest covers the whole run including warm-up and drain:
 * lost = totalSent - totalReceived, reordered = frames that arrived with a sequence number lower
 * than one already seen, txDropped = frames the interface dropped on transmit (its tx_dropped
 * counter) plus descriptors the kernel rejected (tx_invalid_descs), txErrors = failed TX kicks,
 * kernel* = this socket's XDP_STATISTICS (receive side of the generator). stalledNs is the time
 * the generator's loop did not run for over 1 ms at a stretch during the measured interval
 * (preempted, or its vCPU descheduled by the host), maxGapNs the longest such pause: a generator
 * that stalls offers less, and the measurement is disturbed.
 */
#include "common.h"

#define MAX_BATCH 256
#define RX_BATCH 256
#define COMPLETION_BATCH 512
#define TX_FRAMES 4096 /* frames [0, TX_FRAMES) carry prebuilt frames; the rest are for RX */
#define MAGIC 0x31474c53u /* "SLG1" in memory order */
#define OFF_MAGIC 42
#define OFF_SEQ 46
#define STALL_NS 1000000ull /* one loop round (a TX kick of a batch included) takes well under 1 ms */
#define HDR_LEN 42 /* Ethernet + IPv4 + UDP: what differs between frames of different sizes */
#define IMIX_PERIOD 12
/* 7 x 64, 4 x 570, 1 x 1518 bytes on the wire, spread over the period */
static const uint32_t IMIX_WIRE[IMIX_PERIOD] = {64, 570, 64, 64, 570, 64, 1518, 64, 570, 64, 64, 570};

struct stack {
    uint64_t *v;
    uint32_t top;
};

static int parse_mac(const char *s, uint8_t mac[6])
{
    unsigned int b[6];
    char extra;
    if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &extra) != 6)
        return -1;
    for (int i = 0; i < 6; i++) {
        if (b[i] > 255)
            return -1;
        mac[i] = (uint8_t)b[i];
    }
    return 0;
}

static uint16_t ip_checksum(const uint8_t *h, int len)
{
    uint32_t sum = 0;
    for (int i = 0; i < len; i += 2)
        sum += (uint32_t)(h[i] << 8 | h[i + 1]);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

/* Ethernet + IPv4 (10.99.0.1 -> 10.99.0.2, DF, TTL 64) + UDP (40000 -> 9, no checksum) + magic */
static void build_frame(uint8_t *f, uint32_t len, const uint8_t dst[6], const uint8_t src[6])
{
    memset(f, 0, len);
    memcpy(f, dst, 6);
    memcpy(f + 6, src, 6);
    f[12] = 0x08;
    f[13] = 0x00;
    uint8_t *ip = f + 14;
    uint16_t ip_len = (uint16_t)(len - 14);
    ip[0] = 0x45;
    ip[2] = (uint8_t)(ip_len >> 8);
    ip[3] = (uint8_t)ip_len;
    ip[6] = 0x40; /* DF */
    ip[8] = 64;
    ip[9] = 17;
    ip[12] = 10, ip[13] = 99, ip[14] = 0, ip[15] = 1;
    ip[16] = 10, ip[17] = 99, ip[18] = 0, ip[19] = 2;
    uint16_t c = ip_checksum(ip, 20);
    ip[10] = (uint8_t)(c >> 8);
    ip[11] = (uint8_t)c;
    uint8_t *udp = ip + 20;
    uint16_t udp_len = (uint16_t)(ip_len - 20);
    udp[0] = 40000 >> 8, udp[1] = 40000 & 0xff;
    udp[2] = 0, udp[3] = 9;
    udp[4] = (uint8_t)(udp_len >> 8);
    udp[5] = (uint8_t)udp_len;
    uint32_t magic = MAGIC;
    memcpy(f + OFF_MAGIC, &magic, 4);
}

struct gen {
    struct xsk x;
    struct stack tx_free, rx_free;
    uint32_t frame_shift;
    int tx_pending;
    uint64_t total_sent, total_received, reordered, foreign, tx_errors, next_seq;
    uint64_t sent_bytes, received_bytes; /* wire bytes of our frames, as sent */
    uint32_t wire_size; /* --size; 0 for IMIX */
    uint8_t imix_hdr[IMIX_PERIOD][HDR_LEN]; /* with IMIX: the headers of each position's frame */
    uint32_t rx_offset;
    int rx_any; /* --rx-any: count IPv4 frames by port and length */
    /* --ring: pre-built frames sent round and round */
    uint8_t *ring;
    uint16_t *ring_len, *ring_wire;
    uint32_t ring_count, ring_slot;
    int64_t ring_last; /* the last ring index received, -1 before the first */
    /* the socket frames come back on: x itself, or with --rx-iface a second socket (own UMEM) */
    struct xsk rx_sock;
    struct xsk *r;
};

static void kick(struct gen *g)
{
    if (g->x.cfg.need_wakeup && !ring_needs_wakeup(&g->x.tx)) {
        g->tx_pending = 0;
        return;
    }
    int rc = xsk_kick_tx(&g->x);
    if (rc >= 0)
        g->tx_pending = 0;
    else if (rc == -EAGAIN || rc == -EBUSY || rc == -ENOBUFS)
        g->tx_pending = 1;
    else {
        g->tx_pending = 0;
        g->tx_errors++;
    }
}

static uint32_t reap(struct gen *g)
{
    uint32_t first;
    uint32_t n = ring_cons_peek(&g->x.comp, COMPLETION_BATCH, &first);
    if (n) {
        for (uint32_t i = 0; i < n; i++)
            g->tx_free.v[g->tx_free.top++] = (*ring_addr(&g->x.comp, first + i) >> g->frame_shift) << g->frame_shift;
        ring_cons_release(&g->x.comp, n);
    }
    return n;
}

static void refill(struct gen *g)
{
    uint32_t wanted = g->rx_free.top;
    if (wanted == 0)
        return;
    uint32_t first;
    uint32_t n = ring_prod_reserve(&g->r->fill, wanted, &first);
    if (n == 0)
        return;
    for (uint32_t i = 0; i < n; i++)
        *ring_addr(&g->r->fill, first + i) = g->rx_free.v[--g->rx_free.top];
    ring_prod_submit(&g->r->fill);
}

static uint32_t receive(struct gen *g)
{
    uint32_t first;
    uint32_t n = ring_cons_peek(&g->r->rx, RX_BATCH, &first);
    if (n == 0) {
        if (g->r->cfg.need_wakeup && ring_needs_wakeup(&g->r->fill))
            xsk_kick_rx(g->r);
        return 0;
    }
    for (uint32_t i = 0; i < n; i++) {
        const struct xdp_desc *d = ring_desc(&g->r->rx, first + i);
        const uint8_t *f = g->r->umem + d->addr;
        /* with --rx-offset N the frames come back wrapped (e.g. 28 bytes of outer IPv4 + GRE with key):
           the outer protocol is not UDP and our payload sits N bytes further in */
        const uint32_t off = g->rx_offset;
        uint32_t magic = 0;
        if (g->rx_any) {
            if (d->len >= 34 && f[12] == 0x08 && f[13] == 0x00 && f[14 + 9] != 1) {
                g->total_received++;
                uint32_t wire = g->wire_size;
                if (!wire) {
                    wire = 64;
                    for (int k = 0; k < IMIX_PERIOD; k++)
                        if (IMIX_WIRE[k] - 4 <= d->len && IMIX_WIRE[k] > wire)
                            wire = IMIX_WIRE[k];
                }
                g->received_bytes += wire;
            } else {
                g->foreign++;
            }
            g->rx_free.v[g->rx_free.top++] = (d->addr >> g->frame_shift) << g->frame_shift;
            continue;
        }
        if (d->len >= off + OFF_SEQ + 8)
            memcpy(&magic, f + off + OFF_MAGIC, 4);
        if (d->len >= off + OFF_SEQ + 8 && f[12] == 0x08 && f[13] == 0x00 && (off || f[14 + 9] == 17) &&
            magic == MAGIC) {
            uint64_t seq;
            memcpy(&seq, f + off + OFF_SEQ, 8);
            if (g->ring) {
                /* a ring index: lower than the last one is a wrap when it jumps back over half the ring */
                const int64_t s = (int64_t)seq, last = g->ring_last;
                if (last >= 0 && s <= last && last - s <= (int64_t)(g->ring_count / 2))
                    g->reordered++;
                else
                    g->ring_last = s;
            } else if (seq >= g->next_seq)
                g->next_seq = seq + 1;
            else
                g->reordered++;
            g->total_received++;
            g->received_bytes += g->wire_size ? g->wire_size : IMIX_WIRE[seq % IMIX_PERIOD];
        } else {
            g->foreign++;
        }
        g->rx_free.v[g->rx_free.top++] = (d->addr >> g->frame_shift) << g->frame_shift;
    }
    ring_cons_release(&g->r->rx, n);
    return n;
}

static uint32_t transmit(struct gen *g, uint32_t wanted, uint32_t frame_len)
{
    if (wanted > g->tx_free.top)
        wanted = g->tx_free.top;
    if (wanted == 0)
        return 0;
    uint32_t first;
    uint32_t n = ring_prod_reserve(&g->x.tx, wanted, &first);
    if (n == 0)
        return 0;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t addr = g->tx_free.v[--g->tx_free.top];
        uint64_t seq = g->total_sent + i;
        struct xdp_desc *d = ring_desc(&g->x.tx, first + i);
        d->addr = addr;
        if (g->ring) {
            const uint32_t k = (uint32_t)(seq % g->ring_count);
            memcpy(g->x.umem + addr, g->ring + (uint64_t)k * g->ring_slot, g->ring_len[k]);
            d->len = g->ring_len[k];
            g->sent_bytes += g->ring_wire[k];
            d->options = 0;
            continue;
        }
        memcpy(g->x.umem + addr + OFF_SEQ, &seq, 8);
        if (g->wire_size) {
            d->len = frame_len;
            g->sent_bytes += g->wire_size;
        } else {
            /* every TX buffer holds a full-size frame; the headers say how much of it goes */
            const uint32_t k = (uint32_t)(seq % IMIX_PERIOD);
            memcpy(g->x.umem + addr, g->imix_hdr[k], HDR_LEN);
            d->len = IMIX_WIRE[k] - 4;
            g->sent_bytes += IMIX_WIRE[k];
        }
        d->options = 0;
    }
    ring_prod_submit(&g->x.tx);
    g->total_sent += n;
    g->tx_pending = 1;
    return n;
}

static uint32_t read_u32(FILE *in, const char *file)
{
    uint8_t b[4];
    if (fread(b, 1, 4, in) != 4)
        die("%s: truncated", file);
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/* --ring FILE: the frames to send round and round, with our MACs written in */
static void load_ring(struct gen *g, const char *file, const uint8_t dst[6], const uint8_t src[6], uint32_t max_len)
{
    FILE *in = fopen(file, "rb");
    if (!in)
        die("--ring %s: %s", file, strerror(errno));
    if (read_u32(in, file) != 0x31524c53u) /* "SLR1" */
        die("--ring %s: not a frame ring (no SLR1 magic)", file);
    const uint32_t count = read_u32(in, file), largest = read_u32(in, file);
    if (count == 0 || count > (1u << 24) || largest < 60 || largest > max_len)
        die("--ring %s: %u frames of up to %u bytes (at most %u fit a UMEM frame)", file, count, largest, max_len);
    g->ring_slot = (largest + 63) & ~63u;
    g->ring_count = count;
    g->ring = malloc((size_t)count * g->ring_slot);
    g->ring_len = malloc(sizeof(uint16_t) * count);
    g->ring_wire = malloc(sizeof(uint16_t) * count);
    if (!g->ring || !g->ring_len || !g->ring_wire)
        die("--ring %s: out of memory for %u frames", file, count);
    for (uint32_t k = 0; k < count; k++) {
        uint8_t h[4];
        if (fread(h, 1, 4, in) != 4)
            die("%s: truncated at frame %u", file, k);
        const uint32_t len = (uint32_t)h[0] | (uint32_t)h[1] << 8;
        if (len < 14 || len > largest)
            die("%s: frame %u has %u bytes", file, k, len);
        uint8_t *f = g->ring + (uint64_t)k * g->ring_slot;
        if (fread(f, 1, len, in) != len)
            die("%s: truncated in frame %u", file, k);
        memcpy(f, dst, 6);
        memcpy(f + 6, src, 6);
        g->ring_len[k] = (uint16_t)len;
        g->ring_wire[k] = (uint16_t)((uint32_t)h[2] | (uint32_t)h[3] << 8);
    }
    fclose(in);
}

static void usage_die(const char *bad)
{
    die("unknown argument '%s'; usage: xdp_gen --iface IF --dst-mac MAC [--src-mac MAC] [--queue Q] [--cpu N] "
        "[--size 64..1518|imix] [--rate PPS] [--seconds N] [--warmup-ms MS] [--drain-ms MS] [--batch N] [--driver] "
        "[--copy|--zero-copy] [--rx-iface IF] [--rx-offset N] [--rx-any] [--ring FILE]",
        bad);
}

int main(int argc, char **argv)
{
    g_prog = "xdp_gen";
    const char *iface = NULL, *dst_s = NULL, *src_s = NULL;
    int queue = 0, cpu = -1, size = 64, batch = 64, driver = 0, copy_mode = 0;
    long rate = 0, seconds = 0, warmup_ms = 0, drain_ms = 100;
    uint32_t rx_offset = 0;
    const char *rx_iface = NULL, *ring_file = NULL;
    int rx_any = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--iface"))
            iface = arg_value(argc, argv, &i);
        else if (!strcmp(a, "--dst-mac"))
            dst_s = arg_value(argc, argv, &i);
        else if (!strcmp(a, "--src-mac"))
            src_s = arg_value(argc, argv, &i);
        else if (!strcmp(a, "--queue"))
            queue = (int)parse_long(a, arg_value(argc, argv, &i), 0, 63);
        else if (!strcmp(a, "--cpu"))
            cpu = (int)parse_long(a, arg_value(argc, argv, &i), -1, CPU_SETSIZE - 1);
        else if (!strcmp(a, "--size")) {
            const char *v = arg_value(argc, argv, &i);
            size = !strcmp(v, "imix") ? 0 : (int)parse_long(a, v, 64, 1518);
        }
        else if (!strcmp(a, "--rx-iface"))
            rx_iface = arg_value(argc, argv, &i);
        else if (!strcmp(a, "--rx-offset"))
            rx_offset = (uint32_t)parse_long(a, arg_value(argc, argv, &i), 0, 256);
        else if (!strcmp(a, "--rx-any"))
            rx_any = 1;
        else if (!strcmp(a, "--ring"))
            ring_file = arg_value(argc, argv, &i);
        else if (!strcmp(a, "--rate"))
            rate = parse_long(a, arg_value(argc, argv, &i), 0, 1000000000L);
        else if (!strcmp(a, "--seconds"))
            seconds = parse_long(a, arg_value(argc, argv, &i), 0, 1000000);
        else if (!strcmp(a, "--warmup-ms"))
            warmup_ms = parse_long(a, arg_value(argc, argv, &i), 0, 3600000);
        else if (!strcmp(a, "--drain-ms"))
            drain_ms = parse_long(a, arg_value(argc, argv, &i), 0, 60000);
        else if (!strcmp(a, "--batch"))
            batch = (int)parse_long(a, arg_value(argc, argv, &i), 1, MAX_BATCH);
        else if (!strcmp(a, "--driver"))
            driver = 1;
        else if (!strcmp(a, "--copy"))
            copy_mode = 1;
        else if (!strcmp(a, "--zero-copy"))
            copy_mode = 2;
        else
            usage_die(a);
    }
    if (!iface)
        die("--iface is required");
    if (!dst_s)
        die("--dst-mac is required (the MAC address of the forwarder's interface)");
    uint8_t dst[6], src[6];
    if (parse_mac(dst_s, dst))
        die("--dst-mac %s: expected xx:xx:xx:xx:xx:xx", dst_s);
    if (src_s ? parse_mac(src_s, src) : if_mac(iface, src))
        die(src_s ? "--src-mac %s: expected xx:xx:xx:xx:xx:xx" : "cannot read the MAC address of %s", src_s ? src_s : iface);
    /* without the FCS, which the NIC adds; with IMIX the largest frame, cut short per packet */
    const uint32_t frame_len = (uint32_t)(size ? size : 1518) - 4;
    install_signal_handlers();

    static struct gen g;
    const struct xsk_config cfg = {
        .frame_size = 2048, .frame_count = 16384, .headroom = 128,
        .rx_size = 4096, .tx_size = 2048, .fill_size = 8192, .comp_size = 2048,
        .need_wakeup = 1, .copy_mode = copy_mode, .tx_skb_budget = 256,
    };
    int ifindex = (int)if_nametoindex(iface);
    if (ifindex == 0)
        die("no interface %s in this network namespace: %s", iface, strerror(errno));
    struct xdp_attach prog = xdp_attach_all(iface, ifindex, driver);
    xsk_open(&g.x, iface, queue, &cfg);
    g.frame_shift = (uint32_t)__builtin_ctz(cfg.frame_size);
    g.rx_offset = rx_offset;
    g.rx_any = rx_any;
    g.ring_last = -1;
    if (ring_file)
        load_ring(&g, ring_file, dst, src, cfg.frame_size - cfg.headroom - XDP_PACKET_HEADROOM);
    g.wire_size = (uint32_t)size;
    if (!size) {
        uint8_t tmp[1518];
        for (int k = 0; k < IMIX_PERIOD; k++) {
            build_frame(tmp, IMIX_WIRE[k] - 4, dst, src);
            memcpy(g.imix_hdr[k], tmp, HDR_LEN);
        }
    }
    g.tx_free.v = malloc(sizeof(uint64_t) * TX_FRAMES);
    g.rx_free.v = malloc(sizeof(uint64_t) * cfg.frame_count);
    if (!g.tx_free.v || !g.rx_free.v)
        die("out of memory");
    for (int i = TX_FRAMES - 1; i >= 0; i--) {
        uint64_t base = (uint64_t)i << g.frame_shift;
        build_frame(g.x.umem + base, frame_len, dst, src);
        g.tx_free.v[g.tx_free.top++] = base;
    }
    struct xdp_attach rx_prog = {0};
    int rx_ifindex = 0;
    if (rx_iface) {
        /* frames come back on another interface (e.g. an L2TPv3 pseudowire's WAN side): a socket of
           its own, every frame of its UMEM for receiving */
        rx_ifindex = (int)if_nametoindex(rx_iface);
        if (rx_ifindex == 0)
            die("no interface %s in this network namespace: %s", rx_iface, strerror(errno));
        rx_prog = xdp_attach_all(rx_iface, rx_ifindex, driver);
        xsk_open(&g.rx_sock, rx_iface, queue, &cfg);
        g.r = &g.rx_sock;
        for (int i = (int)cfg.frame_count - 1; i >= 0; i--)
            g.rx_free.v[g.rx_free.top++] = (uint64_t)i << g.frame_shift;
    } else {
        g.r = &g.x;
        for (int i = (int)cfg.frame_count - 1; i >= TX_FRAMES; i--)
            g.rx_free.v[g.rx_free.top++] = (uint64_t)i << g.frame_shift;
    }
    refill(&g);
    bpf_map_update_u32(prog.map_fd, (uint32_t)queue, (uint32_t)g.x.fd);
    if (rx_iface)
        bpf_map_update_u32(rx_prog.map_fd, (uint32_t)queue, (uint32_t)g.rx_sock.fd);
    int on_cpu = pin_cpu(cpu);
    long long tx_dropped0 = if_stat(iface, "tx_dropped");
    if (size)
        printf("READY %s/%d %s mode, %u-byte frames (%d on the wire) to %s\n", iface, queue,
               g.x.zero_copy ? "zero-copy" : "copy", frame_len, size, dst_s);
    else
        printf("READY %s/%d %s mode, IMIX frames (64/570/1518 on the wire, 7:4:1) to %s\n", iface, queue,
               g.x.zero_copy ? "zero-copy" : "copy", dst_s);
    fflush(stdout);

    enum { WARMUP, MEASURE, DRAIN } phase = WARMUP;
    const uint64_t start = now_ns();
    const uint64_t warm_end = start + (uint64_t)warmup_ms * 1000000ull;
    uint64_t deadline = UINT64_MAX, drain_end = 0, t0 = start, t1 = start;
    uint64_t sent0 = 0, recv0 = 0, sent1 = 0, recv1 = 0, sbytes0 = 0, rbytes0 = 0, sbytes1 = 0, rbytes1 = 0;
    uint64_t prev = start, stalled = 0, max_gap = 0; /* loop gaps over STALL_NS in the measured interval */
    for (;;) {
        const uint64_t now = now_ns();
        if (phase == MEASURE) {
            uint64_t gap = now - prev;
            if (gap > STALL_NS)
                stalled += gap;
            if (gap > max_gap)
                max_gap = gap;
        }
        prev = now;
        if (phase == WARMUP && (now >= warm_end || g_stop)) {
            phase = MEASURE;
            t0 = now;
            sent0 = g.total_sent;
            recv0 = g.total_received;
            sbytes0 = g.sent_bytes;
            rbytes0 = g.received_bytes;
            if (seconds > 0)
                deadline = now + (uint64_t)seconds * 1000000000ull;
        }
        if (phase == MEASURE && (g_stop || now >= deadline)) {
            phase = DRAIN;
            t1 = now;
            sent1 = g.total_sent;
            recv1 = g.total_received;
            sbytes1 = g.sent_bytes;
            rbytes1 = g.received_bytes;
            drain_end = now + (uint64_t)drain_ms * 1000000ull;
        }
        if (phase == DRAIN && now >= drain_end)
            break;

        uint32_t work = reap(&g);
        work += receive(&g);
        refill(&g);
        if (phase != DRAIN) {
            uint32_t wanted = (uint32_t)batch;
            if (rate > 0) {
                double due = (double)(now - start) * (double)rate / 1e9 - (double)g.total_sent;
                wanted = due <= 0 ? 0 : due < (double)batch ? (uint32_t)due : (uint32_t)batch;
            }
            work += transmit(&g, wanted, frame_len);
        }
        if (g.tx_pending)
            kick(&g);
        if (work == 0)
            cpu_relax();
    }

    struct xdp_statistics ks = xsk_stats(&g.x);
    const struct xdp_statistics kr = rx_iface ? xsk_stats(g.r) : ks;
    long long tx_dropped1 = if_stat(iface, "tx_dropped");
    uint64_t if_dropped = tx_dropped0 >= 0 && tx_dropped1 >= tx_dropped0 ? (uint64_t)(tx_dropped1 - tx_dropped0) : 0;
    const uint64_t elapsed = t1 - t0;
    const uint64_t sent = sent1 - sent0, received = recv1 - recv0;
    const double secs = elapsed > 0 ? (double)elapsed / 1e9 : 0;
    char size_text[16];
    snprintf(size_text, sizeof size_text, size ? "%d" : "\"imix\"", size);
    printf("{\"sent\":%llu,\"received\":%llu,\"elapsedNs\":%llu,\"txDropped\":%llu,\"txErrors\":%llu,"
           "\"reordered\":%llu,\"lost\":%llu,\"foreign\":%llu,\"offeredMpps\":%.4f,\"receivedMpps\":%.4f,"
           "\"totalSent\":%llu,\"totalReceived\":%llu,\"kernelRxDropped\":%llu,\"kernelRxRingFull\":%llu,"
           "\"kernelFillEmpty\":%llu,\"kernelTxInvalid\":%llu,\"stalledNs\":%llu,\"maxGapNs\":%llu,"
           "\"sentBytes\":%llu,\"receivedBytes\":%llu,\"size\":%s,\"frameLen\":%u,\"cpu\":%d}\n",
           (unsigned long long)sent, (unsigned long long)received, (unsigned long long)elapsed,
           (unsigned long long)(if_dropped + ks.tx_invalid_descs), (unsigned long long)g.tx_errors,
           (unsigned long long)g.reordered,
           (unsigned long long)(g.total_sent > g.total_received ? g.total_sent - g.total_received : 0),
           (unsigned long long)g.foreign, secs > 0 ? (double)sent / secs / 1e6 : 0.0,
           secs > 0 ? (double)received / secs / 1e6 : 0.0, (unsigned long long)g.total_sent,
           (unsigned long long)g.total_received, (unsigned long long)kr.rx_dropped,
           (unsigned long long)kr.rx_ring_full, (unsigned long long)kr.rx_fill_ring_empty_descs,
           (unsigned long long)ks.tx_invalid_descs, (unsigned long long)stalled, (unsigned long long)max_gap,
           (unsigned long long)(sbytes1 - sbytes0), (unsigned long long)(rbytes1 - rbytes0), size_text, frame_len,
           on_cpu);
    fflush(stdout);
    bpf_map_delete_u32(prog.map_fd, (uint32_t)queue);
    xsk_close(&g.x);
    xdp_detach(&prog);
    if (rx_iface) {
        bpf_map_delete_u32(rx_prog.map_fd, (uint32_t)queue);
        xsk_close(&g.rx_sock);
        xdp_detach(&rx_prog);
    }
    free(g.tx_free.v);
    free(g.rx_free.v);
    free(g.ring);
    free(g.ring_len);
    free(g.ring_wire);
    return 0;
}
