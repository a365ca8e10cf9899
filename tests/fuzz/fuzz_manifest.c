/* libFuzzer harness: the registry-facing parsers of image/manifest.c, all
 * fed untrusted bytes by a registry or the user: manifests and indexes
 * (pd_manifest_parse, pd_index_select), image configs
 * (pd_image_config_parse), image references (pd_ref_parse and the names
 * made from one) and WWW-Authenticate challenges (pd_challenge_parse).  The
 * first byte picks the parser, the rest is the input.  Checks beyond the
 * sanitizers: success and *err agree; a manifest has at most PD_MAX_LAYERS
 * layers and only valid digests; a selected index entry is one of the
 * index's; a reference's full name parses back to the same name. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "image/blobs.h"
#include "image/manifest.h"
#include "util/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void agree(int r, struct pd_err *err)
{
	if ((r == 0) != (err == NULL))
		abort();
}

static void fuzz_manifest(const char *body, size_t len, int variant)
{
	static const char *types[] = {
	    NULL,
	    "application/vnd.oci.image.manifest.v1+json",
	    "application/vnd.oci.image.index.v1+json",
	    "application/vnd.docker.distribution.manifest.v2+json",
	    "application/vnd.docker.distribution.manifest.list.v2+json",
	    "application/vnd.docker.distribution.manifest.v1+prettyjws",
	    "text/plain",
	    "",
	};
	struct pd_manifest m = {0};
	struct pd_err *err = NULL;
	int r = pd_manifest_parse(body, len, types[variant % 8], &m, &err);
	agree(r, err);
	pd_err_free(err);
	if (r == 0) {
		if (m.n_layers > PD_MAX_LAYERS)
			abort();
		for (size_t i = 0; i < m.n_layers; i++)
			if (!pd_digest_valid(m.layers[i].digest))
				abort();
		if (m.is_index) {
			for (size_t i = 0; i < m.n_manifests; i++)
				if (!pd_digest_valid(m.manifests[i].digest))
					abort();
			static const char *arch[] = {"amd64", "arm64", "arm", "386"};
			err = NULL;
			const struct pd_descriptor *d =
			    pd_index_select(&m, arch[variant % 4], variant & 4 ? "v7" : NULL, &err);
			if ((d != NULL) == (err != NULL))
				abort();
			if (d && (d < m.manifests || d >= m.manifests + m.n_manifests))
				abort();
			pd_err_free(err);
		} else if (!pd_digest_valid(m.config.digest)) {
			abort();
		}
	}
	pd_manifest_free(&m);
}

static void fuzz_config(const char *body, size_t len)
{
	struct pd_image_config c = {0};
	struct pd_err *err = NULL;
	int r = pd_image_config_parse(body, len, &c, &err);
	agree(r, err);
	pd_err_free(err);
	if (r == 0) {
		if (!c.runtime_json)
			abort();
		struct pd_image_config again = {0};
		err = NULL;
		/* The stored form must parse again. */
		if (pd_image_runtime_parse(c.runtime_json, &again, &err) < 0)
			abort();
		pd_image_config_free(&again);
	}
	pd_image_config_free(&c);
}

static void fuzz_ref(const char *s)
{
	struct pd_ref r = {0};
	struct pd_err *err = NULL;
	int rc = pd_ref_parse(s, &r, &err);
	agree(rc, err);
	pd_err_free(err);
	if (rc < 0)
		return;
	if (!r.domain || !r.path || (!r.tag && !r.digest))
		abort();
	char *repo = pd_ref_repo(&r), *name = pd_ref_name(&r);
	(void)pd_ref_api_host(&r);
	(void)pd_ref_is_loopback(&r);
	struct pd_ref again = {0};
	err = NULL;
	if (pd_ref_parse(name, &again, &err) < 0)
		abort();
	char *name2 = pd_ref_name(&again);
	if (strcmp(name, name2) != 0)
		abort();
	free(name2);
	pd_ref_free(&again);
	free(repo);
	free(name);
	pd_ref_free(&r);
}

static void fuzz_challenge(const char *s)
{
	struct pd_challenge c = {0};
	struct pd_err *err = NULL;
	int r = pd_challenge_parse(s, &c, &err);
	agree(r, err);
	pd_err_free(err);
	if (r == 0 && c.bearer == c.basic)
		abort();
	pd_challenge_free(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 256 * 1024)
		return 0;
	int op = data[0];
	/* A copy with a terminating NUL for the string parsers; the JSON
	 * parsers get the exact length. */
	char *s = malloc(size);
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	switch (op % 4) {
	case 0: fuzz_manifest(s, size - 1, op / 4); break;
	case 1: fuzz_config(s, size - 1); break;
	case 2: fuzz_ref(s); break;
	default: fuzz_challenge(s); break;
	}
	free(s);
	return 0;
}
