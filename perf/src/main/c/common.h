/*
 * Shared pieces of the C reference programs (xdp_fwd, xdp_gen): AF_XDP over raw system calls,
 * the same ones Sluice's Java bindings make (native-bindings io.sluice.ffi.bpf / io.sluice.ffi.xdp):
 *
 *   bpf(BPF_MAP_CREATE)   an XSKMAP (type 17), 4-byte keys and values
 *   bpf(BPF_PROG_LOAD)    an XDP program: return bpf_redirect_map(xsks, ctx->rx_queue_index, XDP_PASS)
 *   bpf(BPF_LINK_CREATE)  attach type BPF_XDP (37), XDP_FLAGS_SKB_MODE (or DRV_MODE with --driver)
 *   socket(AF_XDP), setsockopt(SOL_XDP=283: UMEM_REG, FILL/COMPLETION/RX/TX ring sizes,
 *   XDP_MAX_TX_SKB_BUDGET=9), getsockopt(XDP_MMAP_OFFSETS), mmap of the four rings,
 *   bind(XDP_USE_NEED_WAKEUP | XDP_COPY), retried on EBUSY, then bpf(BPF_MAP_UPDATE_ELEM).
 *
 * No libbpf, no libxdp. Header-only; every program includes it once. The launcher (./sluice)
 * rebuilds every C program in perf/src/main/c when this file changes.
 */
#ifndef SLUICE_PERF_COMMON_H
#define SLUICE_PERF_COMMON_H

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <linux/if_xdp.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef AF_XDP
#define AF_XDP 44
#endif
#ifndef SOL_XDP
#define SOL_XDP 283
#endif
#ifndef XDP_MAX_TX_SKB_BUDGET
#define XDP_MAX_TX_SKB_BUDGET 9 /* kernel >= 6.15; older kernels answer ENOPROTOOPT and keep 32 */
#endif
#ifndef XDP_PACKET_HEADROOM
#define XDP_PACKET_HEADROOM 256
#endif

#define MAYBE_UNUSED __attribute__((unused))

#define BPF_ATTR_SIZE 144 /* sizeof(union bpf_attr) on 6.x kernels, as the Java side passes */

/* ------------------------------------------------------------------------------------ errors */

static const char *g_prog = "xdp";

__attribute__((noreturn, format(printf, 1, 2))) static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", g_prog);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

/* ------------------------------------------------------------------------------------- time */

static inline uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline void cpu_relax(void)
{
    __builtin_ia32_pause(); /* what Thread.onSpinWait() compiles to */
}

/* --------------------------------------------------------------------------------- signals */

static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

MAYBE_UNUSED static void install_signal_handlers(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
}

/* -------------------------------------------------------------------------------- CPU pinning */

/* Pins the calling thread; returns the CPU it runs on afterwards. */
MAYBE_UNUSED static int pin_cpu(int cpu)
{
    if (cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(cpu, &set);
        if (sched_setaffinity(0, sizeof(set), &set) != 0)
            die("sched_setaffinity(CPU %d): %s", cpu, strerror(errno));
    }
    return sched_getcpu();
}

/* ----------------------------------------------------------------------------- arguments */

MAYBE_UNUSED static long parse_long(const char *flag, const char *v, long min, long max)
{
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (errno || *end || end == v || x < min || x > max)
        die("%s %s: expected an integer in %ld..%ld", flag, v, min, max);
    return x;
}

MAYBE_UNUSED static const char *arg_value(int argc, char **argv, int *i)
{
    if (*i + 1 >= argc)
        die("%s needs a value", argv[*i]);
    return argv[++*i];
}

/* ------------------------------------------------------------------------------------- bpf */

static long sys_bpf(int cmd, void *attr)
{
    return syscall(__NR_bpf, cmd, attr, BPF_ATTR_SIZE);
}

static int bpf_xskmap_create(int max_entries)
{
    union {
        union bpf_attr a;
        unsigned char pad[BPF_ATTR_SIZE];
    } u;
    memset(&u, 0, sizeof(u));
    u.a.map_type = BPF_MAP_TYPE_XSKMAP;
    u.a.key_size = 4;
    u.a.value_size = 4;
    u.a.max_entries = (uint32_t)max_entries;
    strncpy(u.a.map_name, "xsks", sizeof(u.a.map_name) - 1);
    long fd = sys_bpf(BPF_MAP_CREATE, &u);
    if (fd < 0) {
        if (errno == EPERM)
            die("bpf(BPF_MAP_CREATE): %s; AF_XDP needs root or CAP_BPF, CAP_NET_ADMIN and CAP_NET_RAW",
                strerror(errno));
        die("bpf(BPF_MAP_CREATE) XSKMAP: %s", strerror(errno));
    }
    return (int)fd;
}

static void bpf_map_update_u32(int map_fd, uint32_t key, uint32_t value)
{
    union {
        union bpf_attr a;
        unsigned char pad[BPF_ATTR_SIZE];
    } u;
    memset(&u, 0, sizeof(u));
    u.a.map_fd = (uint32_t)map_fd;
    u.a.key = (uint64_t)(uintptr_t)&key;
    u.a.value = (uint64_t)(uintptr_t)&value;
    u.a.flags = BPF_ANY;
    if (sys_bpf(BPF_MAP_UPDATE_ELEM, &u) < 0)
        die("bpf(BPF_MAP_UPDATE_ELEM) key %u: %s", key, strerror(errno));
}

MAYBE_UNUSED static void bpf_map_delete_u32(int map_fd, uint32_t key)
{
    union {
        union bpf_attr a;
        unsigned char pad[BPF_ATTR_SIZE];
    } u;
    memset(&u, 0, sizeof(u));
    u.a.map_fd = (uint32_t)map_fd;
    u.a.key = (uint64_t)(uintptr_t)&key;
    sys_bpf(BPF_MAP_DELETE_ELEM, &u);
}

static struct bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
    struct bpf_insn i;
    memset(&i, 0, sizeof(i));
    i.code = code;
    i.dst_reg = dst & 0xf;
    i.src_reg = src & 0xf;
    i.off = off;
    i.imm = imm;
    return i;
}

/* r6 = ctx; r2 = ctx->rx_queue_index; r1 = xsks; r3 = XDP_PASS; return bpf_redirect_map(r1, r2, r3) */
static int bpf_xdp_redirect_prog_load(int map_fd)
{
    struct bpf_insn prog[7];
    prog[0] = insn(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_6, BPF_REG_1, 0, 0);
    prog[1] = insn(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_2, BPF_REG_6, offsetof(struct xdp_md, rx_queue_index), 0);
    prog[2] = insn(BPF_LD | BPF_DW | BPF_IMM, BPF_REG_1, BPF_PSEUDO_MAP_FD, 0, map_fd);
    prog[3] = insn(0, 0, 0, 0, 0);
    prog[4] = insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_3, 0, 0, XDP_PASS);
    prog[5] = insn(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_redirect_map);
    prog[6] = insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);

    static char log[65536];
    union {
        union bpf_attr a;
        unsigned char pad[BPF_ATTR_SIZE];
    } u;
    memset(&u, 0, sizeof(u));
    u.a.prog_type = BPF_PROG_TYPE_XDP;
    u.a.insn_cnt = sizeof(prog) / sizeof(prog[0]);
    u.a.insns = (uint64_t)(uintptr_t)prog;
    u.a.license = (uint64_t)(uintptr_t)"GPL";
    u.a.expected_attach_type = BPF_XDP;
    strncpy(u.a.prog_name, "xdp_ref", sizeof(u.a.prog_name) - 1);
    long fd = sys_bpf(BPF_PROG_LOAD, &u);
    if (fd < 0 && (errno == EACCES || errno == EINVAL)) {
        u.a.log_level = 1;
        u.a.log_size = sizeof(log);
        u.a.log_buf = (uint64_t)(uintptr_t)log;
        fd = sys_bpf(BPF_PROG_LOAD, &u);
        if (fd < 0)
            die("bpf(BPF_PROG_LOAD): %s; verifier log:\n%s", strerror(errno), log);
    }
    if (fd < 0)
        die("bpf(BPF_PROG_LOAD): %s", strerror(errno));
    return (int)fd;
}

static int bpf_xdp_link(int prog_fd, int ifindex, const char *ifname, int driver_mode)
{
    union {
        union bpf_attr a;
        unsigned char pad[BPF_ATTR_SIZE];
    } u;
    memset(&u, 0, sizeof(u));
    u.a.link_create.prog_fd = (uint32_t)prog_fd;
    u.a.link_create.target_ifindex = (uint32_t)ifindex;
    u.a.link_create.attach_type = BPF_XDP;
    u.a.link_create.flags = driver_mode ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE;
    long fd = sys_bpf(BPF_LINK_CREATE, &u);
    if (fd < 0) {
        if (errno == EBUSY || errno == EEXIST)
            die("interface %s already has an XDP program attached (%s); remove it first", ifname, strerror(errno));
        die("bpf(BPF_LINK_CREATE) XDP on %s, %s mode: %s", ifname, driver_mode ? "native (driver)" : "generic (skb)",
            strerror(errno));
    }
    return (int)fd;
}

/* The attached redirect-everything program of one interface. Closing the link fd detaches it. */
struct xdp_attach {
    int map_fd, prog_fd, link_fd;
};

static struct xdp_attach xdp_attach_all(const char *ifname, int ifindex, int driver_mode)
{
    struct xdp_attach x;
    x.map_fd = bpf_xskmap_create(64);
    x.prog_fd = bpf_xdp_redirect_prog_load(x.map_fd);
    x.link_fd = bpf_xdp_link(x.prog_fd, ifindex, ifname, driver_mode);
    return x;
}

static void xdp_detach(struct xdp_attach *x)
{
    close(x->link_fd);
    close(x->prog_fd);
    close(x->map_fd);
}

/* ----------------------------------------------------------------------------------- rings */

/* One mmap'ed ring, the libxdp way: cached indices, acquire loads and release stores. */
struct ring {
    uint32_t *producer;
    uint32_t *consumer;
    uint32_t *flags;
    void *desc;
    uint32_t size, mask;
    uint32_t cached_prod, cached_cons;
    void *map;
    size_t map_len;
};

/* producer side (fill, TX): free slots, up to wanted; refresh from the kernel only when short */
static inline uint32_t ring_prod_free(struct ring *r, uint32_t wanted)
{
    uint32_t free = r->cached_cons - r->cached_prod;
    if (free >= wanted)
        return wanted;
    r->cached_cons = __atomic_load_n(r->consumer, __ATOMIC_ACQUIRE) + r->size;
    free = r->cached_cons - r->cached_prod;
    return free < wanted ? free : wanted;
}

/* reserves up to wanted slots; *first gets the index of the first */
static inline uint32_t ring_prod_reserve(struct ring *r, uint32_t wanted, uint32_t *first)
{
    uint32_t n = ring_prod_free(r, wanted);
    *first = r->cached_prod;
    r->cached_prod += n;
    return n;
}

static inline void ring_prod_submit(struct ring *r)
{
    __atomic_store_n(r->producer, r->cached_prod, __ATOMIC_RELEASE);
}

/* consumer side (RX, completion): ready entries, up to wanted; refresh only when empty */
static inline uint32_t ring_cons_peek(struct ring *r, uint32_t wanted, uint32_t *first)
{
    uint32_t n = r->cached_prod - r->cached_cons;
    if (n == 0) {
        r->cached_prod = __atomic_load_n(r->producer, __ATOMIC_ACQUIRE);
        n = r->cached_prod - r->cached_cons;
    }
    *first = r->cached_cons;
    return n < wanted ? n : wanted;
}

static inline void ring_cons_release(struct ring *r, uint32_t n)
{
    r->cached_cons += n;
    __atomic_store_n(r->consumer, r->cached_cons, __ATOMIC_RELEASE);
}

static inline int ring_needs_wakeup(const struct ring *r)
{
    return (*(volatile uint32_t *)r->flags & XDP_RING_NEED_WAKEUP) != 0;
}

static inline uint64_t *ring_addr(struct ring *r, uint32_t idx)
{
    return &((uint64_t *)r->desc)[idx & r->mask];
}

static inline struct xdp_desc *ring_desc(struct ring *r, uint32_t idx)
{
    return &((struct xdp_desc *)r->desc)[idx & r->mask];
}

/* ------------------------------------------------------------------------- the AF_XDP socket */

struct xsk_config {
    uint32_t frame_size, frame_count, headroom;
    uint32_t rx_size, tx_size, fill_size, comp_size;
    int need_wakeup;
    int copy_mode; /* 0 auto, 1 XDP_COPY, 2 XDP_ZEROCOPY */
    int tx_skb_budget;
};

struct xsk {
    int fd;
    int ifindex;
    int queue;
    int zero_copy;
    uint8_t *umem;
    size_t umem_len;
    struct xsk_config cfg;
    struct ring rx, tx, fill, comp;
};

static void map_ring(struct xsk *x, struct ring *r, const struct xdp_ring_offset *off, uint32_t size,
                     size_t entry, off_t pgoff, const char *what, int producer)
{
    r->map_len = off->desc + (size_t)size * entry;
    r->map = mmap(NULL, r->map_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, x->fd, pgoff);
    if (r->map == MAP_FAILED)
        die("mmap of the %s ring: %s", what, strerror(errno));
    r->producer = (uint32_t *)((uint8_t *)r->map + off->producer);
    r->consumer = (uint32_t *)((uint8_t *)r->map + off->consumer);
    r->flags = (uint32_t *)((uint8_t *)r->map + off->flags);
    r->desc = (uint8_t *)r->map + off->desc;
    r->size = size;
    r->mask = size - 1;
    r->cached_prod = __atomic_load_n(r->producer, __ATOMIC_ACQUIRE);
    r->cached_cons = __atomic_load_n(r->consumer, __ATOMIC_ACQUIRE);
    if (producer)
        r->cached_cons += size;
}

static void setsockopt_u32(int fd, int name, uint32_t v, const char *what)
{
    if (setsockopt(fd, SOL_XDP, name, &v, sizeof(v)) != 0)
        die("setsockopt(SOL_XDP, %s = %u): %s", what, v, strerror(errno));
}

/* Allocates the UMEM, opens, configures and binds a socket to ifname/queue (the calling
 * process's network namespace). Does not touch the fill ring or the XSKMAP. */
static void xsk_open(struct xsk *x, const char *ifname, int queue, const struct xsk_config *cfg)
{
    memset(x, 0, sizeof(*x));
    x->cfg = *cfg;
    x->queue = queue;
    x->ifindex = (int)if_nametoindex(ifname);
    if (x->ifindex == 0)
        die("no interface %s in this network namespace: %s", ifname, strerror(errno));

    x->umem_len = (size_t)cfg->frame_size * cfg->frame_count;
    x->umem = mmap(NULL, x->umem_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (x->umem == MAP_FAILED)
        die("mmap of a %zu-byte UMEM: %s", x->umem_len, strerror(errno));

    x->fd = socket(AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0);
    if (x->fd < 0)
        die("socket(AF_XDP): %s%s", strerror(errno), errno == EPERM ? " (needs root)" : "");

    struct xdp_umem_reg reg; /* 32 bytes with padding, zeroed: as the Java side passes */
    memset(&reg, 0, sizeof(reg));
    reg.addr = (uint64_t)(uintptr_t)x->umem;
    reg.len = x->umem_len;
    reg.chunk_size = cfg->frame_size;
    reg.headroom = cfg->headroom;
    if (setsockopt(x->fd, SOL_XDP, XDP_UMEM_REG, &reg, sizeof(reg)) != 0)
        die("setsockopt(XDP_UMEM_REG, %u x %u B): %s", cfg->frame_count, cfg->frame_size, strerror(errno));
    setsockopt_u32(x->fd, XDP_UMEM_FILL_RING, cfg->fill_size, "XDP_UMEM_FILL_RING");
    setsockopt_u32(x->fd, XDP_UMEM_COMPLETION_RING, cfg->comp_size, "XDP_UMEM_COMPLETION_RING");
    setsockopt_u32(x->fd, XDP_RX_RING, cfg->rx_size, "XDP_RX_RING");
    setsockopt_u32(x->fd, XDP_TX_RING, cfg->tx_size, "XDP_TX_RING");

    struct xdp_mmap_offsets off;
    socklen_t len = sizeof(off);
    if (getsockopt(x->fd, SOL_XDP, XDP_MMAP_OFFSETS, &off, &len) != 0)
        die("getsockopt(XDP_MMAP_OFFSETS): %s", strerror(errno));
    map_ring(x, &x->rx, &off.rx, cfg->rx_size, sizeof(struct xdp_desc), XDP_PGOFF_RX_RING, "RX", 0);
    map_ring(x, &x->tx, &off.tx, cfg->tx_size, sizeof(struct xdp_desc), XDP_PGOFF_TX_RING, "TX", 1);
    map_ring(x, &x->fill, &off.fr, cfg->fill_size, sizeof(uint64_t), XDP_UMEM_PGOFF_FILL_RING, "fill", 1);
    map_ring(x, &x->comp, &off.cr, cfg->comp_size, sizeof(uint64_t), XDP_UMEM_PGOFF_COMPLETION_RING, "completion", 0);

    if (cfg->tx_skb_budget > 0) {
        uint32_t b = (uint32_t)cfg->tx_skb_budget;
        if (setsockopt(x->fd, SOL_XDP, XDP_MAX_TX_SKB_BUDGET, &b, sizeof(b)) != 0 && errno != ENOPROTOOPT &&
            errno != EINVAL)
            die("setsockopt(XDP_MAX_TX_SKB_BUDGET = %u): %s", b, strerror(errno));
        /* older kernel: the default budget of 32 applies */
    }

    struct sockaddr_xdp sxdp;
    memset(&sxdp, 0, sizeof(sxdp));
    sxdp.sxdp_family = AF_XDP;
    sxdp.sxdp_flags = (cfg->need_wakeup ? XDP_USE_NEED_WAKEUP : 0) |
                      (cfg->copy_mode == 1 ? XDP_COPY : cfg->copy_mode == 2 ? XDP_ZEROCOPY : 0);
    sxdp.sxdp_ifindex = (uint32_t)x->ifindex;
    sxdp.sxdp_queue_id = (uint32_t)queue;
    /* a re-bind right after the previous socket on this queue closed can say EBUSY: back off */
    uint64_t deadline = now_ns() + 2000000000ull;
    useconds_t backoff = 10000;
    for (;;) {
        if (bind(x->fd, (struct sockaddr *)&sxdp, sizeof(sxdp)) == 0)
            break;
        if (errno == EBUSY && now_ns() < deadline) {
            usleep(backoff);
            backoff = backoff * 2 > 200000 ? 200000 : backoff * 2;
            continue;
        }
        if (cfg->copy_mode == 2 && (errno == EOPNOTSUPP || errno == EINVAL))
            die("bind(AF_XDP %s queue %d): %s; the driver cannot do AF_XDP zero-copy here, use --copy", ifname, queue,
                strerror(errno));
        die("bind(AF_XDP %s queue %d): %s", ifname, queue, strerror(errno));
    }
    struct xdp_options opts;
    len = sizeof(opts);
    if (getsockopt(x->fd, SOL_XDP, XDP_OPTIONS, &opts, &len) != 0)
        die("getsockopt(XDP_OPTIONS): %s", strerror(errno));
    x->zero_copy = (opts.flags & XDP_OPTIONS_ZEROCOPY) != 0;
}

static void xsk_close(struct xsk *x)
{
    munmap(x->rx.map, x->rx.map_len);
    munmap(x->tx.map, x->tx.map_len);
    munmap(x->fill.map, x->fill.map_len);
    munmap(x->comp.map, x->comp.map_len);
    close(x->fd);
    munmap(x->umem, x->umem_len);
}

/* sendto(fd, NULL, 0, MSG_DONTWAIT): returns 0 or -errno */
static inline int xsk_kick_tx(struct xsk *x)
{
    return sendto(x->fd, NULL, 0, MSG_DONTWAIT, NULL, 0) >= 0 ? 0 : -errno;
}

static inline int xsk_kick_rx(struct xsk *x)
{
    return recvfrom(x->fd, NULL, 0, MSG_DONTWAIT, NULL, NULL) >= 0 ? 0 : -errno;
}

MAYBE_UNUSED static struct xdp_statistics xsk_stats(struct xsk *x)
{
    struct xdp_statistics s;
    memset(&s, 0, sizeof(s));
    socklen_t len = sizeof(s);
    if (getsockopt(x->fd, SOL_XDP, XDP_STATISTICS, &s, &len) != 0)
        fprintf(stderr, "%s: getsockopt(XDP_STATISTICS): %s\n", g_prog, strerror(errno));
    return s;
}

/* -------------------------------------------------------------------------- interface facts */

MAYBE_UNUSED static int if_mac(const char *ifname, uint8_t mac[6])
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
    int rc = ioctl(fd, SIOCGIFHWADDR, &ifr);
    close(fd);
    if (rc != 0)
        return -1;
    memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
    return 0;
}

/* a counter from /sys/class/net/IF/statistics (the namespace's sysfs under ip netns exec), or -1 */
MAYBE_UNUSED static long long if_stat(const char *ifname, const char *name)
{
    char path[256];
    snprintf(path, sizeof(path), "/sys/class/net/%s/statistics/%s", ifname, name);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    long long v = -1;
    if (fscanf(f, "%lld", &v) != 1)
        v = -1;
    fclose(f);
    return v;
}

#endif
