/* Unit tests for image/push.c's manifests: the one push writes for a
 * config and its layers, read back by the project's own parser
 * (image/manifest.c); which kept manifest (image/pull.h) push may send
 * again; a layer's kind.  No root, no network: files in a temporary
 * directory only. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <unistd.h>

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

/* A file in a fresh temporary directory; the path is the caller's. */
static char *temp_file(const void *data, size_t len)
{
	char dir[] = "/tmp/pd-test-push-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char *path = NULL;
	assert_true(asprintf(&path, "%s/f", dir) > 0);
	FILE *f = fopen(path, "we");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
	return path;
}

static void remove_temp(char *path)
{
	unlink(path);
	*strrchr(path, '/') = '\0';
	rmdir(path);
	free(path);
}

#define KEPT_DOCKER                                                                                          \
	"{\"schemaVersion\":2,\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\","       \
	"\"config\":{\"mediaType\":\"application/vnd.docker.container.image.v1+json\",\"size\":1234,"        \
	"\"digest\":\"" DIG(                                                                                 \
	    "c") "\"},\"layers\":[{\"mediaType\":"                                                           \
		 "\"application/vnd.docker.image.rootfs.diff.tar.gzip\",\"size\":10,\"digest\":\"" DIG(      \
		     "a") "\"},"                                                                             \
			  "{\"mediaType\":\"application/"                                                    \
			  "vnd.docker.image.rootfs.diff.tar.gzip\",\"size\":20,\"digest\":\"" DIG(           \
			      "b") "\"}]}"

/* The kept manifest only when it names exactly these blobs. */
static const char *kept(const char *body, const struct pd_push_desc *config, const struct pd_push_desc *l,
			size_t n, const char **mtype)
{
	char *path = temp_file(body, strlen(body));
	size_t len = 0;
	*mtype = NULL;
	char *got = pd_push_kept_manifest(path, config, l, n, &len, mtype);
	remove_temp(path);
	if (!got)
		return NULL;
	assert_int_equal(len, strlen(body));
	assert_memory_equal(got, body, len);
	free(got);
	return "kept";
}

static void test_kept_manifest_matches(void **state)
{
	(void)state;
	struct pd_push_desc config = { .digest = DIG("c"), .size = 1234 };
	struct pd_push_desc l[] = {
		{ .digest = DIG("a"), .size = 10, .kind = PD_LAYER_GZIP },
		{ .digest = DIG("b"), .size = 20, .kind = PD_LAYER_GZIP },
	};
	const char *mtype;
	assert_non_null(kept(KEPT_DOCKER, &config, l, 2, &mtype));
	assert_string_equal(mtype, "application/vnd.docker.distribution.manifest.v2+json");
	/* Another size, digest, count or order of layers: not this image's. */
	struct pd_push_desc other = l[1];
	l[1].size = 21;
	assert_null(kept(KEPT_DOCKER, &config, l, 2, &mtype));
	l[1] = other;
	assert_null(kept(KEPT_DOCKER, &config, l, 1, &mtype));
	struct pd_push_desc swapped[] = { l[1], l[0] };
	assert_null(kept(KEPT_DOCKER, &config, swapped, 2, &mtype));
	struct pd_push_desc config2 = { .digest = DIG("d"), .size = 1234 };
	assert_null(kept(KEPT_DOCKER, &config2, l, 2, &mtype));
	config2 = (struct pd_push_desc){ .digest = DIG("c"), .size = 1235 };
	assert_null(kept(KEPT_DOCKER, &config2, l, 2, &mtype));
	/* An OCI manifest without mediaType is sent as OCI. */
	const char *oci =
	    "{\"schemaVersion\":2,\"config\":{\"mediaType\":"
	    "\"application/vnd.oci.image.config.v1+json\",\"size\":1234,\"digest\":\"" DIG(
		"c") "\"},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\","
		     "\"size\":10,\"digest\":\"" DIG("a") "\"}]}";
	assert_non_null(kept(oci, &config, l, 1, &mtype));
	assert_string_equal(mtype, "application/vnd.oci.image.manifest.v1+json");
	/* Not JSON, an index: written anew. */
	assert_null(kept("{\"schemaVersion\":2,", &config, l, 2, &mtype));
	const char *index = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\","
			    "\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
			    "\"size\":10,\"digest\":\"" DIG("a") "\",\"platform\":{\"os\":\"linux\","
								 "\"architecture\":\"amd64\"}}]}";
	assert_null(kept(index, &config, l, 1, &mtype));
	/* None kept. */
	size_t len;
	assert_null(pd_push_kept_manifest(NULL, &config, l, 2, &len, &mtype));
	assert_null(pd_push_kept_manifest("/nonexistent/pd-kept", &config, l, 2, &len, &mtype));
}

static void test_layer_kind(void **state)
{
	(void)state;
	static const struct {
		const char *bytes;
		size_t len;
		enum pd_layer_kind kind;
	} cases[] = {
		{ "\x1f\x8b\x08\0\0\0", 6, PD_LAYER_GZIP },
		{ "\x28\xb5\x2f\xfd\0\0", 6, PD_LAYER_ZSTD },
		{ "\xfd"
		  "7zXZ\0",
		  6, PD_LAYER_OTHER },
		{ "BZh91A", 6, PD_LAYER_OTHER },
		{ "bin/\0\0", 6, PD_LAYER_TAR },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *path = temp_file(cases[i].bytes, cases[i].len);
		enum pd_layer_kind kind = PD_LAYER_TAR;
		_cleanup_err_ struct pd_err *err = NULL;
		assert_int_equal(pd_push_layer_kind(path, &kind, &err), 0);
		assert_int_equal(kind, cases[i].kind);
		remove_temp(path);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_gzip_is_docker),
		cmocka_unit_test(test_plain_or_zstd_is_oci),
		cmocka_unit_test(test_kept_manifest_matches),
		cmocka_unit_test(test_layer_kind),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
