/* Unit tests for core/image-filter.c: the --filter parser, reference
 * patterns, intermediate images and the selection over image records.
 * Pure logic over records made here; no store, no root, no network. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/image-filter.h"
#include "util/cleanup.h"
#include "util/str.h"
#include "util/xalloc.h"

/* A record: id "sha256:<idc>...", created at `t`, layers named by the
 * letters of `chain` (bottom first), names "repo:tag" separated by
 * spaces (NULL: none), Labels JSON object text (NULL: none). */
static void mk(struct pd_image_rec *r, char idc, int64_t t, const char *chain, const char *names,
	       const char *labels)
{
	*r = (struct pd_image_rec){ 0 };
	char id[72];
	snprintf(id, sizeof(id), "sha256:%c%063d", idc, 0);
	r->id = xstrdup(id);
	r->created_ns = t;
	r->config = labels ? xasprintf("{\"Labels\":%s}", labels) : xstrdup("{}");
	r->n_layers = strlen(chain);
	r->layers = xcalloc(r->n_layers ? r->n_layers : 1, sizeof(*r->layers));
	for (size_t i = 0; i < r->n_layers; i++) {
		r->layers[i].diff_id = xasprintf("sha256:diff-%c", chain[i]);
		r->layers[i].digest = xasprintf("sha256:blob-%c", chain[i]);
	}
	if (!names)
		return;
	_cleanup_strv_ char **v = pd_shell_split(names, NULL);
	r->n_names = strv_len(v);
	r->names = xcalloc(r->n_names, sizeof(*r->names));
	for (size_t i = 0; i < r->n_names; i++) {
		char *colon = strrchr(v[i], ':');
		r->names[i].repo = colon ? xstrndup(v[i], (size_t)(colon - v[i])) : xstrdup(v[i]);
		r->names[i].tag = xstrdup(colon ? colon + 1 : "");
	}
}

static void free_recs(struct pd_image_rec *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		pd_image_rec_clear(&v[i]);
}

/* The first id letters of the selected records, in order. */
static void kept_ids(const struct pd_image_rec *v, size_t n, char *buf)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = v[i].id[7];
	buf[n] = '\0';
}

static void add_ok(struct pd_image_filter *f, const char *spec)
{
	_cleanup_err_ struct pd_err *err = NULL;
	assert_int_equal(pd_image_filter_add(f, spec, &err), 0);
	assert_null(err);
}

static void add_bad(const char *spec)
{
	struct pd_image_filter f;
	pd_image_filter_init(&f);
	_cleanup_err_ struct pd_err *err = NULL;
	assert_int_equal(pd_image_filter_add(&f, spec, &err), -1);
	assert_non_null(err);
	assert_int_equal(err->kind, PD_ERR_USAGE);
	assert_null(f.labels);
	assert_null(f.refs);
	assert_int_equal(f.dangling, -1);
	pd_image_filter_clear(&f);
}

static void test_parse(void **state)
{
	struct pd_image_filter f;
	pd_image_filter_init(&f);
	assert_int_equal(f.dangling, -1);
	add_ok(&f, "dangling=true");
	assert_int_equal(f.dangling, 1);
	add_ok(&f, "dangling=FALSE");
	assert_int_equal(f.dangling, 0);
	add_ok(&f, "label=team");
	add_ok(&f, "label=tier=1=x");
	add_ok(&f, "reference=bb*");
	add_ok(&f, "before=bb:1");
	add_ok(&f, "since=sha256:abc");
	assert_int_equal(strv_len(f.labels), 2);
	assert_string_equal(f.labels[1], "tier=1=x");
	assert_string_equal(f.refs[0], "bb*");
	assert_string_equal(f.before[0], "bb:1");
	assert_string_equal(f.since[0], "sha256:abc");
	pd_image_filter_clear(&f);
	assert_null(f.labels);

	add_bad("dangling=maybe");
	add_bad("dangling");
	add_bad("colour=red");
	add_bad("=x");
	add_bad("label=");
	add_bad("label==v");
	add_bad("reference=");
	add_bad("before=");
	add_bad("since=");
	add_bad("Label=x");
}

static void test_reference_match(void **state)
{
	struct pd_image_name bb = { .repo = "bb", .tag = "1" };
	struct pd_image_name app = { .repo = "team/app", .tag = "1" };
	struct pd_image_name reg = { .repo = "127.0.0.1:5000/team/app", .tag = "2.0" };
	struct pd_image_name untagged = { .repo = "plain", .tag = "" };
	assert_true(pd_image_ref_match("bb", &bb));
	assert_true(pd_image_ref_match("bb:1", &bb));
	assert_false(pd_image_ref_match("bb:2", &bb));
	assert_true(pd_image_ref_match("bb*", &bb));
	assert_true(pd_image_ref_match("b?", &bb));
	assert_true(pd_image_ref_match("[ab]b", &bb));
	assert_false(pd_image_ref_match("b", &bb));
	assert_true(pd_image_ref_match("*/app:1", &app));
	assert_true(pd_image_ref_match("team/*", &app));
	assert_false(pd_image_ref_match("*", &app)); /* `*` does not cross `/` */
	assert_false(pd_image_ref_match("*:1", &app));
	assert_true(pd_image_ref_match("127.0.0.1:5000/*/app:2.*", &reg));
	assert_false(pd_image_ref_match("*/app:2.0", &reg));
	assert_true(pd_image_ref_match("plain", &untagged));
	assert_false(pd_image_ref_match("plain:", &untagged));
}

static void test_intermediate(void **state)
{
	struct pd_image_rec v[6];
	mk(&v[0], 'a', 10, "A", "bb:1", NULL);			  /* base */
	mk(&v[1], 'b', 20, "AB", NULL, NULL);			  /* RUN step under app */
	mk(&v[2], 'c', 30, "AB", "app:1", "{\"team\":\"core\"}"); /* LABEL step: app:1 */
	mk(&v[3], 'd', 40, "AC", NULL, NULL);			  /* dangling: nothing on top */
	mk(&v[4], 'e', 50, "ACD", NULL, NULL);			  /* makes d intermediate... */
	mk(&v[5], 'f', 60, "X", NULL, NULL);			  /* unrelated, dangling */
	assert_false(pd_image_is_intermediate(v, 6, 0));	  /* named */
	assert_true(pd_image_is_intermediate(v, 6, 1));		  /* same chain as named app:1 */
	assert_false(pd_image_is_intermediate(v, 6, 2));
	assert_true(pd_image_is_intermediate(v, 6, 3)); /* prefix of e */
	assert_false(pd_image_is_intermediate(v, 6, 4));
	assert_false(pd_image_is_intermediate(v, 6, 5));
	/* Without e, d has nothing built on it: dangling, shown. */
	assert_false(pd_image_is_intermediate(v, 4, 3));
	free_recs(v, 6);

	/* The same chain: the older one is a step under the newer when the
	 * configs differ (a LABEL step on top). */
	struct pd_image_rec w[2];
	mk(&w[0], 'a', 10, "AB", NULL, NULL);
	mk(&w[1], 'b', 20, "AB", NULL, "{\"k\":\"v\"}");
	assert_true(pd_image_is_intermediate(w, 2, 0));
	assert_false(pd_image_is_intermediate(w, 2, 1));
	free_recs(w, 2);
	/* The same chain and config (a container committed twice): both shown. */
	mk(&w[0], 'a', 10, "AB", NULL, NULL);
	mk(&w[1], 'b', 20, "AB", "named:1", NULL);
	assert_false(pd_image_is_intermediate(w, 2, 0));
	free_recs(w, 2);
	/* A newer unnamed image with its base's layers (FROM bb:1, CMD x):
	 * the older named base does not hide it. */
	mk(&w[0], 'a', 10, "A", "bb:1", NULL);
	mk(&w[1], 'b', 20, "A", NULL, "{\"k\":\"v\"}");
	assert_false(pd_image_is_intermediate(w, 2, 1));
	free_recs(w, 2);
	/* An older image with a longer chain was not built on a newer one. */
	mk(&w[0], 'a', 10, "AB", "app:1", NULL);
	mk(&w[1], 'b', 20, "A", NULL, NULL);
	assert_false(pd_image_is_intermediate(w, 2, 1));
	free_recs(w, 2);
}

/* Six images, newest first as pd_image_list gives them; select with the
 * filter and compare the kept id letters. */
static void check_select(struct pd_image_filter *f, int64_t since, int64_t before, const char *want)
{
	struct pd_image_rec v[6];
	mk(&v[0], 'f', 60, "X", NULL, NULL);
	mk(&v[1], 'e', 50, "AC", NULL, "{\"team\":\"core\"}");
	mk(&v[2], 'c', 30, "AB", "app:1 team/app:1 team/app:2", "{\"team\":\"core\",\"tier\":\"1\"}");
	mk(&v[3], 'b', 20, "AB", NULL, "{\"team\":\"core\"}");
	mk(&v[4], 'g', 15, "", NULL, NULL);
	mk(&v[5], 'a', 10, "A", "bb:1 bb:latest", NULL);
	size_t n = pd_image_filter_select(v, 6, f, since, before);
	char got[8];
	kept_ids(v, n, got);
	assert_string_equal(got, want);
	free_recs(v, n);
	pd_image_filter_clear(f);
}

static void test_select(void **state)
{
	struct pd_image_filter f;
	pd_image_filter_init(&f);
	check_select(&f, INT64_MIN, INT64_MAX, "feca"); /* b and g are intermediate */
	f.all = true;
	check_select(&f, INT64_MIN, INT64_MAX, "fecbga");
	add_ok(&f, "dangling=true");
	check_select(&f, INT64_MIN, INT64_MAX, "fe");
	add_ok(&f, "dangling=true");
	f.all = true;
	check_select(&f, INT64_MIN, INT64_MAX, "febg");
	add_ok(&f, "dangling=false");
	check_select(&f, INT64_MIN, INT64_MAX, "ca");
	add_ok(&f, "label=team");
	check_select(&f, INT64_MIN, INT64_MAX, "ec");
	add_ok(&f, "label=team=core");
	add_ok(&f, "label=tier=1");
	check_select(&f, INT64_MIN, INT64_MAX, "c");
	add_ok(&f, "label=team=edge");
	check_select(&f, INT64_MIN, INT64_MAX, "");
	add_ok(&f, "reference=bb");
	check_select(&f, INT64_MIN, INT64_MAX, "a");
	add_ok(&f, "reference=nothing*");
	check_select(&f, INT64_MIN, INT64_MAX, "");
	/* Patterns are alternatives. */
	add_ok(&f, "reference=nothing");
	add_ok(&f, "reference=app");
	check_select(&f, INT64_MIN, INT64_MAX, "c");
	/* Times are strict bounds: since 10 (a), before 50 (e). */
	check_select(&f, 10, 50, "c");
	f.all = true;
	check_select(&f, 10, 50, "cbg");
}

/* Reference patterns keep only the names that match. */
static void test_select_prunes_names(void **state)
{
	struct pd_image_filter f;
	pd_image_filter_init(&f);
	add_ok(&f, "reference=*/app:2");
	add_ok(&f, "reference=bb:latest");
	struct pd_image_rec v[2];
	mk(&v[0], 'c', 30, "AB", "app:1 team/app:1 team/app:2", NULL);
	mk(&v[1], 'a', 10, "A", "bb:1 bb:latest", NULL);
	size_t n = pd_image_filter_select(v, 2, &f, INT64_MIN, INT64_MAX);
	assert_int_equal(n, 2);
	assert_int_equal(v[0].n_names, 1);
	assert_string_equal(v[0].names[0].repo, "team/app");
	assert_string_equal(v[0].names[0].tag, "2");
	assert_int_equal(v[1].n_names, 1);
	assert_string_equal(v[1].names[0].tag, "latest");
	free_recs(v, n);
	pd_image_filter_clear(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_reference_match),
		cmocka_unit_test(test_intermediate),
		cmocka_unit_test(test_select),
		cmocka_unit_test(test_select_prunes_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
