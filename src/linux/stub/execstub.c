/* The exec stub: a tiny static program, with no libc and no ELF
 * interpreter, that the container's init (and `exec`) run from a sealed
 * memfd just before the command, so that the command's execve is made by a
 * process whose image is not the runtime's binary on the host.
 *
 * Why: during execve the kernel resolves a script's "#!" interpreter, and
 * an ELF program's interpreter (ld.so), from inside the container.  Were
 * the runtime itself the process doing the execve, a hostile image could
 * name /proc/self/exe as the interpreter (or as the command), or ship its
 * own ld.so, and so run its code in a process whose /proc/self/exe is the
 * runtime's binary on the host: open it, chmod it, wait to write it (the
 * CVE-2019-5736 class).  Here /proc/self/exe is this stub's memfd: sealed,
 * in memory, nothing of the host's.
 *
 *   argv: SYNCFD PATH ARGV0 ARGS...     environment: the command's
 *   (SYNCFD "-": no sync channel)
 *
 * It marks SYNCFD close-on-exec and execve()s PATH with ARGV0 ARGS...; if
 * that fails it sends the same SYNC_ERROR message the runtime would (step
 * "exec", the errno, 127 for ENOENT and 126 otherwise) and exits with that
 * status.  Started any other way (the command itself naming /proc/self/exe,
 * directly or as its "#!" interpreter), it says so and exits 126.  Built by
 * the Makefile with -nostdlib -static and embedded in the runtime
 * (execstub-blob.S). */
#include <stddef.h>
#include <stdint.h>

#include "linux/sync.h"

#if defined(__x86_64__)
#define NR_write      1
#define NR_fcntl      72
#define NR_execve     59
#define NR_exit_group 231
static long sys3(long n, long a, long b, long c)
{
	long r;
	__asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
	return r;
}
#elif defined(__aarch64__)
#define NR_write      64
#define NR_fcntl      25
#define NR_execve     221
#define NR_exit_group 94
static long sys3(long n, long a, long b, long c)
{
	register long x8 __asm__("x8") = n;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	__asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory");
	return x0;
}
#else
#error "the exec stub supports x86_64 and aarch64"
#endif

#define F_SETFD_    2
#define FD_CLOEXEC_ 1
#define ENOENT_	    2

__attribute__((noreturn)) static void die(int status)
{
	for (;;)
		sys3(NR_exit_group, status, 0, 0);
}

static size_t add(char *dst, size_t at, size_t cap, const char *s)
{
	while (*s && at + 1 < cap)
		dst[at++] = *s++;
	dst[at] = '\0';
	return at;
}

__attribute__((used)) void stub_main(long *sp)
{
	long argc = sp[0];
	char **argv = (char **)(sp + 1);
	char **envp = argv + argc + 1;
	int started = (argv[0][0] >= '0' && argv[0][0] <= '9') || (argv[0][0] == '-' && !argv[0][1]);
	if (argc < 3 || !started) {
		/* Not started by the runtime: the command named the stub itself
		 * (as "/proc/self/exe" or a script's "#!/proc/self/exe"). */
		static const char msg[] = "pocket-docker: the command tried to run the runtime itself "
					  "(/proc/self/exe): refused\n";
		sys3(NR_write, 2, (long)msg, sizeof(msg) - 1);
		die(126);
	}
	long fd = argv[0][0] == '-' ? -1 : 0;
	for (const char *p = argv[0]; fd >= 0 && *p >= '0' && *p <= '9'; p++)
		fd = fd * 10 + (*p - '0');
	if (fd >= 0)
		sys3(NR_fcntl, fd, F_SETFD_, FD_CLOEXEC_);
	long r = sys3(NR_execve, (long)argv[1], (long)(argv + 2), (long)envp);
	int e = (int)-r;
	struct sync_msg m;
	for (size_t i = 0; i < sizeof(m); i++)
		((volatile char *)&m)[i] = 0;
	m.type = SYNC_ERROR;
	m.errnum = e;
	m.kind = e == ENOENT_ ? PD_ERR_NOT_FOUND : PD_ERR_CANNOT_EXEC;
	add(m.step, 0, sizeof(m.step), "exec");
	size_t n = add(m.text, 0, sizeof(m.text), "exec: '");
	n = add(m.text, n, sizeof(m.text), argv[1]);
	add(m.text, n, sizeof(m.text), "'");
	if (fd >= 0)
		sys3(NR_write, fd, (long)&m, sizeof(m));
	die(e == ENOENT_ ? 127 : 126);
}

/* The entry point: the stack pointer holds argc, argv..., envp...; pass it
 * on with the stack aligned as the ABI wants. */
#if defined(__x86_64__)
__asm__(".text\n.global _start\n_start:\n\tmov %rsp, %rdi\n\tand $-16, %rsp\n\tcall stub_main\n\thlt\n");
#else
__asm__(".text\n.global _start\n_start:\n\tmov x0, sp\n\tbl stub_main\n\tbrk #0\n");
#endif
