/* The events table (see store-events.h and core/events.h).  Part of the
 * store module, the only code that speaks SQL.  Runs in every process that
 * opens the store.
 *
 * Most events are written by triggers, inside the statement that changes
 * the row they describe: a container's record inserted (create), made
 * running (start), made exited or restarting (oom, die, stop), renamed,
 * given a new health status, deleted (destroy); an image's name or record
 * deleted (untag, delete).  So `run` pays no commit of its own for them,
 * every writer of those rows (the monitor, `ps` correcting a stale record,
 * a later `start`) records them the same way, and no event is committed
 * without its change nor a change without its event.  Events no row
 * change carries (kill, pause, pull...) are single inserts (events.c).
 * The times of changes that carry none of their own (destroy, rename,
 * health) are SQLite's clock: milliseconds.
 *
 * The triggers are part of the schema: changing one is a new migration
 * that drops and re-creates it. */
#include "core/store-internal.h"
#include "core/store-events.h"

#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/xalloc.h"

#define STR_(x) #x
#define STR(x)	STR_(x)

/* SQLite's 'now' in ns (its clock has millisecond resolution). */
#define NOW_NS "(CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) * 1000000)"

/* A container row's attributes, as Docker gives them: its labels, then its
 * image and name over them.  A config that is not JSON, or has no label
 * object, gives none: a trigger must never fail the change it follows
 * (CASE evaluates lazily; AND would not). */
#define LABELS(r)                                                                                            \
	"(CASE WHEN NOT json_valid(" r ".config) THEN '{}'"                                                  \
	" WHEN json_type(" r ".config, '$.Labels') = 'object' THEN json_extract(" r ".config, '$.Labels')"   \
	" ELSE '{}' END)"
#define ATTRS(r) "json_patch(" LABELS(r) ", json_object('image', " r ".image, 'name', " r ".name))"
/* A row's health status, or NULL. */
#define HEALTH(r) "(CASE WHEN json_valid(" r ".health) THEN json_extract(" r ".health, '$.Status') END)"

#define INSERT "INSERT INTO events (time_ns, type, action, id, attributes) "

/* Container states as store.h numbers them. */
#define CREATING   "0"
#define RUNNING	   "1"
#define EXITED	   "2"
#define STOPPING   "3"
#define RESTARTING "4"

/* The end of a run of row `r` at time `t`: "oom" (when `oom`), "die" with
 * exitCode `code`, and "stop" when a stop was asked. */
#define EXIT_EVENTS(r, t, code, oom)                                                                         \
	INSERT "SELECT " t ", 'container', 'oom', " r                                                        \
	       ".id, " ATTRS(r) " WHERE " oom ";" INSERT "SELECT " t ", 'container', 'die', " r ".id,"       \
				" json_patch(" ATTRS(r) ", json_object('exitCode', CAST(" code               \
							" AS TEXT)));" INSERT "SELECT " t                    \
							", 'container', 'stop', " r                          \
							".id, " ATTRS(r) " WHERE " r ".stop_requested;"

/* clang-format off */
const char pd_store_migration_events[] =
	"CREATE TABLE events ("
	" seq INTEGER PRIMARY KEY,"
	" time_ns INTEGER NOT NULL,"
	" type TEXT NOT NULL,"
	" action TEXT NOT NULL,"
	" id TEXT NOT NULL,"
	" attributes TEXT NOT NULL DEFAULT '{}');"
	/* Bounded: a range delete every few inserts costs less than a row's
	 * delete on each (seq only grows: the oldest rows go). */
	"CREATE TRIGGER events_trim AFTER INSERT ON events"
	" WHEN new.seq % " STR(PD_EVENTS_TRIM_EVERY) " = 0 BEGIN"
	" DELETE FROM events WHERE seq <= new.seq - " STR(PD_EVENTS_KEEP) "; END;"

	"CREATE TRIGGER events_create AFTER INSERT ON containers BEGIN "
	INSERT "VALUES (new.created_ns, 'container', 'create', new.id, " ATTRS("new") "); END;"

	"CREATE TRIGGER events_start AFTER UPDATE OF state ON containers"
	" WHEN new.state = " RUNNING " AND old.state NOT IN (" RUNNING ", " STOPPING ") BEGIN "
	INSERT "VALUES (CASE WHEN new.started_ns > 0 THEN new.started_ns ELSE " NOW_NS " END,"
	" 'container', 'start', new.id, " ATTRS("new") "); END;"

	/* A start that failed dies too, with its exit code (125-127). */
	"CREATE TRIGGER events_exit AFTER UPDATE OF state ON containers"
	" WHEN new.state IN (" EXITED ", " RESTARTING ")"
	" AND old.state IN (" CREATING ", " RUNNING ", " STOPPING ") BEGIN "
	EXIT_EVENTS("new", "(CASE WHEN new.finished_ns > 0 THEN new.finished_ns ELSE " NOW_NS " END)",
		    "new.exit_code", "new.oom_killed")
	" END;"

	"CREATE TRIGGER events_destroy AFTER DELETE ON containers BEGIN "
	INSERT "VALUES (" NOW_NS ", 'container', 'destroy', old.id, " ATTRS("old") "); END;"

	"CREATE TRIGGER events_rename AFTER UPDATE OF name ON containers WHEN new.name <> old.name BEGIN "
	INSERT "VALUES (" NOW_NS ", 'container', 'rename', new.id,"
	" json_patch(" ATTRS("new") ", json_object('oldName', old.name))); END;"

	/* Docker's action names the new status; "starting" is no event. */
	"CREATE TRIGGER events_health AFTER UPDATE OF health ON containers"
	" WHEN " HEALTH("new") " IN ('healthy', 'unhealthy') AND " HEALTH("new") " IS NOT " HEALTH("old")
	" BEGIN "
	INSERT "VALUES (" NOW_NS ", 'container', 'health_status: ' || " HEALTH("new") ", new.id, "
	ATTRS("new") "); END;"

	/* The name as `images` shows it (pd_image_display_repo). */
	"CREATE TRIGGER events_untag AFTER DELETE ON image_names BEGIN "
	INSERT "VALUES (" NOW_NS ", 'image', 'untag', old.image_id, json_object('name',"
	" CASE WHEN substr(old.repo, 1, 18) = 'docker.io/library/' THEN substr(old.repo, 19)"
	" WHEN substr(old.repo, 1, 10) = 'docker.io/' THEN substr(old.repo, 11) ELSE old.repo END"
	" || CASE WHEN old.tag <> '' THEN ':' || old.tag ELSE '' END)); END;"

	"CREATE TRIGGER events_image_delete AFTER DELETE ON images BEGIN "
	INSERT "VALUES (" NOW_NS ", 'image', 'delete', old.id, json_object('name', old.id)); END;";

/* Removing a container before its exit is recorded (--rm): the events an
 * exit update would have made, from the row as it is. */
static const char exit_sql[] =
	"INSERT INTO events (time_ns, type, action, id, attributes)"
	" SELECT ?3, 'container', a.action, c.id,"
	"  CASE WHEN a.action = 'die' THEN json_patch(" ATTRS("c") ", json_object('exitCode', CAST(?2 AS TEXT)))"
	"  ELSE " ATTRS("c") " END"
	" FROM containers c, (SELECT 1 AS n, 'oom' AS action UNION ALL SELECT 2, 'die'"
	"  UNION ALL SELECT 3, 'stop') a"
	" WHERE c.id = ?1 AND (a.n = 2 OR (a.n = 1 AND ?4) OR (a.n = 3 AND c.stop_requested))"
	" ORDER BY a.n";
/* clang-format on */

void pd_store_event_clear(struct pd_store_event *e)
{
	free(e->type);
	free(e->action);
	free(e->id);
	free(e->attributes);
	*e = (struct pd_store_event){ 0 };
}

void pd_store_events_free(struct pd_store_event *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		pd_store_event_clear(&v[i]);
	free(v);
}

static int insert_one(struct pd_store *s, sqlite3_stmt *st, const struct pd_store_event *e,
		      struct pd_err **err)
{
	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, e->time_ns);
	sqlite3_bind_text(st, 2, e->type, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, e->action, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, e->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, e->attributes ? e->attributes : "{}", -1, SQLITE_STATIC);
	return sqlite3_step(st) == SQLITE_DONE ? 0 : store_fail(s, err, "insert event");
}

int pd_store_events_insert(struct pd_store *s, const struct pd_store_event *v, size_t n, struct pd_err **err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(
		s->db, "INSERT INTO events (time_ns, type, action, id, attributes) VALUES (?, ?, ?, ?, ?)",
		-1, &st, NULL) != SQLITE_OK)
		return store_fail(s, err, "prepare event insert");
	if (n == 1)
		return insert_one(s, st, v, err);
	if (store_begin(s, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (insert_one(s, st, &v[i], err) < 0) {
			store_rollback(s);
			return -1;
		}
	return store_commit(s, err);
}

int pd_store_event_of_record(struct pd_store *s, const char *id, const char *action, int64_t time_ns,
			     const char *extra, struct pd_err **err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(s->db,
			       "INSERT INTO events (time_ns, type, action, id, attributes)"
			       " SELECT ?3, 'container', ?2, c.id, json_patch(" ATTRS(
				   "c") ", ?4)"
					" FROM containers c WHERE c.id = ?1",
			       -1, &st, NULL) != SQLITE_OK)
		return store_fail(s, err, "prepare event insert");
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, action, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, time_ns);
	sqlite3_bind_text(st, 4, extra ? extra : "{}", -1, SQLITE_STATIC);
	return sqlite3_step(st) == SQLITE_DONE ? 0 : store_fail(s, err, "insert event");
}

int pd_store_events_exit(struct pd_store *s, const char *id, int exit_code, bool oom, int64_t time_ns,
			 struct pd_err **err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(s->db, exit_sql, -1, &st, NULL) != SQLITE_OK)
		return store_fail(s, err, "prepare exit events");
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, exit_code);
	sqlite3_bind_int64(st, 3, time_ns);
	sqlite3_bind_int(st, 4, oom);
	return sqlite3_step(st) == SQLITE_DONE ? 0 : store_fail(s, err, "insert exit events");
}

static char *col_str(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return xstrdup(t ? (const char *)t : "");
}

int pd_store_events_after(struct pd_store *s, int64_t after, size_t max, struct pd_store_event **out,
			  size_t *n, struct pd_err **err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(s->db,
			       "SELECT seq, time_ns, type, action, id, attributes FROM events"
			       " WHERE seq > ? ORDER BY seq LIMIT ?",
			       -1, &st, NULL) != SQLITE_OK)
		return store_fail(s, err, "prepare events read");
	sqlite3_bind_int64(st, 1, after);
	sqlite3_bind_int64(st, 2, (int64_t)max);
	size_t cap = 16, len = 0;
	struct pd_store_event *v = xcalloc(cap, sizeof(*v));
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (len == cap)
			v = xrealloc(v, (cap *= 2) * sizeof(*v));
		v[len++] = (struct pd_store_event){
			.seq = sqlite3_column_int64(st, 0),
			.time_ns = sqlite3_column_int64(st, 1),
			.type = col_str(st, 2),
			.action = col_str(st, 3),
			.id = col_str(st, 4),
			.attributes = col_str(st, 5),
		};
	}
	if (rc != SQLITE_DONE) {
		pd_store_events_free(v, len);
		return store_fail(s, err, "read events");
	}
	*out = v;
	*n = len;
	return 0;
}

int pd_store_events_last(struct pd_store *s, int64_t *seq, struct pd_err **err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(s->db, "SELECT coalesce(max(seq), 0) FROM events", -1, &st, NULL) !=
		SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW)
		return store_fail(s, err, "read the last event");
	*seq = sqlite3_column_int64(st, 0);
	return 0;
}

int64_t pd_store_data_version(struct pd_store *s)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(s->db, "PRAGMA data_version", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW)
		return -1;
	return sqlite3_column_int64(st, 0);
}
