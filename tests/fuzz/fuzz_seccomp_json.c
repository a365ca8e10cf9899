/* libFuzzer harness: pd_seccomp_from_json (linux/seccomp.c) on arbitrary
 * profile bytes.  The profile is handed over as /proc/self/fd/N of a memfd
 * (a path, as the function wants, and nothing on disk).  Nothing is loaded
 * into the kernel: compiling and exporting only.  Checks: success and *err
 * agree, and a compiled program is non-empty (its size against BPF_MAXINSNS
 * is the kernel's to judge at load time). */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "linux/caps.h"
#include "linux/seccomp.h"
#include "util/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 256 * 1024)
		return 0;
	int fd = memfd_create("profile", MFD_CLOEXEC);
	if (fd < 0)
		abort();
	if (size && write(fd, data, size) != (ssize_t)size)
		abort();
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	struct pd_err *err = NULL;
	/* Alternate the capability set: includes/excludes by caps differ. */
	uint64_t caps = (size & 1) ? caps_default_mask() : ~0ULL >> 23;
	struct pd_seccomp *s = pd_seccomp_from_json(path, caps, &err);
	if (s) {
		size_t n = pd_seccomp_insns(s);
		if (err || n == 0)
			abort();
		pd_seccomp_free(s);
	} else if (!err) {
		abort();
	}
	pd_err_free(err);
	close(fd);
	return 0;
}
