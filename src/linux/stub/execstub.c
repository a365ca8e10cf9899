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
 *   argv: MODE PATH ARGV0 ARGS...     environment: the command's
 *
 * MODE is the sync channel's fd number, or "-" for none, followed by
 * letters:
 *   (none) exec the command in this process;
 *   f      fork: the command runs in a child, this process waits for it,
 *          forwards every signal it gets to it and exits with its status
 *          (128+N for signal N).  For `exec`, whose helper joins the
 *          container's PID namespace: the first process inside it is
 *          this stub's child, so no process running the runtime's own
 *          image is ever visible to the container;
 *   i      the same, as PID 1 of the container (--init): every orphan is
 *          reaped too;
 *   s      the child starts a session of its own;
 *   t      the same, with fd 0 (a terminal) as its controlling terminal;
 *   k      the child is killed when this process dies.
 * The caller blocks every signal before it runs the stub in a forking
 * mode (the mask survives execve), so none is lost before the wait loop.
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
#define NR_write	     1
#define NR_ioctl	     16
#define NR_rt_sigprocmask  14
#define NR_clone	     56
#define NR_execve	     59
#define NR_wait4	     61
#define NR_kill	     62
#define NR_fcntl	     72
#define NR_setsid	     112
#define NR_rt_sigtimedwait 128
#define NR_prctl	     157
#define NR_exit_group	     231
#define NR_close_range     436
static long sys4(long n, long a, long b, long c, long d)
{
	long r;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = 0;
	__asm__ volatile("syscall"
			 : "=a"(r)
			 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8)
			 : "rcx", "r11", "memory");
	return r;
}
#elif defined(__aarch64__)
#define NR_write	     64
#define NR_ioctl	     29
#define NR_rt_sigprocmask  135
#define NR_clone	     220
#define NR_execve	     221
#define NR_wait4	     260
#define NR_kill	     129
#define NR_fcntl	     25
#define NR_setsid	     157
#define NR_rt_sigtimedwait 137
#define NR_prctl	     167
#define NR_exit_group	     94
#define NR_close_range     436
static long sys4(long n, long a, long b, long c, long d)
{
	register long x8 __asm__("x8") = n;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	register long x3 __asm__("x3") = d;
	register long x4 __asm__("x4") = 0;
	__asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4) : "memory");
	return x0;
}
#else
#error "the exec stub supports x86_64 and aarch64"
#endif

static long sys3(long n, long a, long b, long c)
{
	return sys4(n, a, b, c, 0);
}

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

#define SIGCHLD_	   17
#define SIG_SETMASK_	   2
#define TIOCSCTTY_	   0x540E
#define PR_SET_PDEATHSIG_  1
#define SIGKILL_	   9

struct mode {
	long syncfd; /* -1: none */
	int fork, init, session, tty, pdeath;
};

/* MODE: digits or "-", then letters of "fistk" (see the top). */
static int parse_mode(const char *p, struct mode *m)
{
	m->syncfd = -1;
	if (*p == '-') {
		p++;
	} else if (*p >= '0' && *p <= '9') {
		m->syncfd = 0;
		while (*p >= '0' && *p <= '9')
			m->syncfd = m->syncfd * 10 + (*p++ - '0');
	} else {
		return -1;
	}
	for (; *p; p++) {
		switch (*p) {
		case 'f': m->fork = 1; break;
		case 'i': m->fork = m->init = 1; break;
		case 's': m->session = 1; break;
		case 't': m->session = m->tty = 1; break;
		case 'k': m->pdeath = 1; break;
		default: return -1;
		}
	}
	return 0;
}

static void report(long fd, const char *step, int e, unsigned kind, const char *what, const char *name)
{
	if (fd < 0)
		return;
	struct sync_msg m;
	for (size_t i = 0; i < sizeof(m); i++)
		((volatile char *)&m)[i] = 0;
	m.type = SYNC_ERROR;
	m.errnum = e;
	m.kind = kind;
	add(m.step, 0, sizeof(m.step), step);
	size_t n = add(m.text, 0, sizeof(m.text), what);
	n = add(m.text, n, sizeof(m.text), name);
	add(m.text, n, sizeof(m.text), "'");
	sys3(NR_write, fd, (long)&m, sizeof(m));
}

__attribute__((noreturn)) static void exec_command(const struct mode *md, char **argv, char **envp)
{
	if (md->syncfd >= 0)
		sys3(NR_fcntl, md->syncfd, F_SETFD_, FD_CLOEXEC_);
	long r = sys3(NR_execve, (long)argv[1], (long)(argv + 2), (long)envp);
	int e = (int)-r;
	report(md->syncfd, "exec", e, e == ENOENT_ ? PD_ERR_NOT_FOUND : PD_ERR_CANNOT_EXEC, "exec: '", argv[1]);
	die(e == ENOENT_ ? 127 : 126);
}

static int status_of(int st)
{
	int sig = st & 0x7f;
	return sig ? 128 + sig : (st >> 8) & 0xff;
}

/* The forking modes: the command in a child; here, wait for it, pass on
 * every signal, and (as PID 1) reap whatever else ends. */
__attribute__((noreturn)) static void fork_and_wait(const struct mode *md, char **argv, char **envp)
{
	unsigned long all = ~0UL, none = 0;
	long child = sys3(NR_clone, SIGCHLD_, 0, 0);
	if (child < 0) {
		report(md->syncfd, "fork", (int)-child, PD_ERR_RUNTIME, "fork the command: '", argv[1]);
		die(125);
	}
	if (child == 0) {
		if (md->pdeath)
			sys3(NR_prctl, PR_SET_PDEATHSIG_, SIGKILL_, 0);
		if (md->session)
			sys3(NR_setsid, 0, 0, 0);
		if (md->tty)
			sys3(NR_ioctl, 0, TIOCSCTTY_, 0);
		sys4(NR_rt_sigprocmask, SIG_SETMASK_, (long)&none, 0, sizeof(none));
		exec_command(md, argv, envp);
	}
	/* Nothing of the runtime's stays open here: the sync channel's end
	 * closes, so the runtime reads EOF once the command runs. */
	sys3(NR_close_range, 3, ~0U, 0);
	for (;;) {
		long info[16]; /* siginfo_t: 128 bytes */
		long sig = sys4(NR_rt_sigtimedwait, (long)&all, (long)info, 0, sizeof(all));
		if (sig < 0)
			continue;
		if (sig != SIGCHLD_) {
			sys3(NR_kill, child, sig, 0);
			continue;
		}
		int st;
		long p;
		while ((p = sys4(NR_wait4, md->init ? -1 : child, (long)&st, 1 /* WNOHANG */, 0)) > 0)
			if (p == child)
				die(status_of(st));
	}
}

__attribute__((used)) void stub_main(long *sp)
{
	long argc = sp[0];
	char **argv = (char **)(sp + 1);
	char **envp = argv + argc + 1;
	struct mode md = { 0 };
	if (argc < 3 || parse_mode(argv[0], &md) < 0) {
		/* Not started by the runtime: the command named the stub itself
		 * (as "/proc/self/exe" or a script's "#!/proc/self/exe"). */
		static const char msg[] = "pocket-docker: the command tried to run the runtime itself "
					  "(/proc/self/exe): refused\n";
		sys3(NR_write, 2, (long)msg, sizeof(msg) - 1);
		die(126);
	}
	if (md.fork)
		fork_and_wait(&md, argv, envp);
	exec_command(&md, argv, envp);
}

/* The entry point: the stack pointer holds argc, argv..., envp...; pass it
 * on with the stack aligned as the ABI wants. */
#if defined(__x86_64__)
__asm__(".text\n.global _start\n_start:\n\tmov %rsp, %rdi\n\tand $-16, %rsp\n\tcall stub_main\n\thlt\n");
#else
__asm__(".text\n.global _start\n_start:\n\tmov x0, sp\n\tbl stub_main\n\tbrk #0\n");
#endif
