/* Seccomp filters (see seccomp.h).  Two halves run in two processes:
 *
 *  - compiling (pd_seccomp_default, pd_seccomp_from_json) runs in the runtime
 *    before clone, unprivileged, with libseccomp and jansson: rules are added
 *    to a libseccomp context, which is exported as a BPF program at once and
 *    released;
 *  - loading (pd_seccomp_load, pd_seccomp_load_bpf) runs in the container's
 *    init as its last step, after no_new_privs and just before execve: one
 *    seccomp(2) call, no allocation, no libseccomp state.
 *
 * The exported program gets a short prologue of our own, as runc does: a
 * system call numbered above every call the profile names (a call newer than
 * this libseccomp or this profile) fails with ENOSYS instead of the default
 * EPERM, so a newer libc in the image falls back to the old call (as glibc
 * does from clone3 to clone, from fchmodat2 to fchmodat) instead of failing.
 * It only applies when the default action is an errno: a call it catches was
 * refused anyway, only the errno differs.
 *
 * libseccomp needs ~13 ms for the default profile on x86_64 (three ABIs,
 * ~1,300 instructions); pd_seccomp_default_cached keeps the finished
 * programs in the kernel keyring of the runtime's user (never in a file a
 * container could reach: see the cache's section), keyed by libseccomp
 * version, table hash and the capabilities that matter. */
#include "linux/seccomp.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/keyctl.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/xalloc.h"

struct pd_seccomp {
	size_t len;	/* instructions in prog */
	unsigned flags; /* SECCOMP_FILTER_FLAG_* for seccomp(2) */
	struct sock_filter prog[];
};

#define MAX_ARCHES	8
#define X32_SYSCALL_BIT 0x40000000u

/* A libseccomp context being filled, and what the ENOSYS prologue needs. */
struct builder {
	scmp_filter_ctx ctx;
	uint32_t def_action;
	size_t narches;
	uint32_t arches[MAX_ARCHES];
	int64_t max_nr[MAX_ARCHES]; /* highest number named per arch, -1 none */
};

static void builder_release(struct builder *b)
{
	if (b->ctx)
		seccomp_release(b->ctx);
	b->ctx = NULL;
}

static int builder_add_arch(struct builder *b, uint32_t arch, struct pd_err **err)
{
	for (size_t i = 0; i < b->narches; i++)
		if (b->arches[i] == arch)
			return 0;
	if (b->narches == MAX_ARCHES)
		return pd_fail(err, 0, "too many architectures in the seccomp filter");
	int rc = seccomp_arch_add(b->ctx, arch);
	if (rc < 0 && rc != -EEXIST)
		return pd_fail(err, -rc, "add architecture 0x%x to the seccomp filter", arch);
	b->arches[b->narches] = arch;
	b->max_nr[b->narches++] = -1;
	return 0;
}

static int builder_init(struct builder *b, uint32_t def_action, struct pd_err **err)
{
	*b = (struct builder){ .def_action = def_action };
	b->ctx = seccomp_init(def_action);
	if (!b->ctx)
		return pd_fail(err, EINVAL, "create seccomp filter");
	/* A call from an ABI the filter does not cover (int 0x80 when i386 is
	 * not listed) can only be a confused or hostile program. */
	int rc = seccomp_attr_set(b->ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	if (rc < 0)
		return pd_fail(err, -rc, "set the seccomp bad-arch action");
	/* Syscall numbers sorted into a binary tree instead of one long
	 * chain of comparisons: a call walks ~log2(n) of them, not up to n,
	 * and the kernel's per-syscall action cache, which emulates the
	 * filter for every syscall number when it is loaded, is built in a
	 * fraction of the time.  Kept to the default level where the library
	 * lacks it. */
	seccomp_attr_set(b->ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	return builder_add_arch(b, seccomp_arch_native(), err);
}

/* Add one rule for each name; names unknown to libseccomp are skipped, as
 * Docker does (a profile may name calls of newer kernels).  `what` names the
 * entry in errors. */
static int builder_add(struct builder *b, const char *const *names, size_t nnames, uint32_t action,
		       const struct scmp_arg_cmp *args, unsigned nargs, const char *what, struct pd_err **err)
{
	/* libseccomp refuses a rule that repeats the default action; it would
	 * change nothing, so it is dropped (runc does the same). */
	if (action == b->def_action)
		return 0;
	for (size_t i = 0; i < nnames; i++) {
		int nr = seccomp_syscall_resolve_name(names[i]);
		if (nr == __NR_SCMP_ERROR)
			continue;
		int rc = seccomp_rule_add_array(b->ctx, action, nr, nargs, args);
		if (rc < 0)
			return pd_fail_kind(err, PD_ERR_USAGE, -rc, "%s: add seccomp rule for '%s'", what,
					    names[i]);
		for (size_t a = 0; a < b->narches; a++) {
			int n = seccomp_syscall_resolve_name_arch(b->arches[a], names[i]);
			if (n >= 0 && n > b->max_nr[a])
				b->max_nr[a] = n;
		}
	}
	return 0;
}

/* ---- the ENOSYS prologue ---- */

#define STUB_MAX 48
enum { LBL_ENOSYS = MAX_ARCHES, LBL_X32, LBL_END, NLABELS };

struct stub {
	size_t n;
	struct sock_filter ins[STUB_MAX];
	int jt[STUB_MAX], jf[STUB_MAX]; /* label to patch in, or -1 */
	int label[NLABELS];
};

static void emit(struct stub *s, uint16_t code, uint32_t k, int jt, int jf)
{
	s->ins[s->n] = (struct sock_filter)BPF_JUMP(code, k, 0, 0);
	s->jt[s->n] = jt;
	s->jf[s->n] = jf;
	s->n++;
}

/* Build the prologue into *s; returns false when there is nothing to do. */
static bool build_stub(const struct builder *b, struct stub *s)
{
	int64_t max64 = -1, max32x = -1;
	size_t nblocks = 0;
	uint32_t audit[MAX_ARCHES];
	int64_t max[MAX_ARCHES];

	for (size_t i = 0; i < b->narches; i++) {
		if (b->max_nr[i] < 0)
			continue;
		if (b->arches[i] == SCMP_ARCH_X86_64)
			max64 = b->max_nr[i];
		else if (b->arches[i] == SCMP_ARCH_X32)
			max32x = b->max_nr[i];
		else {
			/* libseccomp's arch tokens are the AUDIT_ARCH_* values. */
			audit[nblocks] = b->arches[i];
			max[nblocks++] = b->max_nr[i];
		}
	}
	bool x86_64 = max64 >= 0 || max32x >= 0;
	if (!nblocks && !x86_64)
		return false;

	memset(s, 0, sizeof(*s));
	for (int i = 0; i < NLABELS; i++)
		s->label[i] = -1;
	/* Dispatch on the arch; anything else goes straight to libseccomp's
	 * program, which handles it (bad-arch action). */
	emit(s, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch), -1, -1);
	for (size_t i = 0; i < nblocks; i++)
		emit(s, BPF_JMP | BPF_JEQ | BPF_K, audit[i], (int)i, -1);
	if (x86_64)
		emit(s, BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, (int)nblocks, -1);
	emit(s, BPF_JMP | BPF_JA, 0, LBL_END, -1);
	for (size_t i = 0; i < nblocks; i++) {
		s->label[i] = (int)s->n;
		emit(s, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr), -1, -1);
		emit(s, BPF_JMP | BPF_JGT | BPF_K, (uint32_t)max[i], LBL_ENOSYS, LBL_END);
	}
	if (x86_64) {
		/* x86_64 and x32 share AUDIT_ARCH_X86_64; x32 numbers carry
		 * bit 30.  A half the filter does not cover is left to
		 * libseccomp's program. */
		s->label[nblocks] = (int)s->n;
		emit(s, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr), -1, -1);
		emit(s, BPF_JMP | BPF_JSET | BPF_K, X32_SYSCALL_BIT, LBL_X32, -1);
		if (max64 >= 0)
			emit(s, BPF_JMP | BPF_JGT | BPF_K, (uint32_t)max64, LBL_ENOSYS, LBL_END);
		else
			emit(s, BPF_JMP | BPF_JA, 0, LBL_END, -1);
		s->label[LBL_X32] = (int)s->n;
		if (max32x >= 0)
			emit(s, BPF_JMP | BPF_JGT | BPF_K, (uint32_t)max32x, LBL_ENOSYS, LBL_END);
		else
			emit(s, BPF_JMP | BPF_JA, 0, LBL_END, -1);
	}
	s->label[LBL_ENOSYS] = (int)s->n;
	emit(s, BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS, -1, -1);
	s->label[LBL_END] = (int)s->n;

	/* Resolve the labels into relative offsets (JA takes k). */
	for (size_t i = 0; i < s->n; i++) {
		struct sock_filter *f = &s->ins[i];
		if (BPF_CLASS(f->code) != BPF_JMP)
			continue;
		if (BPF_OP(f->code) == BPF_JA) {
			f->k = (uint32_t)(s->label[s->jt[i]] - (int)i - 1);
			continue;
		}
		f->jt = (uint8_t)(s->jt[i] < 0 ? 0 : s->label[s->jt[i]] - (int)i - 1);
		f->jf = (uint8_t)(s->jf[i] < 0 ? 0 : s->label[s->jf[i]] - (int)i - 1);
	}
	return true;
}

/* ---- export ---- */

/* libseccomp's BPF as a malloc'd array of instructions. */
static int export_bpf(scmp_filter_ctx ctx, struct sock_filter **out, size_t *n, struct pd_err **err)
{
#if SCMP_VER_MAJOR > 2 || (SCMP_VER_MAJOR == 2 && SCMP_VER_MINOR >= 6)
	size_t len = 0;
	int rc = seccomp_export_bpf_mem(ctx, NULL, &len);
	if (rc < 0)
		return pd_fail(err, -rc, "size the seccomp program");
	_cleanup_free_ void *buf = xmalloc(len ? len : 1);
	rc = seccomp_export_bpf_mem(ctx, buf, &len);
	if (rc < 0)
		return pd_fail(err, -rc, "export the seccomp program");
#else
	/* libseccomp before 2.6 only writes to an fd. */
	_cleanup_close_ int memfd = memfd_create("pd-seccomp", MFD_CLOEXEC);
	if (memfd < 0)
		return pd_fail(err, errno, "create a memfd for the seccomp program");
	int rc = seccomp_export_bpf(ctx, memfd);
	if (rc < 0)
		return pd_fail(err, -rc, "export the seccomp program");
	struct stat st;
	if (fstat(memfd, &st) < 0)
		return pd_fail(err, errno, "stat the seccomp program");
	size_t len = (size_t)st.st_size;
	_cleanup_free_ void *buf = xmalloc(len ? len : 1);
	if (pread(memfd, buf, len, 0) != (ssize_t)len)
		return pd_fail(err, errno ? errno : EIO, "read back the seccomp program");
#endif
	if (len == 0 || len % sizeof(struct sock_filter))
		return pd_fail(err, EINVAL, "libseccomp produced a program of %zu bytes", len);
	*n = len / sizeof(struct sock_filter);
	*out = take_ptr(&buf);
	return 0;
}

static bool is_errno_action(uint32_t action)
{
	return (action & 0xffff0000u) == SCMP_ACT_ERRNO(0);
}

/* Export b's filter, with the ENOSYS prologue when it applies, and release
 * the context. */
static struct pd_seccomp *builder_finish(struct builder *b, unsigned flags, struct pd_err **err)
{
	_cleanup_free_ struct sock_filter *prog = NULL;
	size_t n = 0;
	int rc = export_bpf(b->ctx, &prog, &n, err);
	builder_release(b);
	if (rc < 0)
		return NULL;
	struct stub stub = { 0 };
	if (!is_errno_action(b->def_action) || !build_stub(b, &stub))
		stub.n = 0;
	if (n + stub.n > BPF_MAXINSNS) {
		pd_fail(err, E2BIG, "seccomp program of %zu instructions is over the kernel's limit of %d",
			n + stub.n, BPF_MAXINSNS);
		return NULL;
	}
	struct pd_seccomp *s = xmalloc(sizeof(*s) + (n + stub.n) * sizeof(struct sock_filter));
	s->len = n + stub.n;
	s->flags = flags;
	memcpy(s->prog, stub.ins, stub.n * sizeof(struct sock_filter));
	memcpy(s->prog + stub.n, prog, n * sizeof(struct sock_filter));
	return s;
}

/* ---- the default profile ---- */

static bool arch_in(const uint32_t *list, uint32_t arch)
{
	for (; list && *list; list++)
		if (*list == arch)
			return true;
	return false;
}

static bool rule_applies(const struct sd_rule *r, uint64_t caps, uint32_t native)
{
	if ((caps & r->caps_all) != r->caps_all || (caps & r->caps_none))
		return false;
	if (r->arches && !arch_in(r->arches, native))
		return false;
	return !arch_in(r->not_arches, native);
}

/* The ABIs Docker covers for each native arch (its archMap). */
static int add_sub_arches(struct builder *b, uint32_t native, struct pd_err **err)
{
	static const uint32_t map[][3] = {
		{ SCMP_ARCH_X86_64, SCMP_ARCH_X86, SCMP_ARCH_X32 },
		{ SCMP_ARCH_AARCH64, SCMP_ARCH_ARM, 0 },
		{ SCMP_ARCH_S390X, SCMP_ARCH_S390, 0 },
		{ SCMP_ARCH_MIPS64, SCMP_ARCH_MIPS, SCMP_ARCH_MIPS64N32 },
		{ SCMP_ARCH_MIPSEL64, SCMP_ARCH_MIPSEL, SCMP_ARCH_MIPSEL64N32 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(map); i++) {
		if (map[i][0] != native)
			continue;
		for (size_t j = 1; j < 3 && map[i][j]; j++)
			if (builder_add_arch(b, map[i][j], err) < 0)
				return -1;
	}
	return 0;
}

struct pd_seccomp *pd_seccomp_default(uint64_t caps, struct pd_err **err)
{
	struct builder b;
	uint32_t native = seccomp_arch_native();
	if (builder_init(&b, SCMP_ACT_ERRNO(EPERM), err) < 0 || add_sub_arches(&b, native, err) < 0)
		goto fail;
	for (size_t i = 0; i < seccomp_default_nrules; i++) {
		const struct sd_rule *r = &seccomp_default_rules[i];
		if (!rule_applies(r, caps, native))
			continue;
		struct scmp_arg_cmp args[SD_MAX_ARGS];
		for (unsigned a = 0; a < r->nargs; a++)
			args[a] = (struct scmp_arg_cmp){ .arg = r->args[a].index,
							 .op = (enum scmp_compare)r->args[a].op,
							 .datum_a = r->args[a].value,
							 .datum_b = r->args[a].value_two };
		size_t nnames = 0;
		while (r->names[nnames])
			nnames++;
		if (builder_add(&b, r->names, nnames, r->action, args, r->nargs, "default profile", err) < 0)
			goto fail;
	}
	struct pd_seccomp *s = builder_finish(&b, 0, err);
	if (s)
		return s;
fail:
	builder_release(&b);
	pd_err_prefix(err, "build the default seccomp profile");
	return NULL;
}

/* FNV-1a, to fingerprint the default table for cache keys. */
static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *c = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ c[i]) * UINT64_C(0x100000001b3);
	return h;
}

int pd_seccomp_default_key(uint64_t caps, char *buf, size_t size)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325), seen = 0;
	/* The program's layout (the binary tree of builder_init) is part of
	 * what is cached. */
	h = fnv(h, "optimize=2", 10);
	for (size_t i = 0; i < seccomp_default_nrules; i++) {
		const struct sd_rule *r = &seccomp_default_rules[i];
		for (const char *const *n = r->names; *n; n++)
			h = fnv(h, *n, strlen(*n) + 1);
		h = fnv(h, &r->action, sizeof(r->action));
		h = fnv(h, &r->caps_all, sizeof(r->caps_all));
		h = fnv(h, &r->caps_none, sizeof(r->caps_none));
		for (const uint32_t *a = r->arches; a && *a; a++)
			h = fnv(h, a, sizeof(*a));
		h = fnv(h, "|", 1);
		for (const uint32_t *a = r->not_arches; a && *a; a++)
			h = fnv(h, a, sizeof(*a));
		for (unsigned a = 0; a < r->nargs; a++)
			h = fnv(h, &r->args[a], sizeof(r->args[a]));
		seen |= r->caps_all | r->caps_none;
	}
	const struct scmp_version *v = seccomp_version();
	int n = snprintf(buf, size, "libseccomp-%u.%u.%u-%08x-%016llx-%016llx", v->major, v->minor, v->micro,
			 seccomp_arch_native(), (unsigned long long)h, (unsigned long long)(caps & seen));
	return n < 0 || (size_t)n >= size ? -1 : n;
}

/* ---- the cache of compiled default programs ----
 *
 * A cached program is loaded as the container's filter without being
 * compiled again, so whoever can write the cache decides every later
 * container's seccomp filter.  It is therefore kept where no container can
 * write, rather than checked after the fact: not in a file (every file is a
 * volume away from a container; a checksum or a keyed hash is only as good
 * as the secret's hiding place, which would be a file too; comparing with a
 * fresh compile costs the ~13 ms the cache saves), but in the kernel
 * keyring of the runtime's user, as "user" keys named
 * "pocket-docker:seccomp:<pd_seccomp_default_key>" in the user keyring:
 *
 *  - no container has a path to it: it is not in any filesystem;
 *  - keyctl, add_key and request_key are refused by the default profile
 *    (seccomp-default.c), so a confined container cannot name it;
 *  - a rootless container is in its own user namespace, whose user keyrings
 *    are its own (the kernel keeps them per namespace), so even an
 *    unconfined one never sees the invoking user's;
 *  - a root container run without seccomp (seccomp=unconfined,
 *    --privileged) could rewrite root's keyring, as it could every key of
 *    root's: the user turned that protection off on purpose.
 *
 * Keys last until reboot.  Any failure (no keyring, keyctl refused by an
 * outer sandbox, the per-user quota of 20,000 bytes, about one program, full
 * for a rootless user's second capability set) means compiling, never
 * trusting anything else. */

#define KEYRING_PREFIX "pocket-docker:seccomp:"
#define USER_KEY_MAX   32767 /* the "user" key type's payload limit */

static struct pd_seccomp *keyring_read(const char *desc)
{
	long id = syscall(SYS_keyctl, KEYCTL_SEARCH, KEY_SPEC_USER_KEYRING, "user", desc, 0);
	if (id < 0)
		return NULL;
	size_t max = BPF_MAXINSNS * sizeof(struct sock_filter);
	if (max > USER_KEY_MAX)
		max = USER_KEY_MAX;
	_cleanup_free_ struct pd_seccomp *s = xmalloc(sizeof(*s) + max);
	long n = syscall(SYS_keyctl, KEYCTL_READ, id, s->prog, max);
	if (n <= 0 || (size_t)n > max || n % (long)sizeof(struct sock_filter))
		return NULL;
	s->len = (size_t)n / sizeof(struct sock_filter);
	s->flags = 0;
	return take_ptr(&s);
}

/* Best effort: a program that does not fit is compiled each time. */
static void keyring_write(const char *desc, const struct pd_seccomp *s)
{
	size_t len = s->len * sizeof(struct sock_filter);
	if (len <= USER_KEY_MAX)
		(void)!syscall(SYS_add_key, "user", desc, s->prog, len, KEY_SPEC_USER_KEYRING);
}

struct pd_seccomp *pd_seccomp_default_cached(const char *cache_dir, uint64_t caps, struct pd_err **err)
{
	char key[96];
	if (!cache_dir || pd_seccomp_default_key(caps, key, sizeof(key)) < 0)
		return pd_seccomp_default(caps, err);
	char desc[sizeof(KEYRING_PREFIX) + sizeof(key)];
	snprintf(desc, sizeof(desc), KEYRING_PREFIX "%s", key);
	struct pd_seccomp *s = keyring_read(desc);
	if (s)
		return s;
	s = pd_seccomp_default(caps, err);
	if (!s)
		return NULL;
	keyring_write(desc, s);
	/* Earlier versions kept programs in files here, which are never read
	 * now: remove this one's (best effort). */
	_cleanup_free_ char *legacy = xasprintf("%s/seccomp-%s.bpf", cache_dir, key);
	(void)unlink(legacy);
	return s;
}

/* ---- Docker-format JSON profiles ---- */

/* Capability names, indexed by number (as in linux/capability.h). */
static const char *const cap_names[] = {
	"CHOWN",
	"DAC_OVERRIDE",
	"DAC_READ_SEARCH",
	"FOWNER",
	"FSETID",
	"KILL",
	"SETGID",
	"SETUID",
	"SETPCAP",
	"LINUX_IMMUTABLE",
	"NET_BIND_SERVICE",
	"NET_BROADCAST",
	"NET_ADMIN",
	"NET_RAW",
	"IPC_LOCK",
	"IPC_OWNER",
	"SYS_MODULE",
	"SYS_RAWIO",
	"SYS_CHROOT",
	"SYS_PTRACE",
	"SYS_PACCT",
	"SYS_ADMIN",
	"SYS_BOOT",
	"SYS_NICE",
	"SYS_RESOURCE",
	"SYS_TIME",
	"SYS_TTY_CONFIG",
	"MKNOD",
	"LEASE",
	"AUDIT_WRITE",
	"AUDIT_CONTROL",
	"SETFCAP",
	"MAC_OVERRIDE",
	"MAC_ADMIN",
	"SYSLOG",
	"WAKE_ALARM",
	"BLOCK_SUSPEND",
	"AUDIT_READ",
	"PERFMON",
	"BPF",
	"CHECKPOINT_RESTORE",
};

static int cap_from_name(const char *name)
{
	if (strncasecmp(name, "CAP_", 4) == 0)
		name += 4;
	for (size_t i = 0; i < ARRAY_SIZE(cap_names); i++)
		if (strcasecmp(name, cap_names[i]) == 0)
			return (int)i;
	return -1;
}

/* Docker matches includes/excludes "arches" against Go's GOARCH. */
static const char *native_goarch(void)
{
	switch (seccomp_arch_native()) {
	case SCMP_ARCH_X86_64: return "amd64";
	case SCMP_ARCH_X86: return "386";
	case SCMP_ARCH_X32: return "x32";
	case SCMP_ARCH_AARCH64: return "arm64";
	case SCMP_ARCH_ARM: return "arm";
	case SCMP_ARCH_PPC64LE: return "ppc64le";
	case SCMP_ARCH_PPC64: return "ppc64";
	case SCMP_ARCH_S390X: return "s390x";
	case SCMP_ARCH_S390: return "s390";
	case SCMP_ARCH_RISCV64: return "riscv64";
	case SCMP_ARCH_MIPS64: return "mips64";
	case SCMP_ARCH_MIPSEL64: return "mips64le";
	default: return "";
	}
}

struct profile_ctx {
	const char *path;
	uint64_t caps;
	unsigned kmajor, kminor;
	const char *goarch;
};

static int parse_action(const char *name, json_t *errno_ret, uint32_t *out, const char *what,
			struct pd_err **err)
{
	uint32_t code = EPERM;
	if (errno_ret && !json_is_null(errno_ret)) {
		if (!json_is_integer(errno_ret) || json_integer_value(errno_ret) < 0 ||
		    json_integer_value(errno_ret) > 4095)
			return pd_fail_kind(err, PD_ERR_USAGE, 0,
					    "%s: errnoRet must be an integer from 0 to 4095", what);
		code = (uint32_t)json_integer_value(errno_ret);
	}
	if (strcmp(name, "SCMP_ACT_ALLOW") == 0)
		*out = SCMP_ACT_ALLOW;
	else if (strcmp(name, "SCMP_ACT_ERRNO") == 0)
		*out = SCMP_ACT_ERRNO(code);
	else if (strcmp(name, "SCMP_ACT_KILL") == 0 || strcmp(name, "SCMP_ACT_KILL_THREAD") == 0)
		*out = SCMP_ACT_KILL_THREAD;
	else if (strcmp(name, "SCMP_ACT_KILL_PROCESS") == 0)
		*out = SCMP_ACT_KILL_PROCESS;
	else if (strcmp(name, "SCMP_ACT_TRAP") == 0)
		*out = SCMP_ACT_TRAP;
	else if (strcmp(name, "SCMP_ACT_TRACE") == 0)
		*out = SCMP_ACT_TRACE(code);
	else if (strcmp(name, "SCMP_ACT_LOG") == 0)
		*out = SCMP_ACT_LOG;
	else if (strcmp(name, "SCMP_ACT_NOTIFY") == 0)
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "%s: action 'SCMP_ACT_NOTIFY' needs a listener, which is not supported",
				    what);
	else
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "%s: unknown action '%s'", what, name);
	return 0;
}

static int parse_op(const char *name, enum scmp_compare *op, const char *what, struct pd_err **err)
{
	static const struct {
		const char *name;
		enum scmp_compare op;
	} ops[] = {
		{ "SCMP_CMP_NE", SCMP_CMP_NE },
		{ "SCMP_CMP_LT", SCMP_CMP_LT },
		{ "SCMP_CMP_LE", SCMP_CMP_LE },
		{ "SCMP_CMP_EQ", SCMP_CMP_EQ },
		{ "SCMP_CMP_GE", SCMP_CMP_GE },
		{ "SCMP_CMP_GT", SCMP_CMP_GT },
		{ "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
	};
	for (size_t i = 0; i < ARRAY_SIZE(ops); i++) {
		if (strcmp(name, ops[i].name) == 0) {
			*op = ops[i].op;
			return 0;
		}
	}
	return pd_fail_kind(err, PD_ERR_USAGE, 0, "%s: unknown operator '%s'", what, name);
}

/* "SCMP_ARCH_X86_64" -> libseccomp's token. */
static int parse_arch(const char *name, uint32_t *arch, const char *what, struct pd_err **err)
{
	char low[32];
	const char *p = strncmp(name, "SCMP_ARCH_", 10) == 0 ? name + 10 : name;
	size_t n = strlen(p);
	if (n == 0 || n >= sizeof(low))
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "%s: unknown architecture '%s'", what, name);
	for (size_t i = 0; i <= n; i++)
		low[i] = (char)tolower((unsigned char)p[i]);
	*arch = seccomp_arch_resolve_name(low);
	if (*arch == 0)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "%s: unknown architecture '%s'", what, name);
	return 0;
}

static const char *str_or_null(json_t *v)
{
	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Every element of `arr` (may be NULL) is a string; returns false otherwise. */
static bool is_string_array(json_t *arr)
{
	if (!arr || json_is_null(arr))
		return true;
	if (!json_is_array(arr))
		return false;
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v) if (!json_is_string(v)) return false;
	return true;
}

static bool string_in(json_t *arr, const char *s)
{
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v) if (strcmp(json_string_value(v), s) == 0) return true;
	return false;
}

/* Evaluate an includes or excludes object: *all_match is true when every
 * condition present holds (includes: caps all held, arch listed, kernel new
 * enough), *any_match when one of them holds (excludes). */
static int eval_filter(const struct profile_ctx *pc, json_t *f, bool *all_match, bool *any_match,
		       const char *what, struct pd_err **err)
{
	*all_match = true;
	*any_match = false;
	if (!f || json_is_null(f))
		return 0;
	if (!json_is_object(f))
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "%s: includes/excludes must be an object", what);
	json_t *caps = json_object_get(f, "caps"), *arches = json_object_get(f, "arches");
	json_t *mink = json_object_get(f, "minKernel");
	if (!is_string_array(caps) || !is_string_array(arches))
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "%s: caps and arches must be arrays of strings",
				    what);
	size_t i;
	json_t *v;
	json_array_foreach(caps, i, v)
	{
		int c = cap_from_name(json_string_value(v));
		if (c < 0)
			return pd_fail_kind(err, PD_ERR_USAGE, 0, "%s: unknown capability '%s'", what,
					    json_string_value(v));
		bool held = pc->caps & (UINT64_C(1) << c);
		*all_match &= held;
		*any_match |= held;
	}
	if (json_array_size(arches) > 0) {
		bool in = string_in(arches, pc->goarch);
		*all_match &= in;
		*any_match |= in;
	}
	if (mink && !json_is_null(mink)) {
		unsigned maj, min;
		char extra;
		if (!json_is_string(mink) ||
		    sscanf(json_string_value(mink), "%u.%u%c", &maj, &min, &extra) != 2)
			return pd_fail_kind(err, PD_ERR_USAGE, 0, "%s: minKernel must look like \"4.8\"",
					    what);
		bool newer = pc->kmajor > maj || (pc->kmajor == maj && pc->kminor >= min);
		*all_match &= newer;
		*any_match |= newer;
	}
	return 0;
}

static int json_u64(json_t *v, uint64_t *out)
{
	if (!v || json_is_null(v)) {
		*out = 0;
		return 0;
	}
	if (!json_is_integer(v))
		return -1;
	/* Values past 2^63 do not fit jansson's integers; negative ones are
	 * taken as their two's complement, as Go's uint64 decoding would not
	 * allow but C callers expect. */
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

static int parse_args(json_t *jargs, struct scmp_arg_cmp *args, unsigned *nargs, const char *what,
		      struct pd_err **err)
{
	*nargs = 0;
	if (!jargs || json_is_null(jargs))
		return 0;
	if (!json_is_array(jargs) || json_array_size(jargs) > 6)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "%s: args must be an array of at most 6 objects",
				    what);
	size_t i;
	json_t *a;
	json_array_foreach(jargs, i, a)
	{
		json_t *index = json_object_get(a, "index");
		const char *opname = str_or_null(json_object_get(a, "op"));
		uint64_t value, value_two;
		enum scmp_compare op = SCMP_CMP_EQ;
		if (!json_is_object(a) || !json_is_integer(index) || json_integer_value(index) < 0 ||
		    json_integer_value(index) > 5)
			return pd_fail_kind(err, PD_ERR_USAGE, 0, "%s: args[%zu]: index must be 0 to 5", what,
					    i);
		if (!opname)
			return pd_fail_kind(err, PD_ERR_USAGE, 0, "%s: args[%zu]: op is missing", what, i);
		if (parse_op(opname, &op, what, err) < 0)
			return -1;
		if (json_u64(json_object_get(a, "value"), &value) < 0 ||
		    json_u64(json_object_get(a, "valueTwo"), &value_two) < 0)
			return pd_fail_kind(err, PD_ERR_USAGE, 0, "%s: args[%zu]: values must be integers",
					    what, i);
		args[(*nargs)++] = (struct scmp_arg_cmp){ .arg = (unsigned)json_integer_value(index),
							  .op = op,
							  .datum_a = value,
							  .datum_b = value_two };
	}
	return 0;
}

static int add_json_rule(struct builder *b, const struct profile_ctx *pc, json_t *rule, size_t idx,
			 struct pd_err **err)
{
	char what[96];
	json_t *names = json_object_get(rule, "names"), *name = json_object_get(rule, "name");
	if (!json_is_object(rule))
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "syscalls[%zu]: not an object", idx);
	if (names && name)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "syscalls[%zu]: both 'name' and 'names' are set",
				    idx);
	if ((names && (!json_is_array(names) || !is_string_array(names))) || (name && !json_is_string(name)))
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "syscalls[%zu]: names must be an array of strings",
				    idx);
	const char *first = name		     ? json_string_value(name)
			    : json_array_size(names) ? json_string_value(json_array_get(names, 0))
						     : "";
	snprintf(what, sizeof(what), "syscalls[%zu] ('%s')", idx, first);

	bool inc_all, inc_any, exc_all, exc_any;
	if (eval_filter(pc, json_object_get(rule, "includes"), &inc_all, &inc_any, what, err) < 0 ||
	    eval_filter(pc, json_object_get(rule, "excludes"), &exc_all, &exc_any, what, err) < 0)
		return -1;

	const char *act = str_or_null(json_object_get(rule, "action"));
	uint32_t action;
	struct scmp_arg_cmp args[6];
	unsigned nargs;
	if (!act)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "%s: action is missing", what);
	if (parse_action(act, json_object_get(rule, "errnoRet"), &action, what, err) < 0 ||
	    parse_args(json_object_get(rule, "args"), args, &nargs, what, err) < 0)
		return -1;
	if (!inc_all || exc_any)
		return 0;

	size_t n = name ? 1 : json_array_size(names);
	_cleanup_free_ const char **list = xcalloc(n ? n : 1, sizeof(*list));
	for (size_t i = 0; i < n; i++)
		list[i] = json_string_value(name ? name : json_array_get(names, i));
	return builder_add(b, list, n, action, args, nargs, what, err);
}

static int load_arches(struct builder *b, json_t *root, struct pd_err **err)
{
	json_t *list = json_object_get(root, "architectures"), *map = json_object_get(root, "archMap");
	size_t i;
	json_t *v;
	bool has_list = list && !json_is_null(list) && json_array_size(list) > 0;
	bool has_map = map && !json_is_null(map) && json_array_size(map) > 0;
	if (has_list && has_map)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "'architectures' and 'archMap' are both set");
	if (!is_string_array(list))
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "architectures must be an array of strings");
	json_array_foreach(list, i, v)
	{
		uint32_t arch;
		if (parse_arch(json_string_value(v), &arch, "architectures", err) < 0 ||
		    builder_add_arch(b, arch, err) < 0)
			return -1;
	}
	if (map && !json_is_null(map) && !json_is_array(map))
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "archMap must be an array");
	/* Docker takes the archMap entry of the native arch, with its
	 * subArchitectures. */
	json_array_foreach(map, i, v)
	{
		const char *a = str_or_null(json_object_get(v, "architecture"));
		json_t *subs = json_object_get(v, "subArchitectures");
		uint32_t arch;
		if (!a || !is_string_array(subs))
			return pd_fail_kind(err, PD_ERR_USAGE, 0, "archMap[%zu]: malformed entry", i);
		if (parse_arch(a, &arch, "archMap", err) < 0)
			return -1;
		if (arch != seccomp_arch_native())
			continue;
		size_t j;
		json_t *s;
		json_array_foreach(subs, j, s)
		{
			uint32_t sub;
			if (parse_arch(json_string_value(s), &sub, "archMap", err) < 0 ||
			    builder_add_arch(b, sub, err) < 0)
				return -1;
		}
	}
	return 0;
}

static int parse_flags(json_t *flags, unsigned *out, struct pd_err **err)
{
	*out = 0;
	if (!is_string_array(flags))
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "flags must be an array of strings");
	size_t i;
	json_t *v;
	json_array_foreach(flags, i, v)
	{
		const char *f = json_string_value(v);
		if (strcmp(f, "SECCOMP_FILTER_FLAG_LOG") == 0)
			*out |= SECCOMP_FILTER_FLAG_LOG;
		else if (strcmp(f, "SECCOMP_FILTER_FLAG_SPEC_ALLOW") == 0)
			*out |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;
		else if (strcmp(f, "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV") == 0)
			continue; /* only means something with a listener */
		else
			return pd_fail_kind(err, PD_ERR_USAGE, 0, "unknown flag '%s'", f);
	}
	return 0;
}

static struct pd_seccomp *compile_json(const struct profile_ctx *pc, json_t *root, struct pd_err **err)
{
	const char *defname = str_or_null(json_object_get(root, "defaultAction"));
	json_t *calls = json_object_get(root, "syscalls");
	uint32_t def_action;
	unsigned flags;
	struct builder b;
	if (!json_is_object(root)) {
		pd_fail_kind(err, PD_ERR_USAGE, 0, "the profile is not a JSON object");
		return NULL;
	}
	if (!defname) {
		pd_fail_kind(err, PD_ERR_USAGE, 0, "defaultAction is missing");
		return NULL;
	}
	if (calls && !json_is_null(calls) && !json_is_array(calls)) {
		pd_fail_kind(err, PD_ERR_USAGE, 0, "syscalls must be an array");
		return NULL;
	}
	/* defaultErrnoRet applies to the default action only; a rule's plain
	 * SCMP_ACT_ERRNO means EPERM, as in runc. */
	if (parse_action(defname, json_object_get(root, "defaultErrnoRet"), &def_action, "defaultAction",
			 err) < 0 ||
	    parse_flags(json_object_get(root, "flags"), &flags, err) < 0)
		return NULL;
	if (builder_init(&b, def_action, err) < 0 || load_arches(&b, root, err) < 0)
		goto fail;
	size_t i;
	json_t *rule;
	json_array_foreach(calls, i, rule) if (add_json_rule(&b, pc, rule, i, err) < 0) goto fail;
	return builder_finish(&b, flags, err);
fail:
	builder_release(&b);
	return NULL;
}

struct pd_seccomp *pd_seccomp_from_json(const char *path, const char *text, uint64_t caps,
					struct pd_err **err)
{
	struct profile_ctx pc = { .path = path, .caps = caps, .goarch = native_goarch() };
	struct utsname u;
	if (uname(&u) == 0 && sscanf(u.release, "%u.%u", &pc.kmajor, &pc.kminor) != 2)
		pc.kmajor = pc.kminor = 0;

	json_error_t jerr;
	json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		pd_fail_kind(err, PD_ERR_USAGE, 0, "parse seccomp profile '%s': line %d column %d: %s", path,
			     jerr.line, jerr.column, jerr.text);
		return NULL;
	}
	struct pd_seccomp *s = compile_json(&pc, root, err);
	json_decref(root);
	if (!s)
		pd_err_prefix(err, "seccomp profile '%s'", path);
	return s;
}

/* ---- loading and export ---- */

int pd_seccomp_load(const struct pd_seccomp *s, struct pd_err **err)
{
	struct sock_fprog prog = { .len = (unsigned short)s->len, .filter = (struct sock_filter *)s->prog };
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, s->flags, &prog) == 0)
		return 0;
	if (errno == EACCES)
		return pd_fail(err, errno, "load seccomp filter (no_new_privs is not set)");
	return pd_fail(err, errno, "load seccomp filter of %zu instructions", s->len);
}

int pd_seccomp_load_bpf(const void *bpf, size_t len, struct pd_err **err)
{
	if (len == 0 || len % sizeof(struct sock_filter) || len / sizeof(struct sock_filter) > BPF_MAXINSNS)
		return pd_fail(err, EINVAL, "seccomp program of %zu bytes is malformed", len);
	struct sock_fprog prog = { .len = (unsigned short)(len / sizeof(struct sock_filter)),
				   .filter = (struct sock_filter *)bpf };
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) < 0)
		return pd_fail(err, errno, "load seccomp filter");
	return 0;
}

int pd_seccomp_export(const struct pd_seccomp *s, void **bpf, size_t *len, struct pd_err **err)
{
	*len = s->len * sizeof(struct sock_filter);
	*bpf = xmalloc(*len);
	memcpy(*bpf, s->prog, *len);
	return 0;
}

struct pd_seccomp *pd_seccomp_from_bpf(const void *bpf, size_t len, struct pd_err **err)
{
	if (len == 0 || len % sizeof(struct sock_filter) || len / sizeof(struct sock_filter) > BPF_MAXINSNS) {
		pd_fail(err, EINVAL, "seccomp program of %zu bytes is malformed", len);
		return NULL;
	}
	struct pd_seccomp *s = xmalloc(sizeof(*s) + len);
	s->len = len / sizeof(struct sock_filter);
	s->flags = 0;
	memcpy(s->prog, bpf, len);
	return s;
}

size_t pd_seccomp_insns(const struct pd_seccomp *s)
{
	return s->len;
}

void pd_seccomp_free(struct pd_seccomp *s)
{
	free(s);
}
