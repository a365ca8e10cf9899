/* Volumes in the state database (see store-volumes.h).  Part of the store
 * module, the only code that speaks SQL; runs in the CLI (`volume`
 * commands, and each start that uses a volume) and in a monitor that
 * removes a --rm container's anonymous volumes.
 *
 * A volume is in use while any container record names it, running or
 * not, as in Docker: the uses are rows of volume_refs, written by the
 * start (or create) that prepares the volume and deleted with the
 * container's row by the trigger below, so every way a record goes (rm,
 * prune, --rm, a start discarded before its monitor ran) frees them. */
#include "core/store-internal.h"
#include "core/store-volumes.h"

#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/str.h"
#include "util/xalloc.h"

const char pd_store_migration_volumes[] =
    "CREATE TABLE volumes ("
    " name TEXT PRIMARY KEY,"
    " created_ns INTEGER NOT NULL,"
    " labels TEXT NOT NULL DEFAULT '{}',"
    " options TEXT NOT NULL DEFAULT '{}',"
    " anonymous INTEGER NOT NULL DEFAULT 0,"
    " owner TEXT,"
    " target TEXT);"
    "CREATE INDEX volumes_by_owner ON volumes (owner);"
    "CREATE TABLE volume_refs ("
    " volume TEXT NOT NULL,"
    " container_id TEXT NOT NULL,"
    " PRIMARY KEY (volume, container_id));"
    "CREATE INDEX volume_refs_by_container ON volume_refs (container_id);"
    "CREATE TRIGGER containers_volume_release AFTER DELETE ON containers BEGIN"
    " DELETE FROM volume_refs WHERE container_id = old.id;"
    " END;";

void pd_store_volume_free(struct pd_store_volume *v)
{
	if (!v)
		return;
	free(v->name);
	free(v->labels);
	free(v->options);
	free(v->owner);
	free(v->target);
	strv_free(v->users);
	memset(v, 0, sizeof(*v));
}

void pd_store_volumes_free(struct pd_store_volume *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		pd_store_volume_free(&v[i]);
	free(v);
}

static char *col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return t ? xstrdup((const char *)t) : NULL;
}

#define VOLUME_COLUMNS                                                                                       \
	"name, created_ns, labels, options, anonymous, owner, target,"                                       \
	" (SELECT group_concat(container_id, ',') FROM volume_refs r WHERE r.volume = v.name)"

static void read_volume(sqlite3_stmt *st, struct pd_store_volume *v)
{
	memset(v, 0, sizeof(*v));
	v->name = col_text(st, 0);
	v->created_ns = sqlite3_column_int64(st, 1);
	v->labels = col_text(st, 2);
	v->options = col_text(st, 3);
	v->anonymous = sqlite3_column_int(st, 4);
	v->owner = col_text(st, 5);
	v->target = col_text(st, 6);
	_cleanup_free_ char *users = col_text(st, 7);
	for (char *save = NULL, *u = users ? strtok_r(users, ",", &save) : NULL; u;
	     u = strtok_r(NULL, ",", &save))
		strv_push(&v->users, u);
}

static int claim_rows(struct pd_store *s, const struct pd_store_volume *v, const char *container_id,
		      bool *created, struct pd_err **err)
{
	_cleanup_stmt_ sqlite3_stmt *ins = NULL, *ref = NULL;
	if (sqlite3_prepare_v2(s->db,
			       "INSERT OR IGNORE INTO volumes (name, created_ns, labels, options, anonymous,"
			       " owner, target) VALUES (?, ?, ?, ?, ?, ?, ?)",
			       -1, &ins, NULL) != SQLITE_OK)
		return store_fail(s, err, "prepare volume insert");
	sqlite3_bind_text(ins, 1, v->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(ins, 2, v->created_ns);
	sqlite3_bind_text(ins, 3, v->labels ? v->labels : "{}", -1, SQLITE_STATIC);
	sqlite3_bind_text(ins, 4, v->options ? v->options : "{}", -1, SQLITE_STATIC);
	sqlite3_bind_int(ins, 5, v->anonymous);
	sqlite3_bind_text(ins, 6, v->owner, -1, SQLITE_STATIC);
	sqlite3_bind_text(ins, 7, v->target, -1, SQLITE_STATIC);
	if (sqlite3_step(ins) != SQLITE_DONE)
		return store_fail(s, err, "record volume");
	*created = sqlite3_changes(s->db) == 1;
	if (!container_id)
		return 0;
	if (sqlite3_prepare_v2(s->db,
			       "INSERT OR IGNORE INTO volume_refs (volume, container_id) VALUES (?, ?)", -1,
			       &ref, NULL) != SQLITE_OK)
		return store_fail(s, err, "prepare volume use");
	sqlite3_bind_text(ref, 1, v->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(ref, 2, container_id, -1, SQLITE_STATIC);
	if (sqlite3_step(ref) != SQLITE_DONE)
		return store_fail(s, err, "record volume use");
	return 0;
}

int pd_store_volume_claim(struct pd_store *s, const struct pd_store_volume *v, const char *container_id,
			  pd_store_volume_fn fn, void *data, struct pd_err **err)
{
	if (store_begin(s, err) < 0)
		return -1;
	bool created = false;
	if (claim_rows(s, v, container_id, &created, err) < 0 ||
	    (fn && fn(v->name, created, data, err) < 0)) {
		store_rollback(s);
		return -1;
	}
	if (store_commit(s, err) < 0)
		return -1;
	return created ? 0 : 1;
}

int pd_store_volume_get(struct pd_store *s, const char *name, struct pd_store_volume *out,
			struct pd_err **err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(s->db, "SELECT " VOLUME_COLUMNS " FROM volumes v WHERE name = ?", -1, &st,
			       NULL) != SQLITE_OK)
		return store_fail(s, err, "prepare volume lookup");
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		read_volume(st, out);
		return 0;
	}
	return rc == SQLITE_DONE ? 1 : store_fail(s, err, "look up volume");
}

int pd_store_volume_anon_find(struct pd_store *s, const char *owner, const char *target, char **name,
			      struct pd_err **err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(
		s->db, "SELECT name FROM volumes WHERE anonymous = 1 AND owner = ? AND target = ? LIMIT 1",
		-1, &st, NULL) != SQLITE_OK)
		return store_fail(s, err, "prepare volume lookup");
	sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, target, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*name = col_text(st, 0);
		return 0;
	}
	return rc == SQLITE_DONE ? 1 : store_fail(s, err, "look up volume");
}

int pd_store_volume_anon_of(struct pd_store *s, const char *owner, char ***names, struct pd_err **err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(s->db,
			       "SELECT name FROM volumes WHERE anonymous = 1 AND owner = ? ORDER BY name", -1,
			       &st, NULL) != SQLITE_OK)
		return store_fail(s, err, "prepare volume lookup");
	sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
	_cleanup_strv_ char **v = xcalloc(1, sizeof(char *));
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		strv_push(&v, (const char *)sqlite3_column_text(st, 0));
	if (rc != SQLITE_DONE)
		return store_fail(s, err, "look up volumes");
	*names = take_ptr(&v);
	return 0;
}

int pd_store_volume_list(struct pd_store *s, struct pd_store_volume **out, size_t *n, struct pd_err **err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(s->db, "SELECT " VOLUME_COLUMNS " FROM volumes v ORDER BY name", -1, &st,
			       NULL) != SQLITE_OK)
		return store_fail(s, err, "prepare volume list");
	size_t cap = 8, len = 0;
	struct pd_store_volume *v = xcalloc(cap, sizeof(*v));
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (len == cap)
			v = xrealloc(v, (cap *= 2) * sizeof(*v));
		read_volume(st, &v[len++]);
	}
	if (rc != SQLITE_DONE) {
		pd_store_volumes_free(v, len);
		return store_fail(s, err, "list volumes");
	}
	*out = v;
	*n = len;
	return 0;
}

static int delete_row(struct pd_store *s, const char *name, struct pd_err **err)
{
	_cleanup_stmt_ sqlite3_stmt *use = NULL, *del = NULL;
	if (sqlite3_prepare_v2(s->db, "SELECT container_id FROM volume_refs WHERE volume = ? LIMIT 1", -1,
			       &use, NULL) != SQLITE_OK)
		return store_fail(s, err, "prepare volume use lookup");
	sqlite3_bind_text(use, 1, name, -1, SQLITE_STATIC);
	int rc = sqlite3_step(use);
	if (rc == SQLITE_ROW)
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "remove volume %s: volume is in use by container %.12s", name,
				    (const char *)sqlite3_column_text(use, 0));
	if (rc != SQLITE_DONE)
		return store_fail(s, err, "look up volume uses");
	if (sqlite3_prepare_v2(s->db, "DELETE FROM volumes WHERE name = ?", -1, &del, NULL) != SQLITE_OK)
		return store_fail(s, err, "prepare volume delete");
	sqlite3_bind_text(del, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(del) != SQLITE_DONE)
		return store_fail(s, err, "delete volume");
	return sqlite3_changes(s->db) == 1 ? 0 : 1;
}

int pd_store_volume_delete(struct pd_store *s, const char *name, pd_store_volume_fn fn, void *data,
			   struct pd_err **err)
{
	if (store_begin(s, err) < 0)
		return -1;
	int r = delete_row(s, name, err);
	if (r != 0 || (fn && fn(name, false, data, err) < 0)) {
		store_rollback(s);
		return r > 0 ? 1 : -1;
	}
	return store_commit(s, err);
}
