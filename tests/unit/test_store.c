/* Unit tests for the state store (core/store.c) and the read-only queries
 * built on it (core/query.c), written to be read as a description of how
 * pocket-docker keeps its containers' records.
 *
 * In one paragraph: every container has one row in <root>/state.db.  The
 * CLI that runs it inserts the row as `creating` before any kernel object
 * exists; the container's monitor then marks it running, exited (with the
 * code) or restarting; `rm` deletes it.  Commands name a container by its
 * name, its full id or any unique prefix of the id.  Many processes (CLIs,
 * one monitor per container) open the same file at once, so each state
 * change is one short transaction and a writer waits for another instead
 * of failing.
 *
 * Each test gets a fresh state root, /tmp/pd-unit-store-XXXXXX, removed by
 * its teardown whether the test passed or not.  No root, no network. */
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "core/query.h"
#include "core/store-internal.h"
#include "core/store.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/proc.h"
#include "util/xalloc.h"

/* ---- fixtures --------------------------------------------------------- */

#define UNIT_ROOT_TEMPLATE "/tmp/pd-unit-store-XXXXXX"
#include "store-fixture.h"

/* A 64-digit id: `prefix` padded with zeros. */
static void make_id(char id[65], const char *prefix)
{
	snprintf(id, 65, "%s%0*d", prefix, (int)(64 - strlen(prefix)), 0);
}

/* The record a `run` would insert.  Its owner (monitor_pid/start) is this
 * process, which is alive: the queries of query.c then trust the row as
 * it is (see test_dead_owner_is_recorded_exited for the other case). */
static struct pd_record new_record(const char *id_prefix, const char *name, int64_t created_ns)
{
	struct pd_record r = {
		.name = (char *)name,
		.image = (char *)"busybox.tar.gz",
		.command = (char *)"[\"/bin/sh\",\"-c\",\"echo hi\"]",
		.config = (char *)"{\"Hostname\":\"box\"}",
		.created_ns = created_ns,
		.monitor_pid = getpid(),
		.monitor_start = pd_proc_start_time(getpid()),
		.exit_code = -1,
	};
	make_id(r.id, id_prefix);
	return r;
}

static void insert(struct pd_store *s, const char *id_prefix, const char *name, int64_t created_ns)
{
	_cleanup_err_ struct pd_err *err = NULL;
	struct pd_record r = new_record(id_prefix, name, created_ns);
	if (pd_store_insert(s, &r, &err) < 0)
		fail_msg("insert %s: %s", name, err->msg);
}

/* The record `ref` names; the test fails if there is none. */
static struct pd_record find(struct pd_store *s, const char *ref)
{
	_cleanup_err_ struct pd_err *err = NULL;
	struct pd_record r;
	if (pd_store_find(s, ref, &r, &err) < 0)
		fail_msg("find '%s': %s", ref, err->msg);
	return r;
}

/* The error finding `ref` gives; the test fails if it is found. */
static struct pd_err *find_fails(struct pd_store *s, const char *ref)
{
	struct pd_err *err = NULL;
	struct pd_record r;
	if (pd_store_find(s, ref, &r, &err) == 0) {
		pd_record_free(&r);
		fail_msg("'%s' was found", ref);
	}
	assert_non_null(err);
	return err;
}

static void assert_contains(const char *s, const char *part)
{
	if (!s || !strstr(s, part))
		fail_msg("'%s' does not contain '%s'", s ? s : "(null)", part);
}

/* Run SQL on the database file directly, as another program (or an older
 * pocket-docker) would. */
static void raw_sql(const char *root, const char *sql)
{
	_cleanup_free_ char *path = xasprintf("%s/state.db", root);
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
	sqlite3_close(db);
}

static int raw_int(const char *root, const char *sql)
{
	_cleanup_free_ char *path = xasprintf("%s/state.db", root);
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	int v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

/* ---- opening ---------------------------------------------------------- */

/* Opening a state root that has no database creates <root>/state.db, in
 * WAL mode (readers never block the one writer). */
static void test_open_creates_the_database(void **state)
{
	const char *root = *state;
	_cleanup_store_ struct pd_store *s = open_store(root);
	_cleanup_free_ char *path = xasprintf("%s/state.db", root);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	_cleanup_free_ char *mode = NULL;
	{
		sqlite3 *db = NULL;
		sqlite3_stmt *q = NULL;
		assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
		assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &q, NULL), SQLITE_OK);
		assert_int_equal(sqlite3_step(q), SQLITE_ROW);
		mode = xstrdup((const char *)sqlite3_column_text(q, 0));
		sqlite3_finalize(q);
		sqlite3_close(db);
	}
	assert_string_equal(mode, "wal");
}

/* A state root that does not exist is not made by the store (the caller
 * chooses and makes the root): opening fails, naming the file. */
static void test_open_without_root_fails(void **state)
{
	_cleanup_free_ char *root = xasprintf("%s/missing", (const char *)*state);
	_cleanup_err_ struct pd_err *err = NULL;
	struct pd_store *s = pd_store_open(root, &err);
	assert_null(s);
	assert_non_null(err);
	assert_int_equal(err->kind, PD_ERR_RUNTIME);
	assert_contains(err->msg, "missing/state.db");
}

/* ---- a container's life ----------------------------------------------- */

/* Insert writes the row as `creating`, whatever state the caller's struct
 * says: nothing is running yet.  Its owner is the process that inserted
 * it (the CLI), recorded as monitor_pid/monitor_start; the exit code is
 * -1 (unknown) and no process is recorded. */
static void test_insert_is_creating(void **state)
{
	_cleanup_store_ struct pd_store *s = open_store(*state);
	struct pd_record in = new_record("c0ffee", "web", 1000);
	in.state = PD_STATE_RUNNING;
	in.pid = 4242;
	in.auto_remove = true;
	assert_int_equal(pd_store_insert(s, &in, NULL), 0);

	struct pd_record r = find(s, "web");
	assert_string_equal(r.id, in.id);
	assert_string_equal(r.name, "web");
	assert_string_equal(r.image, in.image);
	assert_string_equal(r.command, in.command);
	assert_string_equal(r.config, in.config);
	assert_int_equal(r.state, PD_STATE_CREATING);
	assert_int_equal(r.created_ns, 1000);
	assert_int_equal(r.pid, 0);
	assert_int_equal(r.monitor_pid, getpid());
	assert_int_equal(r.monitor_start, in.monitor_start);
	assert_int_equal(r.exit_code, -1);
	assert_true(r.auto_remove);
	assert_false(r.oom_killed);
	assert_false(r.stop_requested);
	assert_int_equal(r.restart_count, 0);
	assert_null(r.error);
	assert_null(r.health);
	pd_record_free(&r);
}

/* Names are unique: a second container with a name in use is refused as
 * bad input (exit 125), and the message names the container holding it
 * by its short (12-digit) id.  Nothing is written. */
static void test_name_in_use_is_refused(void **state)
{
	_cleanup_store_ struct pd_store *s = open_store(*state);
	insert(s, "c0ffee", "web", 1000);
	struct pd_record dup = new_record("beef", "web", 2000);
	_cleanup_err_ struct pd_err *err = NULL;
	assert_int_equal(pd_store_insert(s, &dup, &err), -1);
	assert_int_equal(err->kind, PD_ERR_USAGE);
	assert_string_equal(err->msg,
			    "the container name \"web\" is already in use by container \"c0ffee000000\"; "
			    "remove it or choose another name");
	struct pd_record *v = NULL;
	size_t n = 0;
	assert_int_equal(pd_store_list(s, &v, &n, NULL), 0);
	assert_int_equal(n, 1);
	pd_records_free(v, n);
}

/* The monitor marks the row running once the container's init exists:
 * its pid and start time (a pid alone is no identity), the monitor's own
 * identity (it now owns the row), and when it started. */
static void test_running_records_the_processes(void **state)
{
	_cleanup_store_ struct pd_store *s = open_store(*state);
	insert(s, "c0ffee", "web", 1000);
	char id[65];
	make_id(id, "c0ffee");
	assert_int_equal(pd_store_set_running(s, id, 4242, 777, 4241, 776, 2000, NULL), 0);

	struct pd_record r = find(s, "web");
	assert_int_equal(r.state, PD_STATE_RUNNING);
	assert_string_equal(pd_state_name(r.state), "running");
	assert_int_equal(r.pid, 4242);
	assert_int_equal(r.pid_start, 777);
	assert_int_equal(r.monitor_pid, 4241);
	assert_int_equal(r.monitor_start, 776);
	assert_int_equal(r.started_ns, 2000);
	assert_int_equal(r.exit_code, -1);
	pd_record_free(&r);
}

/* The exit is recorded with its code, whether the kernel's OOM killer
 * did it, when, and (for a container that failed to start) why; the
 * process is no longer recorded. */
static void test_exited_records_code_and_reason(void **state)
{
	_cleanup_store_ struct pd_store *s = open_store(*state);
	insert(s, "c0ffee", "web", 1000);
	char id[65];
	make_id(id, "c0ffee");
	assert_int_equal(pd_store_set_running(s, id, 4242, 777, 4241, 776, 2000, NULL), 0);
	assert_int_equal(pd_store_set_exited(s, id, 137, true, 3000, "out of memory", NULL), 0);

	struct pd_record r = find(s, id);
	assert_int_equal(r.state, PD_STATE_EXITED);
	assert_string_equal(pd_state_name(r.state), "exited");
	assert_int_equal(r.exit_code, 137);
	assert_true(r.oom_killed);
	assert_int_equal(r.finished_ns, 3000);
	assert_int_equal(r.started_ns, 2000);
	assert_string_equal(r.error, "out of memory");
	assert_int_equal(r.pid, 0);
	assert_int_equal(r.pid_start, 0);
	pd_record_free(&r);
}

/* `stop` does not change the state: it raises stop_requested on the
 * running row (so the monitor will not restart it) and the monitor
 * records the exit.  (PD_STATE_STOPPING reads as "running" too; no store
 * call writes it today.) */
static void test_stop_is_a_request_on_a_running_row(void **state)
{
	_cleanup_store_ struct pd_store *s = open_store(*state);
	insert(s, "c0ffee", "web", 1000);
	char id[65];
	make_id(id, "c0ffee");
	assert_int_equal(pd_store_set_running(s, id, 4242, 777, 4241, 776, 2000, NULL), 0);
	assert_int_equal(pd_store_set_stop_requested(s, id, NULL), 0);

	struct pd_record r = find(s, "web");
	assert_int_equal(r.state, PD_STATE_RUNNING);
	assert_true(r.stop_requested);
	pd_record_free(&r);
	assert_string_equal(pd_state_name(PD_STATE_STOPPING), "running");
}

/* Under a restart policy an exit makes the row `restarting` with the
 * exit's code and the new restart count; the next set_running clears the
 * previous exit (code back to -1, no finish time, no OOM) but keeps the
 * count, which only set_restarting and set_restart change. */
static void test_restart_cycle_keeps_the_count(void **state)
{
	_cleanup_store_ struct pd_store *s = open_store(*state);
	insert(s, "c0ffee", "web", 1000);
	char id[65];
	make_id(id, "c0ffee");
	assert_int_equal(pd_store_set_running(s, id, 4242, 777, 4241, 776, 2000, NULL), 0);
	assert_int_equal(pd_store_set_restarting(s, id, 3, true, 3000, 1, NULL), 0);

	struct pd_record r = find(s, "web");
	assert_int_equal(r.state, PD_STATE_RESTARTING);
	assert_string_equal(pd_state_name(r.state), "restarting");
	assert_int_equal(r.exit_code, 3);
	assert_true(r.oom_killed);
	assert_int_equal(r.finished_ns, 3000);
	assert_int_equal(r.restart_count, 1);
	assert_int_equal(r.pid, 0);
	pd_record_free(&r);

	assert_int_equal(pd_store_set_running(s, id, 5000, 888, 4241, 776, 4000, NULL), 0);
	r = find(s, "web");
	assert_int_equal(r.state, PD_STATE_RUNNING);
	assert_int_equal(r.exit_code, -1);
	/* FinishedAt is the last run's end until this one ends (Docker's). */
	assert_int_equal(r.finished_ns, 3000);
	assert_false(r.oom_killed);
	assert_int_equal(r.restart_count, 1);
	assert_int_equal(r.pid, 5000);
	pd_record_free(&r);

	assert_int_equal(pd_store_set_restart(s, id, 5, NULL), 0);
	r = find(s, "web");
	assert_int_equal(r.restart_count, 5);
	assert_int_equal(r.state, PD_STATE_RUNNING);
	pd_record_free(&r);
}

/* The health check's state is kept as a JSON text the store does not
 * read; NULL clears it. */
/* create -> start -> exit -> start: each start is claimed by one process
 * only, and only from a stopped state. */
static void test_claim_start_only_from_stopped(void **state)
{
	_cleanup_store_ struct pd_store *s = open_store(*state);
	insert(s, "abc123", "made", 1000);
	char id[65];
	make_id(id, "abc123");
	assert_int_equal(pd_store_claim_start(s, id, 10, 11, NULL), 0); /* still 'creating' */
	assert_int_equal(pd_store_set_created(s, id, NULL), 0);
	struct pd_record r = find(s, "made");
	assert_int_equal(r.state, PD_STATE_CREATED);
	assert_string_equal(pd_state_name(r.state), "created");
	assert_true(pd_state_is_stopped(r.state));
	assert_int_equal(r.monitor_pid, 0);
	pd_record_free(&r);
	assert_int_equal(pd_store_claim_start(s, id, 10, 11, NULL), 1);
	assert_int_equal(pd_store_claim_start(s, id, 20, 21, NULL), 0); /* taken */
	r = find(s, "made");
	assert_int_equal(r.state, PD_STATE_CREATING);
	assert_int_equal(r.monitor_pid, 10);
	pd_record_free(&r);
	assert_int_equal(pd_store_set_running(s, id, 4242, 777, 30, 31, 2000, NULL), 0);
	assert_int_equal(pd_store_set_restart(s, id, 4, NULL), 0);
	assert_int_equal(pd_store_set_stop_requested(s, id, NULL), 0);
	assert_int_equal(pd_store_set_exited(s, id, 3, false, 3000, "why", NULL), 0);
	assert_int_equal(pd_store_claim_start(s, id, 40, 41, NULL), 1);
	r = find(s, "made");
	assert_int_equal(r.state, PD_STATE_CREATING);
	assert_int_equal(r.restart_count, 0);
	assert_false(r.stop_requested);
	assert_null(r.error);
	assert_int_equal(r.finished_ns, 3000);
	pd_record_free(&r);
}

/* A dead owner is recorded only while it still owns the record: a stale
 * read must not overwrite a new start's state. */
static void test_owner_died_only_for_that_owner(void **state)
{
	_cleanup_store_ struct pd_store *s = open_store(*state);
	insert(s, "def456", "raced", 1000);
	char id[65];
	make_id(id, "def456");
	assert_int_equal(pd_store_set_running(s, id, 4242, 777, 30, 31, 2000, NULL), 0);
	assert_int_equal(pd_store_set_owner_died(s, id, 99, 98, 137, 5000, "gone", NULL), 0);
	struct pd_record r = find(s, "raced");
	assert_int_equal(r.state, PD_STATE_RUNNING);
	pd_record_free(&r);
	assert_int_equal(pd_store_set_owner_died(s, id, 30, 31, 137, 5000, "gone", NULL), 1);
	r = find(s, "raced");
	assert_int_equal(r.state, PD_STATE_EXITED);
	assert_int_equal(r.exit_code, 137);
	assert_string_equal(r.error, "gone");
	pd_record_free(&r);
	assert_int_equal(pd_store_set_owner_died(s, id, 30, 31, 1, 6000, "again", NULL), 0);
}

static void test_health_is_opaque_json(void **state)
{
	_cleanup_store_ struct pd_store *s = open_store(*state);
	insert(s, "c0ffee", "web", 1000);
	char id[65];
	make_id(id, "c0ffee");
	assert_int_equal(pd_store_set_health(s, id, "{\"Status\":\"healthy\"}", NULL), 0);
	struct pd_record r = find(s, "web");
	assert_string_equal(r.health, "{\"Status\":\"healthy\"}");
	pd_record_free(&r);
	assert_int_equal(pd_store_set_health(s, id, NULL, NULL), 0);
	r = find(s, "web");
	assert_null(r.health);
	pd_record_free(&r);
}

/* Removal deletes the row; the name is free again at once. */
static void test_delete_frees_the_name(void **state)
{
	_cleanup_store_ struct pd_store *s = open_store(*state);
	insert(s, "c0ffee", "web", 1000);
	char id[65];
	make_id(id, "c0ffee");
	assert_int_equal(pd_store_delete(s, id, NULL), 0);
	_cleanup_err_ struct pd_err *err = find_fails(s, "web");
	assert_string_equal(err->msg, "no such container: web");
	insert(s, "beef", "web", 2000);
}

/* Updates and deletes name a row by full id and do nothing, without an
 * error, when it is gone: a monitor may record an exit after `rm -f`
 * removed the row, and that must not fail the monitor. */
static void test_updates_of_a_removed_row_are_no_ops(void **state)
{
	_cleanup_store_ struct pd_store *s = open_store(*state);
	char id[65];
	make_id(id, "dead");
	assert_int_equal(pd_store_set_running(s, id, 1, 1, 1, 1, 1, NULL), 0);
	assert_int_equal(pd_store_set_exited(s, id, 0, false, 1, NULL, NULL), 0);
	assert_int_equal(pd_store_set_restarting(s, id, 0, false, 1, 1, NULL), 0);
	assert_int_equal(pd_store_set_stop_requested(s, id, NULL), 0);
	assert_int_equal(pd_store_set_restart(s, id, 1, NULL), 0);
	assert_int_equal(pd_store_set_health(s, id, "{}", NULL), 0);
	assert_int_equal(pd_store_delete(s, id, NULL), 0);
	struct pd_record *v = NULL;
	size_t n = 0;
	assert_int_equal(pd_store_list(s, &v, &n, NULL), 0);
	assert_int_equal(n, 0);
	pd_records_free(v, n);
}

/* ---- naming a container ----------------------------------------------- */

/* A container is found by its full 64-digit id, by any prefix of it that
 * no other id shares (one digit is enough), or by its name. */
static void test_find_by_id_prefix_or_name(void **state)
{
	_cleanup_store_ struct pd_store *s = open_store(*state);
	insert(s, "c0ffee", "web", 1000);
	insert(s, "beef", "db", 2000);
	char id[65];
	make_id(id, "c0ffee");
	const char *const refs[] = { id, "c0ffee000000", "c0f", "c", "web" };
	for (size_t i = 0; i < sizeof(refs) / sizeof(refs[0]); i++) {
		struct pd_record r = find(s, refs[i]);
		assert_string_equal(r.id, id);
		assert_string_equal(r.name, "web");
		pd_record_free(&r);
	}
}

/* A prefix two ids share names neither: it is bad input, and the message
 * says how many containers it matches.  A longer prefix settles it. */
static void test_ambiguous_prefix_is_an_error(void **state)
{
	_cleanup_store_ struct pd_store *s = open_store(*state);
	insert(s, "abc1", "one", 1000);
	insert(s, "abc2", "two", 2000);
	insert(s, "abd", "three", 3000);
	_cleanup_err_ struct pd_err *err = find_fails(s, "abc");
	assert_int_equal(err->kind, PD_ERR_USAGE);
	assert_string_equal(err->msg, "container id prefix 'abc' is ambiguous (2 matches)");
	_cleanup_err_ struct pd_err *err3 = find_fails(s, "ab");
	assert_string_equal(err3->msg, "container id prefix 'ab' is ambiguous (3 matches)");
	struct pd_record r = find(s, "abc2");
	assert_string_equal(r.name, "two");
	pd_record_free(&r);
}

/* A name is looked up before an id prefix: a container named "abc" is the
 * one "abc" names, even when ids start with abc too. */
static void test_name_wins_over_id_prefix(void **state)
{
	_cleanup_store_ struct pd_store *s = open_store(*state);
	insert(s, "abc1", "one", 1000);
	insert(s, "abc2", "two", 2000);
	insert(s, "0123", "abc", 3000);
	struct pd_record r = find(s, "abc");
	assert_string_equal(r.name, "abc");
	pd_record_free(&r);
}

/* Unknown references are bad input (exit 125, as Docker), and say which
 * reference: an unknown name, an id prefix nothing starts with, an
 * upper-case id (ids are lower-case hex and matched exactly), and the
 * empty string, which would otherwise be a prefix of every id. */
static void test_unknown_references(void **state)
{
	_cleanup_store_ struct pd_store *s = open_store(*state);
	insert(s, "abc1", "one", 1000);
	static const struct {
		const char *ref, *msg;
	} cases[] = {
		{ "nosuch", "no such container: nosuch" }, { "abc2", "no such container: abc2" },
		{ "ABC1", "no such container: ABC1" },	   { "One", "no such container: One" },
		{ "", "empty container reference" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		_cleanup_err_ struct pd_err *err = find_fails(s, cases[i].ref);
		assert_int_equal(err->kind, PD_ERR_USAGE);
		assert_string_equal(err->msg, cases[i].msg);
	}
}

/* ---- listing ---------------------------------------------------------- */

/* The list holds every record, newest (by creation time) first, whatever
 * the order of the inserts; an empty store lists nothing. */
static void test_list_is_newest_first(void **state)
{
	_cleanup_store_ struct pd_store *s = open_store(*state);
	struct pd_record *v = NULL;
	size_t n = 99;
	assert_int_equal(pd_store_list(s, &v, &n, NULL), 0);
	assert_int_equal(n, 0);
	pd_records_free(v, n);

	insert(s, "b0", "middle", 2000);
	insert(s, "a0", "oldest", 1000);
	insert(s, "c0", "newest", 3000);
	assert_int_equal(pd_store_list(s, &v, &n, NULL), 0);
	assert_int_equal(n, 3);
	assert_string_equal(v[0].name, "newest");
	assert_string_equal(v[1].name, "middle");
	assert_string_equal(v[2].name, "oldest");
	pd_records_free(v, n);
}

/* ---- many processes, one file ----------------------------------------- */

/* Two connections open at once (two CLIs, or a CLI and a monitor) see
 * each other's committed writes at once; nothing is cached. */
static void test_second_connection_sees_writes(void **state)
{
	_cleanup_store_ struct pd_store *a = open_store(*state);
	_cleanup_store_ struct pd_store *b = open_store(*state);
	insert(a, "c0ffee", "web", 1000);
	struct pd_record r = find(b, "web");
	assert_int_equal(r.state, PD_STATE_CREATING);
	assert_int_equal(pd_store_set_exited(b, r.id, 0, false, 2000, NULL, NULL), 0);
	pd_record_free(&r);
	r = find(a, "web");
	assert_int_equal(r.state, PD_STATE_EXITED);
	pd_record_free(&r);
}

/* Records outlive the connection that wrote them (there is no daemon: the
 * file is the state). */
static void test_records_survive_reopen(void **state)
{
	struct pd_store *s = open_store(*state);
	insert(s, "c0ffee", "web", 1000);
	char id[65];
	make_id(id, "c0ffee");
	assert_int_equal(pd_store_set_exited(s, id, 42, false, 2000, NULL, NULL), 0);
	pd_store_checkpoint_idle(s);
	pd_store_close(s);

	_cleanup_store_ struct pd_store *again = open_store(*state);
	struct pd_record r = find(again, "web");
	assert_int_equal(r.state, PD_STATE_EXITED);
	assert_int_equal(r.exit_code, 42);
	pd_record_free(&r);
}

struct holder {
	struct pd_store *s;
	unsigned ms;
	bool committed;
};

static void *commit_later(void *arg)
{
	struct holder *h = arg;
	usleep(h->ms * 1000);
	h->committed = store_commit(h->s, NULL) == 0;
	return NULL;
}

static int64_t elapsed_ms(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

/* One writer at a time: while one connection holds a write transaction,
 * another's write waits for it (the busy timeout) and then succeeds; it
 * never fails with "database is locked". */
static void test_writers_wait_for_each_other(void **state)
{
	_cleanup_store_ struct pd_store *a = open_store(*state);
	_cleanup_store_ struct pd_store *b = open_store(*state);
	assert_int_equal(store_begin(a, NULL), 0);
	struct holder h = { a, 300, false };
	pthread_t t;
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(pthread_create(&t, NULL, commit_later, &h), 0);
	_cleanup_err_ struct pd_err *err = NULL;
	struct pd_record r = new_record("c0ffee", "web", 1000);
	int ret = pd_store_insert(b, &r, &err);
	int64_t waited = elapsed_ms(&t0);
	pthread_join(t, NULL);
	assert_true(h.committed);
	if (ret < 0)
		fail_msg("the second writer failed: %s", err->msg);
	assert_true(waited >= 200);
	struct pd_record got = find(a, "web");
	pd_record_free(&got);
}

/* A caller's read-modify-write (`update`) in one write transaction:
 * pd_store_begin takes the write lock at once, so another writer waits
 * until the commit instead of slipping in between the read and the write;
 * a rollback leaves the record as it was. */
static void test_caller_transaction_commit_and_rollback(void **state)
{
	_cleanup_store_ struct pd_store *a = open_store(*state);
	_cleanup_store_ struct pd_store *b = open_store(*state);
	insert(a, "c0ffee", "web", 1000);
	char id[65];
	make_id(id, "c0ffee");
	assert_int_equal(pd_store_begin(a, NULL), 0);
	assert_int_equal(pd_store_set_config(a, id, "{\"x\":1}", NULL), 0);
	pd_store_rollback(a);
	struct pd_record r = find(b, "web");
	assert_string_not_equal(r.config, "{\"x\":1}");
	pd_record_free(&r);

	assert_int_equal(pd_store_begin(a, NULL), 0);
	assert_int_equal(pd_store_set_config(a, id, "{\"x\":2}", NULL), 0);
	struct holder h = { a, 300, false };
	pthread_t t;
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(pthread_create(&t, NULL, commit_later, &h), 0);
	/* b's own transaction waits for a's commit, then reads a's write. */
	assert_int_equal(pd_store_begin(b, NULL), 0);
	int64_t waited = elapsed_ms(&t0);
	r = find(b, "web");
	assert_string_equal(r.config, "{\"x\":2}");
	pd_record_free(&r);
	assert_int_equal(pd_store_commit(b, NULL), 0);
	pthread_join(t, NULL);
	assert_true(h.committed);
	assert_true(waited >= 200);
}

/* ---- damaged and foreign databases ------------------------------------ */

/* A file that is not a database is refused with SQLite's reason and the
 * file's path, and left exactly as it was: the store never replaces or
 * truncates what it cannot read (the user may want to recover it). */
static void test_corrupt_database_is_refused_and_kept(void **state)
{
	const char *root = *state;
	_cleanup_free_ char *path = xasprintf("%s/state.db", root);
	char junk[8192];
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = "not a database\n"[i % 15];
	FILE *f = fopen(path, "we");
	assert_non_null(f);
	assert_int_equal(fwrite(junk, 1, sizeof(junk), f), sizeof(junk));
	assert_int_equal(fclose(f), 0);

	_cleanup_err_ struct pd_err *err = NULL;
	struct pd_store *s = pd_store_open(root, &err);
	assert_null(s);
	assert_non_null(err);
	assert_contains(err->msg, path);
	assert_contains(err->msg, "file is not a database");

	char back[sizeof(junk) + 1];
	f = fopen(path, "re");
	assert_non_null(f);
	assert_int_equal(fread(back, 1, sizeof(back), f), sizeof(junk));
	fclose(f);
	assert_memory_equal(back, junk, sizeof(junk));
}

/* A path that cannot be opened as a file (here a directory where state.db
 * should be) is an error naming it, not a crash or a new file elsewhere. */
static void test_unopenable_database_is_an_error(void **state)
{
	const char *root = *state;
	_cleanup_free_ char *path = xasprintf("%s/state.db", root);
	assert_int_equal(mkdir(path, 0700), 0);
	_cleanup_err_ struct pd_err *err = NULL;
	struct pd_store *s = pd_store_open(root, &err);
	assert_null(s);
	assert_non_null(err);
	assert_contains(err->msg, path);
}

/* A database written by a newer pocket-docker (a schema version beyond
 * the migrations this one knows) is refused, and its rows are kept as
 * they were: an older binary never downgrades the schema. */
static void test_newer_schema_is_refused_and_kept(void **state)
{
	const char *root = *state;
	raw_sql(root,
		"CREATE TABLE future (x INTEGER); INSERT INTO future VALUES (7); PRAGMA user_version = 99;");
	_cleanup_err_ struct pd_err *err = NULL;
	struct pd_store *s = pd_store_open(root, &err);
	assert_null(s);
	assert_non_null(err);
	assert_contains(err->msg, "state database schema 99 is newer than this pocket-docker");
	assert_int_equal(raw_int(root, "PRAGMA user_version"), 99);
	assert_int_equal(raw_int(root, "SELECT x FROM future"), 7);
}

/* The schema is versioned (PRAGMA user_version); a database from an older
 * pocket-docker is brought up to date in place when opened, its rows
 * kept.  Schema step 1 below is copied from store.c: steps are appended,
 * never edited, so a version-1 database always looks like this. */
static void test_older_schema_is_migrated(void **state)
{
	const char *root = *state;
	raw_sql(root,
		"CREATE TABLE containers ("
		" id TEXT PRIMARY KEY,"
		" name TEXT NOT NULL UNIQUE,"
		" image TEXT NOT NULL,"
		" command TEXT NOT NULL,"
		" config TEXT NOT NULL,"
		" state INTEGER NOT NULL,"
		" created_ns INTEGER NOT NULL,"
		" started_ns INTEGER NOT NULL DEFAULT 0,"
		" finished_ns INTEGER NOT NULL DEFAULT 0,"
		" pid INTEGER NOT NULL DEFAULT 0,"
		" pid_start INTEGER NOT NULL DEFAULT 0,"
		" monitor_pid INTEGER NOT NULL DEFAULT 0,"
		" monitor_start INTEGER NOT NULL DEFAULT 0,"
		" exit_code INTEGER NOT NULL DEFAULT -1,"
		" oom_killed INTEGER NOT NULL DEFAULT 0,"
		" auto_remove INTEGER NOT NULL DEFAULT 0,"
		" stop_requested INTEGER NOT NULL DEFAULT 0,"
		" restart_count INTEGER NOT NULL DEFAULT 0,"
		" error TEXT,"
		" health TEXT);"
		"INSERT INTO containers (id, name, image, command, config, state, created_ns, exit_code)"
		" VALUES ('01d', 'old', 'img', '[]', '{}', 2, 1000, 9);"
		"PRAGMA user_version = 1;");
	_cleanup_store_ struct pd_store *s = open_store(root);
	struct pd_record r = find(s, "old");
	assert_int_equal(r.state, PD_STATE_EXITED);
	assert_int_equal(r.exit_code, 9);
	pd_record_free(&r);
	assert_true(raw_int(root, "PRAGMA user_version") > 1);
	/* The later steps' tables exist (network leases, images). */
	assert_int_equal(raw_int(root, "SELECT count(*) FROM leases"), 0);
	assert_int_equal(raw_int(root, "SELECT count(*) FROM images"), 0);
}

/* ---- the queries the commands make (core/query.c) --------------------- */

/* pd_container_lookup is the store's find for a command: it opens the
 * store under the state root, finds the ref, and closes it again. */
static void test_lookup_opens_finds_and_closes(void **state)
{
	const char *root = *state;
	{
		_cleanup_store_ struct pd_store *s = open_store(root);
		insert(s, "c0ffee", "web", 1000);
	}
	struct pd_record r;
	_cleanup_err_ struct pd_err *err = NULL;
	assert_int_equal(pd_container_lookup(root, "c0f", &r, &err), 0);
	assert_string_equal(r.name, "web");
	assert_int_equal(r.state, PD_STATE_CREATING);
	pd_record_free(&r);
	assert_int_equal(pd_container_lookup(root, "nosuch", &r, &err), -1);
	assert_int_equal(err->kind, PD_ERR_USAGE);
	assert_string_equal(err->msg, "no such container: nosuch");
}

/* Every query checks each record against the live processes before it
 * answers, so that no command shows a dead container as running: a row
 * whose owner (the creating CLI, then the monitor) is gone is recorded
 * exited: 125 with "the runtime died" when it never started, 137 (killed)
 * when it was running.  The owner is a pid plus its start time; the same
 * pid with another start time is another process.  Exited rows are left
 * alone. */
static void test_dead_owner_is_recorded_exited(void **state)
{
	const char *root = *state;
	uint64_t me = pd_proc_start_time(getpid());
	{
		_cleanup_store_ struct pd_store *s = open_store(root);
		struct pd_record c = new_record("c1", "never-started", 1000);
		c.monitor_start = me + 1; /* our pid, but not us */
		assert_int_equal(pd_store_insert(s, &c, NULL), 0);
		struct pd_record r = new_record("c2", "was-running", 2000);
		assert_int_equal(pd_store_insert(s, &r, NULL), 0);
		assert_int_equal(pd_store_set_running(s, r.id, 4242, 777, getpid(), me + 1, 1500, NULL), 0);
		insert(s, "c3", "alive", 3000);
		struct pd_record e = new_record("c4", "done", 4000);
		assert_int_equal(pd_store_insert(s, &e, NULL), 0);
		assert_int_equal(pd_store_set_exited(s, e.id, 0, false, 5000, NULL, NULL), 0);
	}
	struct pd_record r;
	assert_int_equal(pd_container_lookup(root, "never-started", &r, NULL), 0);
	assert_int_equal(r.state, PD_STATE_EXITED);
	assert_int_equal(r.exit_code, 125);
	assert_string_equal(r.error, "the runtime died while creating the container");
	pd_record_free(&r);
	assert_int_equal(pd_container_lookup(root, "was-running", &r, NULL), 0);
	assert_int_equal(r.state, PD_STATE_EXITED);
	assert_int_equal(r.exit_code, 137);
	assert_int_equal(r.pid, 0);
	pd_record_free(&r);
	assert_int_equal(pd_container_lookup(root, "alive", &r, NULL), 0);
	assert_int_equal(r.state, PD_STATE_CREATING);
	pd_record_free(&r);
	assert_int_equal(pd_container_lookup(root, "done", &r, NULL), 0);
	assert_int_equal(r.exit_code, 0);
	assert_int_equal(r.finished_ns, 5000);
	pd_record_free(&r);

	/* The correction is written back, not only shown. */
	_cleanup_store_ struct pd_store *s = open_store(root);
	r = find(s, "was-running");
	assert_int_equal(r.state, PD_STATE_EXITED);
	assert_int_equal(r.exit_code, 137);
	pd_record_free(&r);
}

/* Commands that take many refs (inspect, rm, stop) look them all up
 * through one connection; a ref that is not found is reported in its own
 * entry and does not stop the others. */
static void test_lookup_each_reports_each_ref(void **state)
{
	const char *root = *state;
	{
		_cleanup_store_ struct pd_store *s = open_store(root);
		insert(s, "c0ffee", "web", 1000);
		insert(s, "beef", "db", 2000);
	}
	char *refs[] = { (char *)"db", (char *)"nosuch", (char *)"c0f", NULL };
	struct pd_found *v = NULL;
	size_t n = 0;
	assert_int_equal(pd_container_lookup_each(root, refs, false, &v, &n, NULL), 0);
	assert_int_equal(n, 3);
	assert_null(v[0].err);
	assert_string_equal(v[0].rec.name, "db");
	assert_null(v[0].network);
	assert_non_null(v[1].err);
	assert_string_equal(v[1].err->msg, "no such container: nosuch");
	assert_null(v[2].err);
	assert_string_equal(v[2].rec.name, "web");
	pd_found_free(v, n);
}

/* What `ps` shows: PD_LIST_ALL every record (ps -a), PD_LIST_NOT_EXITED
 * all but the exited (plain ps: creating and restarting ones are shown),
 * PD_LIST_RUNNING those with a live process (stats, stop --all); newest
 * first in each. */
static void test_list_filters(void **state)
{
	const char *root = *state;
	{
		_cleanup_store_ struct pd_store *s = open_store(root);
		pid_t me = getpid();
		uint64_t start = pd_proc_start_time(me);
		char id[65];
		insert(s, "a1", "creating", 1000);
		insert(s, "a2", "running", 2000);
		make_id(id, "a2");
		assert_int_equal(pd_store_set_running(s, id, me, start, me, start, 2000, NULL), 0);
		insert(s, "a3", "restarting", 3000);
		make_id(id, "a3");
		assert_int_equal(pd_store_set_restarting(s, id, 1, false, 3000, 1, NULL), 0);
		insert(s, "a4", "exited", 4000);
		make_id(id, "a4");
		assert_int_equal(pd_store_set_exited(s, id, 0, false, 4000, NULL, NULL), 0);
	}
	static const struct {
		enum pd_list_filter which;
		const char *names[4];
	} cases[] = {
		{ PD_LIST_ALL, { "exited", "restarting", "running", "creating" } },
		{ PD_LIST_NOT_EXITED, { "restarting", "running", "creating" } },
		{ PD_LIST_RUNNING, { "running" } },
	};
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct pd_record *v = NULL;
		size_t n = 0;
		assert_int_equal(pd_container_list(root, cases[c].which, NULL, &v, &n, NULL), 0);
		size_t want = 0;
		while (want < 4 && cases[c].names[want])
			want++;
		assert_int_equal(n, want);
		for (size_t i = 0; i < n; i++)
			assert_string_equal(v[i].name, cases[c].names[i]);
		pd_records_free(v, n);
	}
}

/* A rootless run says so in its recorded config; stats and rm read it
 * there to find the container's cgroup. */
static void test_record_rootless(void **state)
{
	struct pd_record r = { .config = (char *)"{\"Hostname\":\"box\",\"Rootless\":true}" };
	assert_true(pd_record_rootless(&r));
	r.config = (char *)"{\"Hostname\":\"box\",\"Rootless\":false}";
	assert_false(pd_record_rootless(&r));
	r.config = (char *)"{}";
	assert_false(pd_record_rootless(&r));
	r.config = NULL;
	assert_false(pd_record_rootless(&r));
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_open_creates_the_database),
		T(test_open_without_root_fails),
		T(test_insert_is_creating),
		T(test_name_in_use_is_refused),
		T(test_running_records_the_processes),
		T(test_exited_records_code_and_reason),
		T(test_stop_is_a_request_on_a_running_row),
		T(test_claim_start_only_from_stopped),
		T(test_owner_died_only_for_that_owner),
		T(test_restart_cycle_keeps_the_count),
		T(test_health_is_opaque_json),
		T(test_delete_frees_the_name),
		T(test_updates_of_a_removed_row_are_no_ops),
		T(test_find_by_id_prefix_or_name),
		T(test_ambiguous_prefix_is_an_error),
		T(test_name_wins_over_id_prefix),
		T(test_unknown_references),
		T(test_list_is_newest_first),
		T(test_second_connection_sees_writes),
		T(test_records_survive_reopen),
		T(test_writers_wait_for_each_other),
		T(test_caller_transaction_commit_and_rollback),
		T(test_corrupt_database_is_refused_and_kept),
		T(test_unopenable_database_is_an_error),
		T(test_newer_schema_is_refused_and_kept),
		T(test_older_schema_is_migrated),
		T(test_lookup_opens_finds_and_closes),
		T(test_dead_owner_is_recorded_exited),
		T(test_lookup_each_reports_each_ref),
		T(test_list_filters),
		T(test_record_rootless),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
