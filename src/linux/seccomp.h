/* Seccomp filters for the container's processes: Docker's default profile and
 * Docker-format JSON profiles, compiled with libseccomp in the runtime before
 * clone, loaded as plain BPF by the container's init as its last step before
 * execve (after no_new_privs).
 *
 * A `struct pd_seccomp` is a finished BPF program, not a libseccomp context:
 * loading it needs neither libseccomp nor any allocation, and its bytes can be
 * cached (see pd_seccomp_default_key) and turned back into a filter with
 * pd_seccomp_from_bpf. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

struct pd_seccomp;

/* Docker's default profile for a container whose effective (and bounding)
 * capabilities are `caps` (bit 1 << CAP_X for each CAP_X held): an allowlist,
 * everything else fails with EPERM; calls that need a capability the
 * container lacks (mount, bpf, ptrace-class helpers...) stay EPERM; clone with
 * namespace flags is refused without CAP_SYS_ADMIN.  On x86_64 the filter
 * covers the x86_64, i386 and x32 ABIs.  Returns a filter the caller frees
 * with pd_seccomp_free, or NULL with *err set. */
struct pd_seccomp *pd_seccomp_default(uint64_t caps, struct pd_err **err);

/* A Docker/OCI-format JSON profile, its text given (`name` says where it came
 * from, for errors): defaultAction, defaultErrnoRet,
 * architectures or archMap, flags, syscalls[] {names|name, action, errnoRet,
 * args[] {index, value, valueTwo, op}, includes/excludes {caps, arches,
 * minKernel}}.  Syscall names this libseccomp does not know are skipped (as
 * Docker does); unknown actions, ops, arches, caps and malformed JSON are
 * errors naming the entry (kind PD_ERR_USAGE).  `caps` decides the
 * includes/excludes by capability, as pd_seccomp_default. */
struct pd_seccomp *pd_seccomp_from_json(const char *name, const char *text, uint64_t caps,
					struct pd_err **err);

/* Install `s` on the calling thread.  Needs no_new_privs (or CAP_SYS_ADMIN);
 * allocates nothing and needs no libseccomp, so it is safe as the last step
 * before execve.  `s` stays owned by the caller. */
int pd_seccomp_load(const struct pd_seccomp *s, struct pd_err **err);

/* A copy of the BPF program (struct sock_filter[], native endianness) in
 * *bpf (caller frees) and its size in bytes in *len. */
int pd_seccomp_export(const struct pd_seccomp *s, void **bpf, size_t *len, struct pd_err **err);

/* Install a program produced by pd_seccomp_export (possibly read back from a
 * cache) on the calling thread; nothing is allocated. */
int pd_seccomp_load_bpf(const void *bpf, size_t len, struct pd_err **err);

/* Wrap a copy of an exported program as a filter, after checking its size;
 * the caller frees it with pd_seccomp_free. */
struct pd_seccomp *pd_seccomp_from_bpf(const void *bpf, size_t len, struct pd_err **err);

/* Number of BPF instructions in `s`. */
size_t pd_seccomp_insns(const struct pd_seccomp *s);

/* A cache key for pd_seccomp_default(caps): the libseccomp version, the
 * native arch, a hash of the default table and the caps that table looks at.
 * Written NUL-terminated to buf; returns the length, or -1 if size is too
 * small (96 bytes is always enough). */
int pd_seccomp_default_key(uint64_t caps, char *buf, size_t size);

/* pd_seccomp_default through a cache of compiled programs: libseccomp needs
 * ~13 ms for the three x86 ABIs, a cached program loads in microseconds.
 * The cache is the kernel keyring of the calling user ("user" keys named by
 * pd_seccomp_default_key), never a file: a program is trusted only from
 * where no container can write (see seccomp.c).  Any keyring failure means
 * compiling; failing to store is not an error.  cache_dir NULL: no cache;
 * otherwise the directory where earlier versions kept cache files, whose
 * stale entry for this key is removed. */
struct pd_seccomp *pd_seccomp_default_cached(const char *cache_dir, uint64_t caps, struct pd_err **err);

void pd_seccomp_free(struct pd_seccomp *s);
static inline void pd_seccomp_freep(struct pd_seccomp **s)
{
	if (*s) {
		pd_seccomp_free(*s);
		*s = (void *)0;
	}
}
#define _cleanup_seccomp_ __attribute__((cleanup(pd_seccomp_freep)))

/* Between seccomp.c and seccomp-default.c only: the default profile as data.
 * A rule applies when the container holds every cap in caps_all and none in
 * caps_none, the native arch is in `arches` (NULL: any) and not in
 * `not_arches`. */
#define SD_MAX_ARGS 1

struct sd_arg {
	unsigned index;
	int op; /* enum scmp_compare */
	uint64_t value, value_two;
};

struct sd_rule {
	const char *const *names; /* NULL-terminated */
	uint32_t action;	  /* SCMP_ACT_* */
	uint64_t caps_all, caps_none;
	const uint32_t *arches;	    /* SCMP_ARCH_* tokens, 0-terminated, or NULL */
	const uint32_t *not_arches; /* the same */
	unsigned nargs;
	struct sd_arg args[SD_MAX_ARGS];
};

extern const struct sd_rule seccomp_default_rules[];
extern const size_t seccomp_default_nrules;
