/* Unit tests for linux/seccomp: the default profile, JSON profiles, the BPF
 * export.  Each filter is loaded in a forked child (under no_new_privs, so no
 * root is needed) which runs its probes and exits with 0, or with the line of
 * the first failing probe after printing it. */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/kcmp.h>
#include <linux/keyctl.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "linux/seccomp.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif

#define CAPBIT(c) (UINT64_C(1) << (c))

/* Docker's 14 default capabilities. */
static const uint64_t docker_caps = CAPBIT(CAP_CHOWN) | CAPBIT(CAP_DAC_OVERRIDE) | CAPBIT(CAP_FSETID) |
				    CAPBIT(CAP_FOWNER) | CAPBIT(CAP_MKNOD) | CAPBIT(CAP_NET_RAW) |
				    CAPBIT(CAP_SETGID) | CAPBIT(CAP_SETUID) | CAPBIT(CAP_SETFCAP) |
				    CAPBIT(CAP_SETPCAP) | CAPBIT(CAP_NET_BIND_SERVICE) |
				    CAPBIT(CAP_SYS_CHROOT) | CAPBIT(CAP_KILL) | CAPBIT(CAP_AUDIT_WRITE);

/* In the child: the call must fail with errno e. */
#define EXPECT_ERRNO(call, e)                                                                                \
	do {                                                                                                 \
		errno = 0;                                                                                   \
		long r_ = (long)(call);                                                                      \
		if (r_ != -1 || errno != (e)) {                                                              \
			dprintf(2, "%s:%d: %s: returned %ld errno %d, want errno %d\n", __FILE__, __LINE__,  \
				#call, r_, errno, (e));                                                      \
			return __LINE__ & 0xff ? __LINE__ & 0xff : 1;                                        \
		}                                                                                            \
	} while (0)

/* In the child: the call must not fail with the filter's errno e. */
#define EXPECT_NOT_ERRNO(call, e)                                                                            \
	do {                                                                                                 \
		errno = 0;                                                                                   \
		long r_ = (long)(call);                                                                      \
		if (r_ == -1 && errno == (e)) {                                                              \
			dprintf(2, "%s:%d: %s: failed with errno %d\n", __FILE__, __LINE__, #call, errno);   \
			return __LINE__ & 0xff ? __LINE__ & 0xff : 1;                                        \
		}                                                                                            \
	} while (0)

/* In the child: the call must succeed. */
#define EXPECT_OK(call)                                                                                      \
	do {                                                                                                 \
		errno = 0;                                                                                   \
		long r_ = (long)(call);                                                                      \
		if (r_ < 0) {                                                                                \
			dprintf(2, "%s:%d: %s: failed with errno %d\n", __FILE__, __LINE__, #call, errno);   \
			return __LINE__ & 0xff ? __LINE__ & 0xff : 1;                                        \
		}                                                                                            \
	} while (0)

/* Fork, set no_new_privs, load `s` (or the raw program), run probe. */
static void run_confined(const struct pd_seccomp *s, const void *bpf, size_t len, int (*probe)(void))
{
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct pd_err *e = NULL;
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			_exit(250);
		int rc = s ? pd_seccomp_load(s, &e) : pd_seccomp_load_bpf(bpf, len, &e);
		if (rc < 0) {
			dprintf(2, "load: %s: %s\n", e->msg, strerror(e->errnum));
			_exit(251);
		}
		_exit(probe());
	}
	int st = 0;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	if (WIFSIGNALED(st))
		fail_msg("confined child killed by signal %d", WTERMSIG(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static struct pd_seccomp *must_default(uint64_t caps)
{
	struct pd_err *e = NULL;
	struct pd_seccomp *s = pd_seccomp_default(caps, &e);
	if (!s)
		fail_msg("pd_seccomp_default: %s", e->msg);
	return s;
}

/* ---- the default profile ---- */

/* clone(2) with `flags`; a child that should not exist leaves at once. */
static long clone_flags(unsigned long flags)
{
	long r = syscall(SYS_clone, flags | SIGCHLD, 0, NULL, NULL, 0);
	if (r == 0)
		_exit(0);
	return r;
}

static int probe_default(void)
{
	int p[2];
	EXPECT_OK(syscall(SYS_getpid));
	EXPECT_OK(pipe2(p, O_CLOEXEC));
	EXPECT_OK(write(p[1], "x", 1));
	/* Keyrings, eBPF, perf, file handles, kexec, modules: always refused. */
	EXPECT_ERRNO(syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0), EPERM);
	EXPECT_ERRNO(syscall(SYS_add_key, "user", "pd", "x", 1, KEY_SPEC_SESSION_KEYRING), EPERM);
	EXPECT_ERRNO(syscall(SYS_request_key, "user", "pd", NULL, 0), EPERM);
	EXPECT_ERRNO(syscall(SYS_bpf, 0, NULL, 0), EPERM);
	EXPECT_ERRNO(syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0), EPERM);
	EXPECT_ERRNO(syscall(SYS_open_by_handle_at, AT_FDCWD, NULL, 0), EPERM);
	EXPECT_ERRNO(syscall(SYS_kexec_load, 0, 0, NULL, 0), EPERM);
	EXPECT_ERRNO(syscall(SYS_kexec_file_load, -1, -1, 0, NULL, 0), EPERM);
	EXPECT_ERRNO(syscall(SYS_userfaultfd, 0), EPERM);
	EXPECT_ERRNO(syscall(SYS_init_module, NULL, 0, ""), EPERM);
	EXPECT_ERRNO(syscall(SYS_finit_module, -1, "", 0), EPERM);
	EXPECT_ERRNO(syscall(SYS_reboot, 0, 0, 0, NULL), EPERM);
	EXPECT_ERRNO(syscall(SYS_swapon, "/nonexistent", 0), EPERM);
	EXPECT_ERRNO(syscall(SYS_settimeofday, NULL, NULL), EPERM);
	EXPECT_ERRNO(syscall(SYS_io_uring_setup, 1, NULL), EPERM);
	/* Mounts and namespaces: EPERM, not ENOSYS (nothing to fall back to). */
	EXPECT_ERRNO(mount("none", "/nonexistent", "tmpfs", 0, NULL), EPERM);
	EXPECT_ERRNO(umount2("/nonexistent", 0), EPERM);
	EXPECT_ERRNO(unshare(CLONE_NEWUSER), EPERM);
	EXPECT_ERRNO(unshare(CLONE_NEWNS), EPERM);
	EXPECT_ERRNO(setns(-1, 0), EPERM);
	EXPECT_ERRNO(syscall(SYS_pivot_root, "/", "/"), EPERM);
	unsigned long nsflags[] = { CLONE_NEWUSER, CLONE_NEWNS,	 CLONE_NEWPID,	 CLONE_NEWNET,
				    CLONE_NEWUTS,  CLONE_NEWIPC, CLONE_NEWCGROUP };
	for (size_t i = 0; i < ARRAY_SIZE(nsflags); i++)
		EXPECT_ERRNO(clone_flags(nsflags[i]), EPERM);
	/* clone3 hides its flags in memory: ENOSYS, so libc uses clone. */
	EXPECT_ERRNO(syscall(SYS_clone3, NULL, 0), ENOSYS);
	/* Plain fork (clone without namespace flags) works. */
	pid_t pid = fork();
	if (pid == 0)
		_exit(7);
	EXPECT_OK(pid);
	int st = 0;
	EXPECT_OK(waitpid(pid, &st, 0));
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 7)
		return 2;
	/* vsock is refused, including with junk in the upper half of the int. */
	EXPECT_ERRNO(socket(AF_VSOCK, SOCK_STREAM, 0), EPERM);
	EXPECT_ERRNO(syscall(SYS_socket, (UINT64_C(1) << 32) | AF_VSOCK, SOCK_STREAM, 0), EPERM);
	EXPECT_OK(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
	/* personality: the query and PER_LINUX, not READ_IMPLIES_EXEC. */
	EXPECT_OK(personality(0xffffffff));
	EXPECT_ERRNO(personality(READ_IMPLIES_EXEC), EPERM);
	/* Capability-gated groups: chroot is in the default caps, kcmp
	 * (CAP_SYS_PTRACE) is not; ptrace itself is allowed (kernel >= 4.8). */
	EXPECT_ERRNO(chroot("/nonexistent-pd"), ENOENT);
	EXPECT_ERRNO(syscall(SYS_kcmp, getpid(), getpid(), KCMP_FILE, 0, 0), EPERM);
	EXPECT_NOT_ERRNO(syscall(SYS_ptrace, 2 /* PTRACE_PEEKDATA */, 1, NULL, NULL), EPERM);
	/* Not in the list: EPERM.  Newer than anything the profile names
	 * (listmount, 458 on x86_64): ENOSYS, so libc can fall back. */
	EXPECT_ERRNO(syscall(SYS_sysfs, 1, "proc"), EPERM);
#if defined(__x86_64__)
	EXPECT_ERRNO(syscall(458, NULL, NULL, 0, 0), ENOSYS);
#endif
	return 0;
}

static void test_default_docker_caps(void **state)
{
	_cleanup_seccomp_ struct pd_seccomp *s = must_default(docker_caps);
	run_confined(s, NULL, 0, probe_default);
}

static int probe_admin(void)
{
	/* With CAP_SYS_ADMIN clone3 reaches the kernel (EINVAL for size 0). */
	EXPECT_NOT_ERRNO(syscall(SYS_clone3, NULL, 0), ENOSYS);
	/* With CAP_SYS_PTRACE kcmp reaches the kernel (0: same file). */
	int fd = open("/", O_RDONLY | O_CLOEXEC);
	EXPECT_OK(syscall(SYS_kcmp, getpid(), getpid(), KCMP_FILE, fd, fd));
	/* Still refused whatever the caps. */
	EXPECT_ERRNO(syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0), EPERM);
	EXPECT_ERRNO(syscall(SYS_kexec_load, 0, 0, NULL, 0), EPERM);
	return 0;
}

static void test_default_cap_groups(void **state)
{
	_cleanup_seccomp_ struct pd_seccomp *s =
	    must_default(docker_caps | CAPBIT(CAP_SYS_ADMIN) | CAPBIT(CAP_SYS_PTRACE));
	run_confined(s, NULL, 0, probe_admin);
}

#if defined(__x86_64__)
/* i386 system calls through int 0x80 from a 64-bit process. */
static long int80(long nr, long a, long b, long c)
{
	long r;
	__asm__ volatile("int $0x80" : "=a"(r) : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory");
	return r;
}

static int probe_i386(void)
{
	signal(SIGSEGV, SIG_DFL);
	if (int80(20 /* getpid */, 0, 0, 0) != getpid())
		return 3;
	if (int80(288 /* keyctl */, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0) != -EPERM)
		return 4;
	if (int80(310 /* unshare */, CLONE_NEWUSER, 0, 0) != -EPERM)
		return 5;
	return 0;
}

static int probe_int80_works(void)
{
	/* cmocka catches SIGSEGV; this child must just die of it. */
	signal(SIGSEGV, SIG_DFL);
	return int80(20, 0, 0, 0) == getpid() ? 0 : 1;
}
#endif

static void test_default_i386_abi(void **state)
{
#if defined(__x86_64__)
	/* Kernels built without IA32 emulation, or booted with
	 * ia32_emulation=0, kill int 0x80 with SIGSEGV. */
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0)
		_exit(probe_int80_works());
	int st = 0;
	waitpid(pid, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		print_message("SKIP: this kernel has no i386 syscall ABI (int 0x80 failed)\n");
		skip();
	}
	_cleanup_seccomp_ struct pd_seccomp *s = must_default(docker_caps);
	run_confined(s, NULL, 0, probe_i386);
#else
	skip();
#endif
}

static void test_export_roundtrip(void **state)
{
	_cleanup_seccomp_ struct pd_seccomp *s = must_default(docker_caps);
	_cleanup_free_ void *bpf = NULL;
	size_t len = 0;
	struct pd_err *e = NULL;
	assert_int_equal(pd_seccomp_export(s, &bpf, &len, &e), 0);
	assert_int_equal(len, pd_seccomp_insns(s) * 8);
	run_confined(NULL, bpf, len, probe_default);

	_cleanup_seccomp_ struct pd_seccomp *back = pd_seccomp_from_bpf(bpf, len, &e);
	assert_non_null(back);
	run_confined(back, NULL, 0, probe_default);

	assert_null(pd_seccomp_from_bpf(bpf, len - 3, &e));
	assert_non_null(e);
	pd_err_free(e);
}

static void test_cache_key(void **state)
{
	char a[96], b[96], c[96];
	assert_true(pd_seccomp_default_key(docker_caps, a, sizeof(a)) > 0);
	/* CAP_CHOWN changes nothing in the profile: same key. */
	assert_true(pd_seccomp_default_key(docker_caps & ~CAPBIT(CAP_CHOWN), b, sizeof(b)) > 0);
	assert_string_equal(a, b);
	assert_true(pd_seccomp_default_key(docker_caps | CAPBIT(CAP_SYS_ADMIN), c, sizeof(c)) > 0);
	assert_string_not_equal(a, c);
	assert_int_equal(pd_seccomp_default_key(docker_caps, a, 8), -1);
}

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void test_default_build_time(void **state)
{
	enum { N = 200 };
	struct pd_seccomp *s = must_default(docker_caps); /* warm up */
	pd_seccomp_free(s);
	double best = 1e12, total = 0;
	for (int i = 0; i < N; i++) {
		double t0 = now_us();
		s = must_default(docker_caps);
		double dt = now_us() - t0;
		total += dt;
		if (dt < best)
			best = dt;
		pd_seccomp_free(s);
	}
	s = must_default(docker_caps);
	print_message("default profile: %zu BPF instructions, built in %.0f us on average, %.0f us best\n",
		      pd_seccomp_insns(s), total / N, best);
	pd_seccomp_free(s);
	/* A loose bound: a regression to per-call kernel work would show. */
	assert_true(total / N < 50000);
}

static char tmpdir[64];

static void test_default_cached(void **state)
{
	_cleanup_free_ char *dir = xasprintf("%s/cache", tmpdir);
	assert_int_equal(mkdir(dir, 0700), 0);
	struct pd_err *e = NULL;
	double t0 = now_us();
	_cleanup_seccomp_ struct pd_seccomp *cold = pd_seccomp_default_cached(dir, docker_caps, &e);
	double t1 = now_us();
	assert_non_null(cold);
	double best = 1e12;
	for (int i = 0; i < 100; i++) {
		double a = now_us();
		struct pd_seccomp *warm = pd_seccomp_default_cached(dir, docker_caps, &e);
		double dt = now_us() - a;
		best = dt < best ? dt : best;
		assert_non_null(warm);
		assert_int_equal(pd_seccomp_insns(warm), pd_seccomp_insns(cold));
		pd_seccomp_free(warm);
	}
	print_message("default profile: %.0f us compiled and cached, %.1f us from the cache (best)\n",
		      t1 - t0, best);
	_cleanup_seccomp_ struct pd_seccomp *warm = pd_seccomp_default_cached(dir, docker_caps, &e);
	run_confined(warm, NULL, 0, probe_default);

	/* A file in the cache directory is never trusted, even one in the
	 * format earlier versions wrote and read (header, then the program,
	 * FNV-1a checksum correct), as a container with a volume there
	 * could plant: a program that allows everything. */
	char key[96];
	assert_true(pd_seccomp_default_key(docker_caps, key, sizeof(key)) > 0);
	_cleanup_free_ char *path = xasprintf("%s/seccomp-%s.bpf", dir, key);
	struct sock_filter allow[] = { BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
	struct {
		char magic[8];
		uint64_t len, hash;
	} h = { .len = sizeof(allow), .hash = UINT64_C(0xcbf29ce484222325) };
	memcpy(h.magic, "PDSECBPF", 8);
	for (size_t i = 0; i < sizeof(allow); i++)
		h.hash = (h.hash ^ ((const unsigned char *)allow)[i]) * UINT64_C(0x100000001b3);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, &h, sizeof(h)), sizeof(h));
	assert_int_equal(write(fd, allow, sizeof(allow)), sizeof(allow));
	close(fd);
	_cleanup_seccomp_ struct pd_seccomp *again = pd_seccomp_default_cached(dir, docker_caps, &e);
	assert_non_null(again);
	assert_int_equal(pd_seccomp_insns(again), pd_seccomp_insns(cold));
	run_confined(again, NULL, 0, probe_default);
}

/* ---- JSON profiles ---- */

static int setup_tmp(void **state)
{
	strcpy(tmpdir, "/tmp/pd-seccomp-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_tmp(void **state)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static struct pd_seccomp *json_ok(const char *text)
{
	struct pd_err *e = NULL;
	struct pd_seccomp *s = pd_seccomp_from_json("ok.json", text, docker_caps, &e);
	if (!s)
		fail_msg("pd_seccomp_from_json: %s", e->msg);
	return s;
}

/* The error message for a profile that must be refused. */
static char *json_err(const char *text)
{
	struct pd_err *e = NULL;
	struct pd_seccomp *s = pd_seccomp_from_json("bad.json", text, docker_caps, &e);
	assert_null(s);
	assert_non_null(e);
	assert_int_equal(e->kind, PD_ERR_USAGE);
	char *msg = xstrdup(e->msg);
	pd_err_free(e);
	return msg;
}

static int probe_mkdir(void)
{
	char path[96];
	snprintf(path, sizeof(path), "%s/d1", tmpdir);
	EXPECT_ERRNO(syscall(SYS_mkdir, path, 0700), EPERM);
	/* mkdirat is another call, not in the profile: allowed. */
	EXPECT_OK(syscall(SYS_mkdirat, AT_FDCWD, path, 0700));
	/* errnoRet, args, includes and excludes. */
	EXPECT_ERRNO(syscall(SYS_getppid), EACCES);
	EXPECT_ERRNO(personality(0x123456), EPERM);
	EXPECT_OK(personality(0xffffffff));
	EXPECT_OK(syscall(SYS_getuid));		   /* includes CAP_SYS_ADMIN: not applied */
	EXPECT_OK(syscall(SYS_getgid));		   /* excludes CAP_CHOWN: not applied */
	EXPECT_ERRNO(syscall(SYS_getegid), EPERM); /* excludes CAP_SYS_ADMIN: applied */
	EXPECT_OK(syscall(SYS_geteuid));	   /* minKernel 99.0: not applied */
	return 0;
}

static void test_json_profile(void **state)
{
	_cleanup_seccomp_ struct pd_seccomp *s = json_ok(
	    "{\"defaultAction\": \"SCMP_ACT_ALLOW\",\n"
	    " \"archMap\": [{\"architecture\": \"SCMP_ARCH_X86_64\",\n"
	    "               \"subArchitectures\": [\"SCMP_ARCH_X86\", \"SCMP_ARCH_X32\"]},\n"
	    "              {\"architecture\": \"SCMP_ARCH_AARCH64\", \"subArchitectures\": "
	    "[\"SCMP_ARCH_ARM\"]}],\n"
	    " \"syscalls\": [\n"
	    "  {\"names\": [\"mkdir\", \"no_such_call_pd\"], \"action\": \"SCMP_ACT_ERRNO\"},\n"
	    "  {\"name\": \"getppid\", \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 13, \"comment\": "
	    "\"x\"},\n"
	    "  {\"names\": [\"personality\"], \"action\": \"SCMP_ACT_ERRNO\",\n"
	    "   \"args\": [{\"index\": 0, \"value\": 1193046, \"valueTwo\": 0, \"op\": \"SCMP_CMP_EQ\"}]},\n"
	    "  {\"names\": [\"getuid\"], \"action\": \"SCMP_ACT_ERRNO\", \"includes\": {\"caps\": "
	    "[\"CAP_SYS_ADMIN\"]}},\n"
	    "  {\"names\": [\"getgid\"], \"action\": \"SCMP_ACT_ERRNO\", \"excludes\": {\"caps\": "
	    "[\"CAP_CHOWN\"]}},\n"
	    "  {\"names\": [\"getegid\"], \"action\": \"SCMP_ACT_ERRNO\", \"excludes\": {\"caps\": "
	    "[\"CAP_SYS_ADMIN\"]}},\n"
	    "  {\"names\": [\"geteuid\"], \"action\": \"SCMP_ACT_ERRNO\", \"includes\": {\"minKernel\": "
	    "\"99.0\"}}\n"
	    " ]}\n");
	run_confined(s, NULL, 0, probe_mkdir);
}

static int probe_deny_default(void)
{
	EXPECT_OK(syscall(SYS_getpid));
	EXPECT_ERRNO(syscall(SYS_getppid), EACCES); /* defaultErrnoRet 13 */
	/* Leave by the one exit this profile allows, before any sanitizer
	 * runtime wants mmap or sigaltstack on its way out. */
	syscall(SYS_exit_group, 0);
	return 0;
}

static void test_json_allowlist(void **state)
{
	/* An allowlist with a custom default errno; enough calls for the child
	 * to run its probe and exit. */
	_cleanup_seccomp_ struct pd_seccomp *s =
	    json_ok("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 13,\n"
		    " \"architectures\": [\"SCMP_ARCH_X86_64\"],\n"
		    " \"syscalls\": [{\"names\": [\"getpid\", \"write\", \"exit\", \"exit_group\"],\n"
		    "                \"action\": \"SCMP_ACT_ALLOW\"}]}\n");
	run_confined(s, NULL, 0, probe_deny_default);
}

static void test_json_default_equivalent(void **state)
{
	/* The Docker default profile's own clone rule, in JSON. */
	_cleanup_seccomp_ struct pd_seccomp *s =
	    json_ok("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [\n"
		    " {\"names\": [\"unshare\"], \"action\": \"SCMP_ACT_ERRNO\",\n"
		    "  \"args\": [{\"index\": 0, \"value\": 268435456, \"valueTwo\": 268435456,\n"
		    "             \"op\": \"SCMP_CMP_MASKED_EQ\"}]}]}\n");
	assert_true(pd_seccomp_insns(s) > 0);
}

static void test_json_malformed(void **state)
{
	_cleanup_free_ char *msg = json_err("{\"defaultAction\": \"SCMP_ACT_ALLOW\",\n \"syscalls\": [\n");
	assert_non_null(strstr(msg, "bad.json"));
	assert_non_null(strstr(msg, "line"));
}

static void test_json_unknown_action(void **state)
{
	_cleanup_free_ char *msg =
	    json_err("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [\n"
		     " {\"names\": [\"getpid\"], \"action\": \"SCMP_ACT_ALLOW\"},\n"
		     " {\"names\": [\"mkdir\"], \"action\": \"SCMP_ACT_FROBNICATE\"}]}\n");
	assert_non_null(strstr(msg, "SCMP_ACT_FROBNICATE"));
	assert_non_null(strstr(msg, "syscalls[1]"));
	assert_non_null(strstr(msg, "mkdir"));
}

static void test_json_errors(void **state)
{
	struct {
		const char *text, *want;
	} cases[] = {
		{ "{\"defaultAction\": \"SCMP_ACT_FOO\"}", "SCMP_ACT_FOO" },
		{ "{\"syscalls\": []}", "defaultAction is missing" },
		{ "[1, 2]", "not a JSON object" },
		{ "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"mkdir\"],"
		  " \"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 0, \"value\": 1, \"op\": "
		  "\"SCMP_CMP_XX\"}]}]}",
		  "SCMP_CMP_XX" },
		{ "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"mkdir\"],"
		  " \"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 9, \"value\": 1, \"op\": "
		  "\"SCMP_CMP_EQ\"}]}]}",
		  "index" },
		{ "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [\"SCMP_ARCH_VAX\"]}",
		  "SCMP_ARCH_VAX" },
		{ "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"mkdir\"],"
		  " \"action\": \"SCMP_ACT_ERRNO\", \"includes\": {\"caps\": [\"CAP_FLY\"]}}]}",
		  "CAP_FLY" },
		{ "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"mkdir\"],"
		  " \"action\": \"SCMP_ACT_NOTIFY\"}]}",
		  "listener" },
		{ "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"name\": \"a\", \"names\": "
		  "[\"b\"],"
		  " \"action\": \"SCMP_ACT_ERRNO\"}]}",
		  "both" },
		{ "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"flags\": [\"SECCOMP_FILTER_FLAG_NOPE\"]}",
		  "NOPE" },
		{ "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 99999}", "errnoRet" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_free_ char *msg = json_err(cases[i].text);
		if (!strstr(msg, cases[i].want))
			fail_msg("case %zu: '%s' does not mention '%s'", i, msg, cases[i].want);
	}
}

static void test_json_names_its_source(void **state)
{
	struct pd_err *e = NULL;
	assert_null(pd_seccomp_from_json("/some/profile.json", "{", docker_caps, &e));
	assert_non_null(e);
	assert_int_equal(e->kind, PD_ERR_USAGE);
	assert_non_null(strstr(e->msg, "/some/profile.json"));
	pd_err_free(e);
}

static int probe_nothing(void)
{
	return 0;
}

static void test_load_needs_nnp(void **state)
{
	if (geteuid() == 0) {
		/* root has CAP_SYS_ADMIN, which stands in for no_new_privs. */
		print_message("SKIP: running as root, no_new_privs is not required\n");
		skip();
	}
	_cleanup_seccomp_ struct pd_seccomp *s = must_default(docker_caps);
	struct pd_err *e = NULL;
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0)
		_exit(pd_seccomp_load(s, &e) < 0 && e->errnum == EACCES ? 0 : 1);
	int st = 0;
	waitpid(pid, &st, 0);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	run_confined(s, NULL, 0, probe_nothing);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_docker_caps), cmocka_unit_test(test_default_cap_groups),
		cmocka_unit_test(test_default_i386_abi),    cmocka_unit_test(test_export_roundtrip),
		cmocka_unit_test(test_cache_key),	    cmocka_unit_test(test_default_build_time),
		cmocka_unit_test(test_default_cached),	    cmocka_unit_test(test_json_profile),
		cmocka_unit_test(test_json_allowlist),	    cmocka_unit_test(test_json_default_equivalent),
		cmocka_unit_test(test_json_malformed),	    cmocka_unit_test(test_json_unknown_action),
		cmocka_unit_test(test_json_errors),	    cmocka_unit_test(test_json_names_its_source),
		cmocka_unit_test(test_load_needs_nnp),
	};
	return cmocka_run_group_tests(tests, setup_tmp, teardown_tmp);
}
