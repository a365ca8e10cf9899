/* State database (see store.h).  Runs in the CLI and in each monitor, with
 * the caller's privileges; many processes open it at once, so every write
 * is a short BEGIN IMMEDIATE transaction and readers never block writers
 * (WAL).  Schema changes are appended to `migrations`, never edited. */
#include "core/store-internal.h"
#include "core/store-networks.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

static const char *const migrations[] = {
	/* 1 */
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
	" health TEXT);",
	/* 2 */ pd_store_migration_net,
	/* 3 */ pd_store_migration_images,
	/* 4 */ pd_store_migration_events,
	/* 5 */ pd_store_migration_volumes,
	/* 6 */ pd_store_migration_networks,
	/* 7 */ pd_store_migration_connections,
	/* 8 */ pd_store_migration_ipv6,
};

const char *pd_state_name(enum pd_state s)
{
	switch (s) {
	case PD_STATE_CREATING: return "created";
	case PD_STATE_RUNNING: return "running";
	case PD_STATE_STOPPING: return "running";
	case PD_STATE_EXITED: return "exited";
	case PD_STATE_RESTARTING: return "restarting";
	case PD_STATE_CREATED: return "created";
	}
	return "unknown";
}

int store_fail(struct pd_store *s, struct pd_err **err, const char *what)
{
	return pd_fail(err, 0, "state database: %s: %s", what, sqlite3_errmsg(s->db));
}

int store_exec(struct pd_store *s, const char *sql, struct pd_err **err)
{
	char *msg = NULL;
	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		pd_fail(err, 0, "state database: %s", msg ? msg : "error");
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

int store_begin(struct pd_store *s, struct pd_err **err)
{
	return store_exec(s, "BEGIN IMMEDIATE", err);
}

int store_commit(struct pd_store *s, struct pd_err **err)
{
	if (store_exec(s, "COMMIT", err) < 0) {
		store_rollback(s);
		return -1;
	}
	return 0;
}

void store_rollback(struct pd_store *s)
{
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

int pd_store_begin(struct pd_store *s, struct pd_err **err)
{
	return store_begin(s, err);
}

int pd_store_commit(struct pd_store *s, struct pd_err **err)
{
	return store_commit(s, err);
}

void pd_store_rollback(struct pd_store *s)
{
	store_rollback(s);
}

static int user_version(struct pd_store *s)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		return sqlite3_column_int(st, 0);
	return -1;
}

/* The first connections to a new database race to switch it to WAL; the
 * switch, and reading a WAL another connection is setting up, can fail
 * with SQLITE_BUSY without going through the busy handler.  Retry for as
 * long as the busy timeout would wait. */
static int exec_retry_busy(struct pd_store *s, const char *sql, struct pd_err **err)
{
	for (int i = 0;; i++) {
		int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL) & 0xff;
		if (rc == SQLITE_OK)
			return 0;
		if ((rc != SQLITE_BUSY && rc != SQLITE_LOCKED) || i == 3000)
			return store_fail(s, err, sql);
		usleep(10000);
	}
}

static int migrate(struct pd_store *s, struct pd_err **err)
{
	int n = (int)ARRAY_SIZE(migrations);
	/* The common case, an up-to-date schema, costs one read. */
	if (user_version(s) == n)
		return 0;
	if (exec_retry_busy(s, "PRAGMA journal_mode=WAL", err) < 0 ||
	    exec_retry_busy(s, "BEGIN IMMEDIATE", err) < 0)
		return -1;
	int version = user_version(s);
	if (version > n) {
		store_exec(s, "ROLLBACK", pd_err_ignore(cleanup));
		return pd_fail(err, 0, "state database schema %d is newer than this pocket-docker (%d)",
			       version, n);
	}
	for (int v = version; v < n; v++) {
		char pragma[64];
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", v + 1);
		if (store_exec(s, migrations[v], err) < 0 || store_exec(s, pragma, err) < 0) {
			store_exec(s, "ROLLBACK", pd_err_ignore(cleanup));
			return -1;
		}
	}
	return store_exec(s, "COMMIT", err);
}

#define BUSY_TIMEOUT_MS 30000
#define WAL_BOUND_PAGES 512 /* checkpoint inline beyond this (2 MB) */
#define WAL_IDLE_PAGES	64  /* a monitor's checkpoint after its run (256 KB) */

static int wal_hook(void *data, sqlite3 *db, const char *name, int pages)
{
	struct pd_store *s = data;
	s->wal_pages = pages;
	if (pages >= WAL_BOUND_PAGES &&
	    sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL) == SQLITE_OK)
		s->wal_pages = 0;
	return SQLITE_OK;
}

void pd_store_checkpoint_idle(struct pd_store *s)
{
	if (!s || s->wal_pages < WAL_IDLE_PAGES)
		return;
	/* RESTART: after copying, the WAL starts over at its beginning, or
	 * it would keep growing while commands keep reading it.  Without
	 * waiting: a busy database is left to the next monitor. */
	sqlite3_busy_timeout(s->db, 0);
	sqlite3_wal_checkpoint_v2(s->db, "main", SQLITE_CHECKPOINT_RESTART, NULL, NULL);
	sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
}

struct pd_store *pd_store_open(const char *root, struct pd_err **err)
{
	_cleanup_free_ char *path = xasprintf("%s/state.db", root);
	struct pd_store *s = xcalloc(1, sizeof(*s));
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
	if (sqlite3_open_v2(path, &s->db, flags, NULL) != SQLITE_OK) {
		pd_fail(err, 0, "open state database '%s': %s", path,
			s->db ? sqlite3_errmsg(s->db) : "out of memory");
		pd_store_close(s);
		return NULL;
	}
	/* Many CLIs and monitors share the file: wait for a writer rather
	 * than fail; WAL lets readers proceed meanwhile. */
	sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
	/* Every command is a short-lived connection.  Keeping the WAL file
	 * and skipping the checkpoint on close avoids re-creating and
	 * syncing it on each one.  Checkpoints are kept off the commands'
	 * paths: each one syncs the WAL, the directory and the database
	 * (0.1 to 2.7 ms each on this project's disks; with the automatic
	 * checkpoint at 16 pages, about one `run --rm` in three paid for
	 * one).  A monitor checkpoints once its client has heard the exit
	 * (pd_store_checkpoint_idle); the hook only bounds the WAL when no
	 * monitor does, because the first connection after all have closed
	 * re-reads the whole WAL (1 MB: 1.3 M instructions, ~0.4 ms). */
	int one = 1;
	sqlite3_file_control(s->db, "main", SQLITE_FCNTL_PERSIST_WAL, &one);
	sqlite3_db_config(s->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	sqlite3_wal_hook(s->db, wal_hook, s);
	if (store_exec(s, "PRAGMA synchronous=NORMAL", err) < 0 || migrate(s, err) < 0) {
		pd_err_prefix(err, "open '%s'", path);
		pd_store_close(s);
		return NULL;
	}
	if (getenv("SUDO_UID")) {
		static const char *const suffix[] = { "", "-wal", "-shm" };
		for (size_t i = 0; i < ARRAY_SIZE(suffix); i++) {
			_cleanup_free_ char *p = xasprintf("%s%s", path, suffix[i]);
			pd_chown_to_invoker(p);
		}
	}
	return s;
}

void pd_store_close(struct pd_store *s)
{
	if (!s)
		return;
	sqlite3_close(s->db);
	free(s);
}

void pd_record_free(struct pd_record *r)
{
	if (!r)
		return;
	free(r->name);
	free(r->image);
	free(r->command);
	free(r->config);
	free(r->error);
	free(r->health);
	memset(r, 0, sizeof(*r));
}

void pd_records_free(struct pd_record *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		pd_record_free(&v[i]);
	free(v);
}

#define COLUMNS                                                                                              \
	"id, name, image, command, config, state, created_ns, started_ns, finished_ns, pid, pid_start, "     \
	"monitor_pid, monitor_start, exit_code, oom_killed, auto_remove, stop_requested, restart_count, "    \
	"error, "                                                                                            \
	"health"

static char *col_str(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return t ? xstrdup((const char *)t) : NULL;
}

static void read_row(sqlite3_stmt *st, struct pd_record *r)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->id, sizeof(r->id), "%s", (const char *)sqlite3_column_text(st, 0));
	r->name = col_str(st, 1);
	r->image = col_str(st, 2);
	r->command = col_str(st, 3);
	r->config = col_str(st, 4);
	r->state = (enum pd_state)sqlite3_column_int(st, 5);
	r->created_ns = sqlite3_column_int64(st, 6);
	r->started_ns = sqlite3_column_int64(st, 7);
	r->finished_ns = sqlite3_column_int64(st, 8);
	r->pid = (pid_t)sqlite3_column_int(st, 9);
	r->pid_start = (uint64_t)sqlite3_column_int64(st, 10);
	r->monitor_pid = (pid_t)sqlite3_column_int(st, 11);
	r->monitor_start = (uint64_t)sqlite3_column_int64(st, 12);
	r->exit_code = sqlite3_column_int(st, 13);
	r->oom_killed = sqlite3_column_int(st, 14);
	r->auto_remove = sqlite3_column_int(st, 15);
	r->stop_requested = sqlite3_column_int(st, 16);
	r->restart_count = sqlite3_column_int(st, 17);
	r->error = col_str(st, 18);
	r->health = col_str(st, 19);
}

int pd_store_insert(struct pd_store *s, const struct pd_record *r, struct pd_err **err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(
		s->db,
		"INSERT INTO containers (id, name, image, command, config, state, created_ns, auto_remove,"
		" monitor_pid, monitor_start) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		-1, &st, NULL) != SQLITE_OK)
		return store_fail(s, err, "prepare insert");
	sqlite3_bind_text(st, 1, r->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, r->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, r->image, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, r->command, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, r->config, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 6, PD_STATE_CREATING);
	sqlite3_bind_int64(st, 7, r->created_ns);
	sqlite3_bind_int(st, 8, r->auto_remove);
	sqlite3_bind_int(st, 9, r->monitor_pid);
	sqlite3_bind_int64(st, 10, (int64_t)r->monitor_start);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_CONSTRAINT) {
		struct pd_record other;
		if (pd_store_find(s, r->name, &other, pd_err_ignore(optional)) == 0) {
			pd_fail_kind(err, PD_ERR_USAGE, 0,
				     "the container name \"%s\" is already in use by container \"%.12s\"; "
				     "remove it or choose another name",
				     r->name, other.id);
			pd_record_free(&other);
			return -1;
		}
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "the container name \"%s\" is already in use",
				    r->name);
	}
	if (rc != SQLITE_DONE)
		return store_fail(s, err, "insert container");
	return 0;
}

static int find_by(struct pd_store *s, const char *sql, const char *arg, struct pd_record *out, int *count,
		   struct pd_err **err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return store_fail(s, err, "prepare lookup");
	sqlite3_bind_text(st, 1, arg, -1, SQLITE_TRANSIENT);
	*count = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*count == 0)
			read_row(st, out);
		++*count;
	}
	if (rc != SQLITE_DONE) {
		if (*count)
			pd_record_free(out);
		return store_fail(s, err, "lookup");
	}
	return 0;
}

int pd_store_find(struct pd_store *s, const char *ref, struct pd_record *out, struct pd_err **err)
{
	int n = 0;
	if (!*ref)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "empty container reference");
	if (find_by(s, "SELECT " COLUMNS " FROM containers WHERE name = ?1", ref, out, &n, err) < 0)
		return -1;
	if (n == 1)
		return 0;
	bool hex = strspn(ref, "0123456789abcdef") == strlen(ref);
	if (hex && find_by(s, "SELECT " COLUMNS " FROM containers WHERE substr(id, 1, length(?1)) = ?1", ref,
			   out, &n, err) < 0)
		return -1;
	if (hex && n == 1)
		return 0;
	if (n > 1) {
		pd_record_free(out);
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "container id prefix '%s' is ambiguous (%d matches)", ref, n);
	}
	return pd_fail_kind(err, PD_ERR_USAGE, 0, "no such container: %s", ref);
}

int pd_store_list(struct pd_store *s, struct pd_record **out, size_t *n, struct pd_err **err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(s->db, "SELECT " COLUMNS " FROM containers ORDER BY created_ns DESC", -1, &st,
			       NULL) != SQLITE_OK)
		return store_fail(s, err, "prepare list");
	size_t cap = 16, len = 0;
	struct pd_record *v = xcalloc(cap, sizeof(*v));
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (len == cap)
			v = xrealloc(v, (cap *= 2) * sizeof(*v));
		read_row(st, &v[len++]);
	}
	if (rc != SQLITE_DONE) {
		pd_records_free(v, len);
		return store_fail(s, err, "list containers");
	}
	*out = v;
	*n = len;
	return 0;
}

/* Run one UPDATE/DELETE with bound values as its own transaction. */
static int update(struct pd_store *s, const char *sql, const char *id, const int64_t *vals, size_t nvals,
		  const char *text, struct pd_err **err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return store_fail(s, err, "prepare update");
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	for (size_t i = 0; i < nvals; i++)
		sqlite3_bind_int64(st, (int)i + 2, vals[i]);
	if (text)
		sqlite3_bind_text(st, (int)nvals + 2, text, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		return store_fail(s, err, "update container");
	return 0;
}

int pd_store_set_running(struct pd_store *s, const char *id, pid_t pid, uint64_t pid_start, pid_t monitor,
			 uint64_t monitor_start, int64_t started_ns, struct pd_err **err)
{
	int64_t v[] = {
		PD_STATE_RUNNING, pid, (int64_t)pid_start, started_ns, monitor, (int64_t)monitor_start
	};
	return update(
	    s,
	    "UPDATE containers SET state = ?2, pid = ?3, pid_start = ?4, started_ns = ?5, monitor_pid = ?6,"
	    " monitor_start = ?7, exit_code = -1, oom_killed = 0 WHERE id = ?1",
	    id, v, 6, NULL, err);
}

int pd_store_set_exited(struct pd_store *s, const char *id, int exit_code, bool oom, int64_t finished_ns,
			const char *error, struct pd_err **err)
{
	int64_t v[] = { PD_STATE_EXITED, exit_code, oom, finished_ns };
	return update(s,
		      "UPDATE containers SET state = ?2, exit_code = ?3, oom_killed = ?4, finished_ns = ?5,"
		      " error = ?6, pid = 0, pid_start = 0 WHERE id = ?1",
		      id, v, 4, error, err);
}

int pd_store_set_owner_died(struct pd_store *s, const char *id, pid_t owner, uint64_t owner_start,
			    int exit_code, int64_t finished_ns, const char *error, struct pd_err **err)
{
	int64_t v[] = {
		PD_STATE_EXITED, exit_code, finished_ns, owner, (int64_t)owner_start, PD_STATE_CREATED
	};
	if (update(s,
		   "UPDATE containers SET state = ?2, exit_code = ?3, oom_killed = 0, finished_ns = ?4,"
		   " error = ?8, pid = 0, pid_start = 0 WHERE id = ?1 AND monitor_pid = ?5"
		   " AND monitor_start = ?6 AND state NOT IN (?2, ?7)",
		   id, v, 6, error, err) < 0)
		return -1;
	return sqlite3_changes(s->db) == 1;
}

int pd_store_set_restarting(struct pd_store *s, const char *id, int exit_code, bool oom, int64_t finished_ns,
			    int restart_count, struct pd_err **err)
{
	int64_t v[] = { PD_STATE_RESTARTING, exit_code, oom, finished_ns, restart_count };
	return update(s,
		      "UPDATE containers SET state = ?2, exit_code = ?3, oom_killed = ?4, finished_ns = ?5,"
		      " restart_count = ?6, pid = 0, pid_start = 0 WHERE id = ?1",
		      id, v, 5, NULL, err);
}

int pd_store_set_created(struct pd_store *s, const char *id, struct pd_err **err)
{
	int64_t v[] = { PD_STATE_CREATED };
	return update(s, "UPDATE containers SET state = ?2, monitor_pid = 0, monitor_start = 0 WHERE id = ?1",
		      id, v, 1, NULL, err);
}

int pd_store_claim_start(struct pd_store *s, const char *id, pid_t owner, uint64_t owner_start,
			 struct pd_err **err)
{
	int64_t v[] = { PD_STATE_CREATING, owner, (int64_t)owner_start, PD_STATE_CREATED, PD_STATE_EXITED };
	if (update(
		s,
		"UPDATE containers SET state = ?2, monitor_pid = ?3, monitor_start = ?4, stop_requested = 0,"
		" error = NULL, restart_count = 0, health = NULL WHERE id = ?1 AND state IN (?5, ?6)",
		id, v, 5, NULL, err) < 0)
		return -1;
	return sqlite3_changes(s->db) == 1;
}

int pd_store_set_stop_requested(struct pd_store *s, const char *id, struct pd_err **err)
{
	return update(s, "UPDATE containers SET stop_requested = 1 WHERE id = ?1", id, NULL, 0, NULL, err);
}

int pd_store_set_restart(struct pd_store *s, const char *id, int restart_count, struct pd_err **err)
{
	int64_t v[] = { restart_count };
	return update(s, "UPDATE containers SET restart_count = ?2 WHERE id = ?1", id, v, 1, NULL, err);
}

int pd_store_set_health(struct pd_store *s, const char *id, const char *health_json, struct pd_err **err)
{
	return update(s, "UPDATE containers SET health = ?2 WHERE id = ?1", id, NULL, 0, health_json, err);
}

int pd_store_rename(struct pd_store *s, const char *id, const char *name, struct pd_err **err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(s->db, "UPDATE containers SET name = ?2 WHERE id = ?1", -1, &st, NULL) !=
	    SQLITE_OK)
		return store_fail(s, err, "prepare rename");
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_CONSTRAINT)
		return store_fail(s, err, "rename container");
	/* The name column is UNIQUE: the one failure a rename can meet
	 * besides the database's own. */
	struct pd_record other;
	if (pd_store_find(s, name, &other, pd_err_ignore(optional)) == 0) {
		pd_fail_kind(err, PD_ERR_USAGE, 0,
			     "the container name \"%s\" is already in use by container \"%.12s\"; "
			     "remove or rename that container to reuse the name",
			     name, other.id);
		pd_record_free(&other);
		return -1;
	}
	return pd_fail_kind(err, PD_ERR_USAGE, 0, "the container name \"%s\" is already in use", name);
}

int pd_store_delete(struct pd_store *s, const char *id, struct pd_err **err)
{
	return update(s, "DELETE FROM containers WHERE id = ?1", id, NULL, 0, NULL, err);
}

int pd_store_set_config(struct pd_store *s, const char *id, const char *config_json, struct pd_err **err)
{
	return update(s, "UPDATE containers SET config = ?2 WHERE id = ?1", id, NULL, 0, config_json, err);
}
