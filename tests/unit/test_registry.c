/* Unit tests for image/manifest.c: image references, WWW-Authenticate
 * challenges, manifests and indexes, platform selection, image configs.
 * Pure logic; no root, no network. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "image/manifest.h"
#include "util/cleanup.h"

#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define DIG   "sha256:" HEX64

static void check_ref(const char *s, const char *domain, const char *path, const char *tag,
		      const char *digest)
{
	struct pd_ref r;
	_cleanup_err_ struct pd_err *err = NULL;
	assert_int_equal(pd_ref_parse(s, &r, &err), 0);
	assert_string_equal(r.domain, domain);
	assert_string_equal(r.path, path);
	if (tag)
		assert_string_equal(r.tag, tag);
	else
		assert_null(r.tag);
	if (digest)
		assert_string_equal(r.digest, digest);
	else
		assert_null(r.digest);
	pd_ref_free(&r);
}

static void test_ref_parse(void **state)
{
	check_ref("busybox", "docker.io", "library/busybox", "latest", NULL);
	check_ref("docker.io/library/busybox:latest", "docker.io", "library/busybox", "latest", NULL);
	check_ref("registry:5000/team/app:1.2", "registry:5000", "team/app", "1.2", NULL);
	check_ref("127.0.0.1:5000/test/bb:v1", "127.0.0.1:5000", "test/bb", "v1", NULL);
	check_ref("localhost/x", "localhost", "x", "latest", NULL);
	check_ref("name@" DIG, "docker.io", "library/name", NULL, DIG);
	check_ref("user/app", "docker.io", "user/app", "latest", NULL);
}

static void test_ref_bad(void **state)
{
	static const char *const bad[] = { "", "bad//ref", "UPPER/case", "a:b:c", "x@sha256:12", "-x", "x/" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct pd_ref r;
		_cleanup_err_ struct pd_err *err = NULL;
		assert_int_equal(pd_ref_parse(bad[i], &r, &err), -1);
		assert_non_null(err);
	}
}

static void test_ref_names(void **state)
{
	struct pd_ref r;
	_cleanup_err_ struct pd_err *err = NULL;
	assert_int_equal(pd_ref_parse("127.0.0.1:5000/a/b:1", &r, &err), 0);
	_cleanup_free_ char *repo = pd_ref_repo(&r), *name = pd_ref_name(&r);
	assert_string_equal(repo, "127.0.0.1:5000/a/b");
	assert_string_equal(name, "127.0.0.1:5000/a/b:1");
	assert_true(pd_ref_is_loopback(&r));
	pd_ref_free(&r);
	assert_int_equal(pd_ref_parse("busybox", &r, &err), 0);
	assert_false(pd_ref_is_loopback(&r));
	assert_string_equal(pd_ref_api_host(&r), "registry-1.docker.io");
	pd_ref_free(&r);
}

static void test_challenge(void **state)
{
	struct pd_challenge c;
	_cleanup_err_ struct pd_err *err = NULL;
	assert_int_equal(pd_challenge_parse("Bearer realm=\"https://auth.example/token\",service=\"reg\","
					    "scope=\"repository:a/b:pull\"",
					    &c, &err),
			 0);
	assert_true(c.bearer);
	assert_string_equal(c.realm, "https://auth.example/token");
	assert_string_equal(c.service, "reg");
	assert_string_equal(c.scope, "repository:a/b:pull");
	pd_challenge_free(&c);
	assert_int_equal(pd_challenge_parse("Basic realm=\"pd-test\"", &c, &err), 0);
	assert_true(c.basic);
	assert_false(c.bearer);
	pd_challenge_free(&c);
}

static const char oci_manifest[] =
    "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
    "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" DIG
    "\",\"size\":7},"
    "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"" DIG
    "\",\"size\":10},"
    "{\"mediaType\":\"application/vnd.docker.image.rootfs.diff.tar.gzip\",\"digest\":\"" DIG
    "\",\"size\":20}]}";

static void test_manifest_parse(void **state)
{
	struct pd_manifest m;
	_cleanup_err_ struct pd_err *err = NULL;
	assert_int_equal(pd_manifest_parse(oci_manifest, strlen(oci_manifest), NULL, &m, &err), 0);
	assert_false(m.is_index);
	assert_int_equal(m.n_layers, 2);
	assert_string_equal(m.config.digest, DIG);
	assert_int_equal(m.layers[1].size, 20);
	pd_manifest_free(&m);
}

static void test_manifest_bad(void **state)
{
	static const char *const bad[] = {
		"not json",
		"{\"schemaVersion\":1,\"fsLayers\":[]}",
		"{\"schemaVersion\":2,\"mediaType\":\"application/"
		"vnd.oci.image.manifest.v1+json\",\"config\":{}}",
		"{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
		"\"config\":{\"mediaType\":\"x\",\"digest\":\"" DIG "\",\"size\":1},"
		"\"layers\":[{\"mediaType\":\"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip\","
		"\"digest\":\"" DIG "\",\"size\":1}]}",
		"{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
		"\"config\":{\"mediaType\":\"x\",\"digest\":\"sha256:short\",\"size\":1},\"layers\":[]}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct pd_manifest m;
		_cleanup_err_ struct pd_err *err = NULL;
		assert_int_equal(pd_manifest_parse(bad[i], strlen(bad[i]), NULL, &m, &err), -1);
		assert_non_null(err);
	}
}

static const char index_json[] =
    "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":["
    "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:" HEX64
    "\",\"size\":1,\"platform\":{\"architecture\":\"s390x\",\"os\":\"linux\"}},"
    "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" DIG
    "\",\"size\":2,\"platform\":{\"architecture\":\"arm\",\"os\":\"linux\",\"variant\":\"v7\"}}]}";

static void test_index_select(void **state)
{
	struct pd_manifest m;
	_cleanup_err_ struct pd_err *err = NULL;
	assert_int_equal(pd_manifest_parse(index_json, strlen(index_json), NULL, &m, &err), 0);
	assert_true(m.is_index);
	assert_int_equal(m.n_manifests, 2);
	const struct pd_descriptor *d = pd_index_select(&m, "arm", "v7", &err);
	assert_non_null(d);
	assert_int_equal(d->size, 2);
	d = pd_index_select(&m, "s390x", NULL, &err);
	assert_non_null(d);
	assert_int_equal(d->size, 1);
	assert_null(pd_index_select(&m, "riscv64", NULL, &err));
	assert_non_null(err);
	/* The error lists what the index offers. */
	assert_non_null(strstr(err->msg, "s390x"));
	pd_manifest_free(&m);
}

static void test_image_config(void **state)
{
	static const char cfg[] =
	    "{\"architecture\":\"amd64\",\"os\":\"linux\",\"created\":\"2024-01-02T03:04:05.5Z\","
	    "\"config\":{\"Entrypoint\":[\"/bin/sh\",\"-c\"],\"Cmd\":[\"echo "
	    "hi\"],\"Env\":[\"A=1\",\"B=x=y\"],"
	    "\"WorkingDir\":\"/data\",\"User\":\"app\",\"StopSignal\":\"SIGQUIT\"},"
	    "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" DIG "\",\"" DIG "\"]}}";
	struct pd_image_config c;
	_cleanup_err_ struct pd_err *err = NULL;
	assert_int_equal(pd_image_config_parse(cfg, strlen(cfg), &c, &err), 0);
	assert_string_equal(c.entrypoint[1], "-c");
	assert_string_equal(c.cmd[0], "echo hi");
	assert_string_equal(c.env[1], "B=x=y");
	assert_string_equal(c.workdir, "/data");
	assert_string_equal(c.user, "app");
	assert_string_equal(c.stop_signal, "SIGQUIT");
	assert_string_equal(c.arch, "amd64");
	assert_int_equal(c.n_diff_ids, 2);
	assert_string_equal(c.diff_ids[1], DIG);
	assert_int_equal(c.created_ns, 1704164645500000000LL);
	/* The stored runtime config parses back to the same defaults. */
	struct pd_image_config r;
	assert_int_equal(pd_image_runtime_parse(c.runtime_json, &r, &err), 0);
	assert_string_equal(r.workdir, "/data");
	assert_string_equal(r.entrypoint[0], "/bin/sh");
	pd_image_config_free(&r);
	pd_image_config_free(&c);
}

static void test_image_config_bad(void **state)
{
	static const char *const bad[] = {
		"{\"config\":{\"Env\":[\"NOEQUALS\"]}}",
		"{\"config\":{\"WorkingDir\":\"relative\"}}",
		"{\"config\":{\"WorkingDir\":\"/a/../b\"}}",
		"{\"config\":{\"Cmd\":\"not a list\"}}",
		"{\"config\":[]}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct pd_image_config c;
		_cleanup_err_ struct pd_err *err = NULL;
		assert_int_equal(pd_image_config_parse(bad[i], strlen(bad[i]), &c, &err), -1);
		assert_non_null(err);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ref_parse),	 cmocka_unit_test(test_ref_bad),
		cmocka_unit_test(test_ref_names),	 cmocka_unit_test(test_challenge),
		cmocka_unit_test(test_manifest_parse),	 cmocka_unit_test(test_manifest_bad),
		cmocka_unit_test(test_index_select),	 cmocka_unit_test(test_image_config),
		cmocka_unit_test(test_image_config_bad),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
