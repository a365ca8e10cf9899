/* Unit tests for image/push.c's manifest writer: the manifest push sends
 * for a config and its layers, read back by the project's own parser
 * (image/manifest.c).  Pure logic; no root, no network. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "image/manifest.h"
#include "image/push.h"
#include "util/cleanup.h"

#define DIG(c)                                                                                               \
	"sha256:" c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c  \
	    c c c c c c c c c c c c c c c c c c c

static void check(const struct pd_push_desc *layers, size_t n, const char *want_type, const char *want_layer)
{
	struct pd_push_desc config = { .digest = DIG("c"), .size = 1234 };
	const char *mtype = NULL;
	_cleanup_free_ char *json = pd_push_manifest_json(&config, layers, n, &mtype);
	assert_string_equal(mtype, want_type);
	assert_non_null(strstr(json, want_type));
	struct pd_manifest m;
	_cleanup_err_ struct pd_err *err = NULL;
	assert_int_equal(pd_manifest_parse(json, strlen(json), NULL, &m, &err), 0);
	assert_false(m.is_index);
	assert_string_equal(m.config.digest, DIG("c"));
	assert_int_equal(m.config.size, 1234);
	assert_int_equal(m.n_layers, n);
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(m.layers[i].digest, layers[i].digest);
		assert_int_equal(m.layers[i].size, layers[i].size);
	}
	if (want_layer)
		assert_string_equal(m.layers[n - 1].media_type, want_layer);
	pd_manifest_free(&m);
}

static void test_all_gzip_is_docker(void **state)
{
	(void)state;
	struct pd_push_desc l[] = {
		{ .digest = DIG("a"), .size = 10, .kind = PD_LAYER_GZIP },
		{ .digest = DIG("b"), .size = 20, .kind = PD_LAYER_GZIP },
	};
	check(l, 2, "application/vnd.docker.distribution.manifest.v2+json",
	      "application/vnd.docker.image.rootfs.diff.tar.gzip");
}

static void test_plain_or_zstd_is_oci(void **state)
{
	(void)state;
	struct pd_push_desc l[] = {
		{ .digest = DIG("a"), .size = 10, .kind = PD_LAYER_GZIP },
		{ .digest = DIG("b"), .size = 20, .kind = PD_LAYER_TAR },
	};
	check(l, 2, "application/vnd.oci.image.manifest.v1+json", "application/vnd.oci.image.layer.v1.tar");
	struct pd_push_desc z[] = { { .digest = DIG("d"), .size = 5, .kind = PD_LAYER_ZSTD } };
	check(z, 1, "application/vnd.oci.image.manifest.v1+json",
	      "application/vnd.oci.image.layer.v1.tar+zstd");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_gzip_is_docker),
		cmocka_unit_test(test_plain_or_zstd_is_oci),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
