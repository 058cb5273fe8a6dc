/* volio: sequential and 4 KiB random I/O on a block device with O_DIRECT, for
 * bench/volumes.py, which builds it at bench time and runs it inside the busybox guest.
 *
 *     volio MODE DEVICE MIB AMOUNT
 *
 * MODE: seqwrite, seqread (AMOUNT MiB from offset 0 in 1 MiB requests), randwrite,
 * randread (4 KiB requests at random 4 KiB-aligned offsets in the first MIB MiB, for
 * AMOUNT seconds). Writes end with an fsync, inside the timing. One line on stdout:
 *
 *     VOLIO mode=MODE bytes=N ops=N ns=N
 *
 * Freestanding (no libc: raw x86-64 system calls, its own _start) so that it is a few
 * kilobytes, static, and runs in a guest whatever libraries the guest has; it is carried
 * there in the user-data, whose size nuage's API limits. */

typedef unsigned long u64;

enum { SYS_WRITE = 1, SYS_OPEN = 2, SYS_CLOSE = 3, SYS_PREAD = 17, SYS_PWRITE = 18,
       SYS_FSYNC = 74, SYS_CLOCK_GETTIME = 228, SYS_EXIT_GROUP = 231 };
enum { O_RDONLY = 0, O_RDWR = 2, O_DIRECT = 040000 };
enum { BIG = 1 << 20, SMALL = 4096 };

static unsigned char buffer[BIG] __attribute__((aligned(4096)));

static long sys(long n, long a, long b, long c, long d) {
    register long r10 __asm__("r10") = d;
    long ret;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10)
                     : "rcx", "r11", "memory");
    return ret;
}

static u64 now_ns(void) {
    long ts[2];
    sys(SYS_CLOCK_GETTIME, 1 /* CLOCK_MONOTONIC */, (long)ts, 0, 0);
    return (u64)ts[0] * 1000000000UL + (u64)ts[1];
}

static u64 state = 0x9e3779b97f4a7c15UL;

static u64 next(void) {     /* xorshift64 */
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
}

static int len(const char *s) { int n = 0; while (s[n]) n++; return n; }

static void put(const char *s) { sys(SYS_WRITE, 1, (long)s, len(s), 0); }

static void put_u64(u64 v) {
    char text[24];
    int i = 23;
    text[i] = 0;
    do { text[--i] = (char)('0' + v % 10); v /= 10; } while (v);
    put(text + i);
}

static int same(const char *a, const char *b) {
    while (*a && *a == *b) { a++; b++; }
    return *a == *b;
}

static u64 number(const char *s) {
    u64 v = 0;
    while (*s >= '0' && *s <= '9') v = v * 10 + (u64)(*s++ - '0');
    return v;
}

static void fail(const char *what, long err) {
    put("VOLIO error=");
    put(what);
    put(" errno=");
    put_u64((u64)-err);
    put("\n");
    sys(SYS_EXIT_GROUP, 1, 0, 0, 0);
}

static int run(int argc, char **argv) {
    if (argc != 5) {
        put("usage: volio seqwrite|seqread|randwrite|randread DEVICE MIB AMOUNT\n");
        return 2;
    }
    const char *mode = argv[1];
    int write = same(mode, "seqwrite") || same(mode, "randwrite");
    int random = same(mode, "randwrite") || same(mode, "randread");
    if (!write && !random && !same(mode, "seqread")) fail("mode", -22);
    u64 region = number(argv[3]) << 20, amount = number(argv[4]);
    for (u64 i = 0; i < BIG; i += 8) *(u64 *)(buffer + i) = next();   /* not zeros */
    long fd = sys(SYS_OPEN, (long)argv[2], (write ? O_RDWR : O_RDONLY) | O_DIRECT, 0, 0);
    if (fd < 0) fail("open", fd);
    u64 bytes = 0, ops = 0, began = now_ns(), until = began + amount * 1000000000UL;
    if (!random) {
        u64 total = amount << 20;
        if (total > region) total = region;
        for (u64 off = 0; off < total; off += BIG) {
            long n = sys(write ? SYS_PWRITE : SYS_PREAD, fd, (long)buffer, BIG, (long)off);
            if (n != BIG) fail(write ? "pwrite" : "pread", n < 0 ? n : -5);
            bytes += BIG;
            ops++;
        }
    } else {
        u64 blocks = region / SMALL;
        do {
            for (int i = 0; i < 64; i++) {
                long off = (long)((next() % blocks) * SMALL);
                long n = sys(write ? SYS_PWRITE : SYS_PREAD, fd, (long)buffer, SMALL, off);
                if (n != SMALL) fail(write ? "pwrite" : "pread", n < 0 ? n : -5);
                bytes += SMALL;
                ops++;
            }
        } while (now_ns() < until);
    }
    if (write) {
        long err = sys(SYS_FSYNC, fd, 0, 0, 0);
        if (err < 0) fail("fsync", err);
    }
    u64 ns = now_ns() - began;
    sys(SYS_CLOSE, fd, 0, 0, 0);
    put("VOLIO mode=");
    put(mode);
    put(" bytes=");
    put_u64(bytes);
    put(" ops=");
    put_u64(ops);
    put(" ns=");
    put_u64(ns);
    put("\n");
    return 0;
}

void start_c(long *sp) {
    sys(SYS_EXIT_GROUP, run((int)sp[0], (char **)(sp + 1)), 0, 0, 0);
}

__asm__(".text\n.global _start\n_start:\n"
        "  xor %rbp, %rbp\n  mov %rsp, %rdi\n  and $-16, %rsp\n  call start_c\n  hlt\n");
