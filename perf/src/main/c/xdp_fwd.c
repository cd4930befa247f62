/*
 * xdp_fwd: the C reference AF_XDP forwarder that `./sluice bench io` holds Sluice's Java forwarder
 * (`./sluice forward`, tools/.../forward/ForwardMain.java over dataplane's XdpPort) against.
 *
 * Same system calls (common.h), same topology, parameters, command line and output:
 *
 *   xdp_fwd --iface IF [--queue Q] [--cpu N] [--seconds N] [--batch N] [--mac-swap]
 *           [--copy|--zero-copy] [--driver]
 *
 * UMEM 16384 x 2048 B frames, headroom 128; fill ring 4096, RX/TX/completion 2048; need_wakeup;
 * XDP_MAX_TX_SKB_BUDGET 256; batch 64. Prints "READY IF/Q copy mode" once bound and, at exit
 * (after --seconds, or on SIGTERM/SIGINT), one JSON line:
 *   {"rx":N,"tx":N,"txDropped":N,"txErrors":N,"kernelRxDropped":N,"kernelRxRingFull":N,
 *    "kernelFillEmpty":N,"cpu":N}
 *
 * The loop is XdpPort's, step for step: every receive first does the housekeeping (kick TX again
 * if a kick is pending, reap up to 256 completions into the free stack, refill the fill ring from
 * it), then takes up to a batch from RX; an empty RX kicks RX if the fill ring asks for it and runs
 * the housekeeping once more. A non-empty batch has its MACs swapped if asked and goes on the TX
 * ring (what does not fit goes back to the free stack and counts as txDropped), then the TX kick:
 * a sendto(MSG_DONTWAIT) when the TX ring needs a wakeup; EAGAIN, EBUSY and ENOBUFS leave the kick
 * pending for the next round, other errors count as txErrors. An idle round spins with `pause`, as
 * Agrona's BusySpinIdleStrategy does.
 */
#include "common.h"

#define COMPLETION_BATCH 256
#define MAX_BATCH 256

/* the free stack of frame base offsets (FramePool) */
struct pool {
    uint64_t *free;
    uint32_t top;
    uint32_t frame_shift;
};

static inline uint64_t pool_alloc(struct pool *p)
{
    return p->free[--p->top];
}

static inline void pool_release(struct pool *p, uint64_t addr)
{
    p->free[p->top++] = (addr >> p->frame_shift) << p->frame_shift;
}

struct port {
    struct xsk x;
    struct pool pool;
    int tx_pending;
    uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes, tx_dropped, tx_errors;
};

static void kick(struct port *p)
{
    if (p->x.cfg.need_wakeup && !ring_needs_wakeup(&p->x.tx)) {
        p->tx_pending = 0;
        return;
    }
    int rc = xsk_kick_tx(&p->x);
    if (rc >= 0) {
        p->tx_pending = 0;
    } else if (rc == -EAGAIN || rc == -EBUSY || rc == -ENOBUFS) {
        p->tx_pending = 1; /* the kernel's per-call budget ran out, or the device queue is full: again later */
    } else {
        p->tx_pending = 0;
        p->tx_errors++;
    }
}

static uint32_t reap_completions(struct port *p)
{
    uint32_t first;
    uint32_t n = ring_cons_peek(&p->x.comp, COMPLETION_BATCH, &first);
    if (n > 0) {
        for (uint32_t i = 0; i < n; i++)
            pool_release(&p->pool, *ring_addr(&p->x.comp, first + i));
        ring_cons_release(&p->x.comp, n);
    }
    return n;
}

static void refill(struct port *p)
{
    uint32_t wanted = p->x.fill.size < p->pool.top ? p->x.fill.size : p->pool.top;
    if (wanted == 0)
        return;
    uint32_t first;
    uint32_t n = ring_prod_reserve(&p->x.fill, wanted, &first);
    if (n == 0)
        return;
    for (uint32_t i = 0; i < n; i++)
        *ring_addr(&p->x.fill, first + i) = pool_alloc(&p->pool);
    ring_prod_submit(&p->x.fill);
}

static uint32_t housekeeping(struct port *p)
{
    if (p->tx_pending)
        kick(p);
    uint32_t reaped = reap_completions(p);
    refill(p);
    return reaped;
}

/* the burst: descriptors only, as Burst */
struct burst {
    uint64_t addr[MAX_BATCH];
    uint32_t len[MAX_BATCH];
    uint32_t count;
};

static uint32_t port_receive(struct port *p, struct burst *b, uint32_t batch)
{
    housekeeping(p);
    uint32_t first;
    uint32_t n = ring_cons_peek(&p->x.rx, batch - b->count, &first);
    if (n == 0) {
        if (p->x.cfg.need_wakeup && ring_needs_wakeup(&p->x.fill))
            xsk_kick_rx(&p->x);
        return 0;
    }
    uint64_t bytes = 0;
    for (uint32_t i = 0; i < n; i++) {
        const struct xdp_desc *d = ring_desc(&p->x.rx, first + i);
        b->addr[b->count] = d->addr;
        b->len[b->count] = d->len;
        b->count++;
        bytes += d->len;
    }
    ring_cons_release(&p->x.rx, n);
    p->rx_packets += n;
    p->rx_bytes += bytes;
    return n;
}

static uint32_t port_transmit(struct port *p, struct burst *b)
{
    uint32_t count = b->count;
    if (count == 0)
        return 0;
    uint32_t first;
    uint32_t n = ring_prod_reserve(&p->x.tx, count, &first);
    uint64_t bytes = 0;
    for (uint32_t i = 0; i < n; i++) {
        struct xdp_desc *d = ring_desc(&p->x.tx, first + i);
        d->addr = b->addr[i];
        d->len = b->len[i];
        d->options = 0;
        bytes += b->len[i];
    }
    if (n > 0) {
        ring_prod_submit(&p->x.tx);
        p->tx_packets += n;
        p->tx_bytes += bytes;
        p->tx_pending = 1;
    }
    for (uint32_t i = n; i < count; i++)
        pool_release(&p->pool, b->addr[i]);
    p->tx_dropped += count - n;
    b->count = 0;
    kick(p);
    return n;
}

static inline void swap_macs(uint8_t *f)
{
    uint32_t d0, s0;
    uint16_t d1, s1;
    memcpy(&d0, f, 4);
    memcpy(&d1, f + 4, 2);
    memcpy(&s0, f + 6, 4);
    memcpy(&s1, f + 10, 2);
    memcpy(f, &s0, 4);
    memcpy(f + 4, &s1, 2);
    memcpy(f + 6, &d0, 4);
    memcpy(f + 10, &d1, 2);
}

static void usage_die(const char *bad)
{
    die("unknown argument '%s'; usage: xdp_fwd --iface IF [--queue Q] [--cpu N] [--seconds N] [--batch N] "
        "[--mac-swap] [--driver] [--copy|--zero-copy]",
        bad);
}

int main(int argc, char **argv)
{
    g_prog = "xdp_fwd";
    const char *iface = NULL;
    int queue = 0, cpu = -1, seconds = 0, batch = 64, mac_swap = 0, driver = 0, copy_mode = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--iface"))
            iface = arg_value(argc, argv, &i);
        else if (!strcmp(a, "--queue"))
            queue = (int)parse_long(a, arg_value(argc, argv, &i), 0, 63);
        else if (!strcmp(a, "--cpu"))
            cpu = (int)parse_long(a, arg_value(argc, argv, &i), -1, CPU_SETSIZE - 1);
        else if (!strcmp(a, "--seconds"))
            seconds = (int)parse_long(a, arg_value(argc, argv, &i), 0, 1000000);
        else if (!strcmp(a, "--batch"))
            batch = (int)parse_long(a, arg_value(argc, argv, &i), 1, MAX_BATCH);
        else if (!strcmp(a, "--mac-swap"))
            mac_swap = 1;
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
    install_signal_handlers();

    static struct port port;
    const struct xsk_config cfg = {
        .frame_size = 2048, .frame_count = 16384, .headroom = 128,
        .rx_size = 2048, .tx_size = 2048, .fill_size = 4096, .comp_size = 2048,
        .need_wakeup = 1, .copy_mode = copy_mode, .tx_skb_budget = 256,
    };
    int ifindex = (int)if_nametoindex(iface);
    if (ifindex == 0)
        die("no interface %s in this network namespace: %s", iface, strerror(errno));
    /* as XdpPort.open: attach the program, open the socket, fill, then register the socket */
    struct xdp_attach prog = xdp_attach_all(iface, ifindex, driver);
    xsk_open(&port.x, iface, queue, &cfg);
    port.pool.frame_shift = (uint32_t)__builtin_ctz(cfg.frame_size);
    port.pool.free = malloc(sizeof(uint64_t) * cfg.frame_count);
    if (!port.pool.free)
        die("out of memory");
    for (int i = (int)cfg.frame_count - 1; i >= 0; i--)
        port.pool.free[port.pool.top++] = (uint64_t)i << port.pool.frame_shift;
    refill(&port);
    bpf_map_update_u32(prog.map_fd, (uint32_t)queue, (uint32_t)port.x.fd);

    /* the worker thread pins itself before its first duty cycle */
    int on_cpu = pin_cpu(cpu);
    printf("READY %s/%d %s mode\n", iface, queue, port.x.zero_copy ? "zero-copy" : "copy");
    fflush(stdout);

    static struct burst burst;
    const uint64_t deadline = seconds > 0 ? now_ns() + (uint64_t)seconds * 1000000000ull : UINT64_MAX;
    uint32_t rounds = 0;
    while (!g_stop) {
        if (deadline != UINT64_MAX && (++rounds & 1023) == 0 && now_ns() >= deadline)
            break;
        uint32_t n = port_receive(&port, &burst, (uint32_t)batch);
        if (n == 0) {
            if (housekeeping(&port) == 0)
                cpu_relax();
            continue;
        }
        if (mac_swap)
            for (uint32_t i = 0; i < n; i++)
                swap_macs(port.x.umem + burst.addr[i]);
        port_transmit(&port, &burst);
    }

    struct xdp_statistics ks = xsk_stats(&port.x);
    printf("{\"rx\":%llu,\"tx\":%llu,\"txDropped\":%llu,\"txErrors\":%llu,\"kernelRxDropped\":%llu,"
           "\"kernelRxRingFull\":%llu,\"kernelFillEmpty\":%llu,\"cpu\":%d}\n",
           (unsigned long long)port.rx_packets, (unsigned long long)port.tx_packets,
           (unsigned long long)port.tx_dropped, (unsigned long long)port.tx_errors,
           (unsigned long long)ks.rx_dropped, (unsigned long long)ks.rx_ring_full,
           (unsigned long long)ks.rx_fill_ring_empty_descs, on_cpu);
    fflush(stdout);
    bpf_map_delete_u32(prog.map_fd, (uint32_t)queue);
    xsk_close(&port.x);
    xdp_detach(&prog);
    free(port.pool.free);
    return 0;
}
