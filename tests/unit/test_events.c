/* Unit tests for events (core/events.c, core/store-events.c): the store's
 * own triggers record a container's life as its record changes; the table
 * stays bounded however many events come; filters match as Docker's do;
 * --since/--until times parse as Docker's.  Each test that needs a store
 * gets a fresh state root under /tmp.  No root, no network. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/events.h"
#include "core/store-events.h"
#include "core/store.h"
#include "util/cleanup.h"
#include "util/str.h"
#include "util/fs.h"
#include "util/proc.h"
#include "util/xalloc.h"

#define UNIT_ROOT_TEMPLATE "/tmp/pd-unit-events-XXXXXX"
#include "store-fixture.h"

/* Every kept event, oldest first, as "action" lines; *n their count. */
static char *read_all(const char *root, size_t *count, struct pd_event *last)
{
	_cleanup_err_ struct pd_err *err = NULL;
	struct pd_events_reader *r = pd_events_open(root, true, &err);
	assert_non_null(r);
	size_t total = 0, len = 0;
	char *text = xstrdup("");
	for (;;) {
		struct pd_event *v;
		size_t n;
		assert_int_equal(pd_events_next(r, &v, &n, &err), 0);
		for (size_t i = 0; i < n; i++) {
			if (total < 64) {
				char *t = xasprintf("%s%s ", text, v[i].action);
				free(text);
				text = t;
			}
			total++;
			len++;
			if (last && i == n - 1) {
				free(last->action);
				last->action = xstrdup(v[i].action);
				last->seq = v[i].seq;
			}
		}
		pd_events_free(v, n);
		if (!n)
			break;
	}
	pd_events_close(r);
	*count = total;
	return text;
}

/* ---- a container's life, recorded by the store ------------------------ */

static void test_record_changes_make_events(void **state)
{
	const char *root = *state;
	_cleanup_store_ struct pd_store *s = open_store(root);
	char id[65];
	snprintf(id, sizeof(id), "%064d", 7);
	struct pd_record r = {
		.name = (char *)"web",
		.image = (char *)"busybox",
		.command = (char *)"[\"true\"]",
		.config = (char *)"{\"Labels\":{\"team\":\"red\",\"name\":\"shadowed\"}}",
		.created_ns = 1000,
	};
	snprintf(r.id, sizeof(r.id), "%s", id);
	assert_int_equal(pd_store_insert(s, &r, NULL), 0);
	assert_int_equal(pd_store_set_running(s, id, 1, 1, 1, 1, 2000, NULL), 0);
	/* The same state again is no new start. */
	assert_int_equal(pd_store_set_running(s, id, 1, 1, 1, 1, 2001, NULL), 0);
	assert_int_equal(pd_store_set_health(s, id, "{\"Status\":\"starting\"}", NULL), 0);
	assert_int_equal(pd_store_set_health(s, id, "{\"Status\":\"healthy\"}", NULL), 0);
	assert_int_equal(pd_store_set_health(s, id, "{\"Status\":\"healthy\",\"FailingStreak\":0}", NULL), 0);
	assert_int_equal(pd_store_set_exited(s, id, 137, true, 3000, NULL, NULL), 0);
	assert_int_equal(pd_store_rename(s, id, "site", NULL), 0);
	assert_int_equal(pd_store_delete(s, id, NULL), 0);
	size_t n;
	_cleanup_free_ char *actions = read_all(root, &n, NULL);
	assert_string_equal(actions, "create start health_status: healthy oom die rename destroy ");

	/* The attributes: labels, then image and name over them; die's
	 * exitCode; the times the record carries. */
	_cleanup_err_ struct pd_err *err = NULL;
	struct pd_events_reader *rd = pd_events_open(root, true, &err);
	struct pd_event *v;
	assert_int_equal(pd_events_next(rd, &v, &n, &err), 0);
	assert_int_equal(n, 7);
	assert_string_equal(v[0].id, id);
	assert_string_equal(v[0].type, "container");
	assert_int_equal(v[0].time_ns, 1000);
	assert_int_equal(v[1].time_ns, 2000);
	assert_int_equal(v[4].time_ns, 3000);
	json_t *a = v[4].attributes;
	assert_string_equal(json_string_value(json_object_get(a, "exitCode")), "137");
	assert_string_equal(json_string_value(json_object_get(a, "name")), "web");
	assert_string_equal(json_string_value(json_object_get(a, "team")), "red");
	assert_string_equal(json_string_value(json_object_get(a, "image")), "busybox");
	assert_string_equal(json_string_value(json_object_get(v[5].attributes, "oldName")), "web");
	assert_string_equal(json_string_value(json_object_get(v[5].attributes, "name")), "site");
	pd_events_free(v, n);
	pd_events_close(rd);
}

/* A record whose config is not JSON still changes: a trigger never fails
 * the change it follows. */
static void test_bad_config_never_blocks_a_change(void **state)
{
	const char *root = *state;
	_cleanup_store_ struct pd_store *s = open_store(root);
	struct pd_record r = {
		.name = (char *)"odd",
		.image = (char *)"x",
		.command = (char *)"[]",
		.config = (char *)"{not json",
		.created_ns = 5,
	};
	snprintf(r.id, sizeof(r.id), "%064d", 8);
	assert_int_equal(pd_store_insert(s, &r, NULL), 0);
	assert_int_equal(pd_store_set_exited(s, r.id, 125, false, 6, "failed", NULL), 0);
	size_t n;
	_cleanup_free_ char *actions = read_all(root, &n, NULL);
	assert_string_equal(actions, "create die ");
}

/* Called events: kill with its signal; none for a record that is gone. */
static void test_called_events(void **state)
{
	const char *root = *state;
	_cleanup_store_ struct pd_store *s = open_store(root);
	struct pd_record r = {
		.name = (char *)"k", .image = (char *)"x", .command = (char *)"[]", .config = (char *)"{}"
	};
	snprintf(r.id, sizeof(r.id), "%064d", 9);
	assert_int_equal(pd_store_insert(s, &r, NULL), 0);
	pd_event_container_kill(s, r.id, 15);
	pd_event_container(s, r.id, "pause", NULL, NULL);
	pd_event_container_exit(s, r.id, 0, false);
	pd_event_container(s, "no-such-id", "pause", NULL, NULL);
	pd_event_container(NULL, r.id, "pause", NULL, NULL);
	size_t n;
	_cleanup_free_ char *actions = read_all(root, &n, NULL);
	assert_string_equal(actions, "create kill pause die ");
}

/* ---- bounded ----------------------------------------------------------- */

static void test_table_stays_bounded(void **state)
{
	const char *root = *state;
	_cleanup_store_ struct pd_store *s = open_store(root);
	const size_t total = PD_EVENTS_KEEP + 777, batch = 500;
	struct pd_store_event *v = xcalloc(batch, sizeof(*v));
	for (size_t done = 0; done < total;) {
		size_t k = total - done < batch ? total - done : batch;
		for (size_t i = 0; i < k; i++) {
			v[i] = (struct pd_store_event){ .time_ns = (int64_t)(done + i),
							.type = (char *)"container",
							.action = xasprintf("e%zu", done + i),
							.id = (char *)"x" };
		}
		assert_int_equal(pd_store_events_insert(s, v, k, NULL), 0);
		for (size_t i = 0; i < k; i++)
			free(v[i].action);
		done += k;
	}
	free(v);
	size_t n;
	struct pd_event last = { 0 };
	_cleanup_free_ char *actions = read_all(root, &n, &last);
	assert_true(n >= PD_EVENTS_KEEP);
	assert_true(n <= PD_EVENTS_KEEP + PD_EVENTS_TRIM_EVERY - 1);
	/* The newest are kept, the oldest went. */
	_cleanup_free_ char *want = xasprintf("e%zu", total - 1);
	assert_string_equal(last.action, want);
	assert_int_equal(strncmp(actions, "e0 ", 3) == 0, false);
	free(last.action);
}

/* A follower reads only what came after its open. */
static void test_follow_reads_only_new(void **state)
{
	const char *root = *state;
	pd_event_image(root, "pull", "old:1", NULL);
	_cleanup_err_ struct pd_err *err = NULL;
	struct pd_events_reader *r = pd_events_open(root, false, &err);
	assert_non_null(r);
	struct pd_event *v;
	size_t n;
	assert_int_equal(pd_events_next(r, &v, &n, &err), 0);
	assert_int_equal(n, 0);
	pd_events_free(v, n);
	pd_event_image(root, "pull", "new:1", NULL);
	assert_int_equal(pd_events_next(r, &v, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].id, "new:1");
	assert_string_equal(json_string_value(json_object_get(v[0].attributes, "name")), "new:1");
	pd_events_free(v, n);
	assert_int_equal(pd_events_next(r, &v, &n, &err), 0);
	assert_int_equal(n, 0);
	pd_events_free(v, n);
	pd_events_close(r);
}

/* ---- filters ----------------------------------------------------------- */

static struct pd_event ev(const char *type, const char *action, const char *id, const char *attrs)
{
	return (struct pd_event){ .type = (char *)type,
				  .action = (char *)action,
				  .id = (char *)id,
				  .attributes = json_loads(attrs, 0, NULL) };
}

static bool matches(const char *const *specs, const struct pd_event *e)
{
	struct pd_event_filter f = { 0 };
	for (size_t i = 0; specs[i]; i++)
		assert_int_equal(pd_event_filter_add(&f, specs[i], NULL), 0);
	bool m = pd_event_filter_match(&f, e);
	pd_event_filter_free(&f);
	return m;
}

#define M(e, ...) matches((const char *const[]){ __VA_ARGS__, NULL }, e)

static void test_filters_match_as_docker(void **state)
{
	struct pd_event c = ev("container", "health_status: healthy", "abcdef0123",
			       "{\"name\":\"web\",\"image\":\"busybox:1.36\",\"team\":\"red\"}");
	struct pd_event i = ev("image", "pull", "alpine:3", "{\"name\":\"alpine:3\"}");
	assert_true(M(&c, "container=web"));
	assert_true(M(&c, "container=abc"));
	assert_false(M(&c, "container=we"));
	assert_true(M(&c, "container=nope", "container=web"));
	assert_false(M(&i, "container=web"));
	assert_true(M(&c, "event=health_status"));
	assert_true(M(&c, "event=health_status: healthy"));
	assert_false(M(&c, "event=health"));
	assert_true(M(&c, "type=container"));
	assert_false(M(&c, "type=image"));
	assert_true(M(&c, "image=busybox"));
	assert_true(M(&c, "image=busybox:1.36"));
	assert_false(M(&c, "image=busy"));
	assert_true(M(&i, "image=alpine"));
	assert_true(M(&c, "label=team"));
	assert_true(M(&c, "label=team=red"));
	assert_false(M(&c, "label=team=blue"));
	assert_false(M(&c, "label=team=red", "type=image"));
	struct pd_event_filter f = { 0 };
	_cleanup_err_ struct pd_err *err = NULL;
	assert_int_equal(pd_event_filter_add(&f, "colour=red", &err), -1);
	assert_int_equal(err->kind, PD_ERR_USAGE);
	pd_err_freep(&err);
	assert_int_equal(pd_event_filter_add(&f, "container", &err), -1);
	pd_err_freep(&err);
	assert_int_equal(pd_event_filter_add(&f, "type=volume", &err), -1);
	pd_event_filter_free(&f);
	json_decref(c.attributes);
	json_decref(i.attributes);
}

/* ---- times ------------------------------------------------------------- */

static int64_t when(const char *s, int64_t now)
{
	int64_t t = -1;
	_cleanup_err_ struct pd_err *err = NULL;
	if (pd_parse_time_arg(s, now, &t, &err) < 0)
		fail_msg("'%s': %s", s, err->msg);
	return t;
}

static void test_times_parse_as_docker(void **state)
{
	setenv("TZ", "UTC", 1);
	const int64_t now = 1700000000LL * 1000000000;
	const int64_t s = 1000000000;
	assert_int_equal(when("1700000000", now), now);
	assert_int_equal(when("1700000000.25", now), now + s / 4);
	assert_int_equal(when("10m", now), now - 600 * s);
	assert_int_equal(when("1h30m", now), now - 5400 * s);
	assert_int_equal(when("1.5h", now), now - 5400 * s);
	assert_int_equal(when("2023-11-14T22:13:20Z", now), now);
	assert_int_equal(when("2023-11-14T22:13:20.5Z", now), now + s / 2);
	assert_int_equal(when("2023-11-14T23:13:20+01:00", now), now);
	assert_int_equal(when("2023-11-14T22:13:20", now), now); /* local: TZ=UTC */
	assert_int_equal(when("2023-11-14T22:13", now), now - 20 * s);
	assert_int_equal(when("2023-11-14", now), now - (22 * 3600 + 13 * 60 + 20) * s);
	static const char *const bad[] = {
		"",	"yesterday", "2023-13-01", "2023-11-14T22:13:20+0100", "1700000000x", "2023-11-14T",
		"1.5.5"
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int64_t t;
		_cleanup_err_ struct pd_err *err = NULL;
		if (pd_parse_time_arg(bad[i], now, &t, &err) == 0)
			fail_msg("'%s' parsed as %lld", bad[i], (long long)t);
		assert_int_equal(err->kind, PD_ERR_USAGE);
	}
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_record_changes_make_events),
		T(test_bad_config_never_blocks_a_change),
		T(test_called_events),
		T(test_table_stays_bounded),
		T(test_follow_reads_only_new),
		cmocka_unit_test(test_filters_match_as_docker),
		cmocka_unit_test(test_times_parse_as_docker),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
