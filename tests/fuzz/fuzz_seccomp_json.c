/* libFuzzer harness: pd_seccomp_from_json (linux/seccomp.c) on arbitrary
 * profile bytes (a NUL ends the text, as it would a file `run` read:
 * `run` refuses one holding a NUL).  Nothing is loaded
 * into the kernel: compiling and exporting only.  Checks: success and *err
 * agree, and a compiled program is non-empty (its size against BPF_MAXINSNS
 * is the kernel's to judge at load time). */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
	char *text = malloc(size + 1);
	if (!text)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	struct pd_err *err = NULL;
	/* Alternate the capability set: includes/excludes by caps differ. */
	uint64_t caps = (size & 1) ? caps_default_mask() : ~0ULL >> 23;
	struct pd_seccomp *s = pd_seccomp_from_json("fuzz.json", text, caps, &err);
	if (s) {
		size_t n = pd_seccomp_insns(s);
		if (err || n == 0)
			abort();
		pd_seccomp_free(s);
	} else if (!err) {
		abort();
	}
	pd_err_free(err);
	free(text);
	return 0;
}
