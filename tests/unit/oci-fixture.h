/* Shared by the OCI unit tests (test_oci_spec.c, test_oci_map.c): reading
 * a config.json fixture from tests/unit/data/oci/.  Include after
 * <cmocka.h>. */
#pragma once
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "oci/spec.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

#define DATA "tests/unit/data/oci/"

/* A fixture's text: from the repository root (where `make check` runs the
 * tests), else found from the binary's place ($(BUILD)/tests/). */
static inline char *read_fixture(const char *name, size_t *len)
{
	_cleanup_free_ char *path = xasprintf(DATA "%s", name);
	FILE *f = fopen(path, "re");
	if (!f) {
		char exe[PATH_MAX];
		ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		assert_true(n > 0);
		exe[n] = '\0';
		for (int up = 0; up < 3; up++)
			*strrchr(exe, '/') = '\0';
		free(path);
		path = xasprintf("%s/" DATA "%s", exe, name);
		f = fopen(path, "re");
	}
	if (!f)
		fail_msg("cannot open fixture '%s'", name);
	char *buf = xmalloc(PD_OCI_MAX_JSON + 1);
	*len = fread(buf, 1, PD_OCI_MAX_JSON, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}
