/* Shared by the files of the store module (store.c, store-net.c,
 * store-images.c), which together are the only code that speaks SQL.
 * Internal to core/. */
#pragma once
#include <sqlite3.h>

#include "core/store.h"

struct pd_store {
	sqlite3 *db;
	int wal_pages; /* frames in the WAL after this connection's last commit */
};

/* Schema steps of the other store files, applied in order after store.c's
 * own (see the migrations table in store.c).  Each is one SQL script. */
extern const char pd_store_migration_net[];
extern const char pd_store_migration_images[];
extern const char pd_store_migration_events[];
extern const char pd_store_migration_volumes[];
extern const char pd_store_migration_networks[];
extern const char pd_store_migration_connections[];

/* Run `sql` (no results); on failure fill *err naming the database. */
int store_exec(struct pd_store *s, const char *sql, struct pd_err **err);
/* Fail with sqlite's message for `what`. */
int store_fail(struct pd_store *s, struct pd_err **err, const char *what);
/* BEGIN IMMEDIATE / COMMIT / ROLLBACK: one transaction per state change. */
int store_begin(struct pd_store *s, struct pd_err **err);
int store_commit(struct pd_store *s, struct pd_err **err);
void store_rollback(struct pd_store *s);

static inline void store_stmt_finalizep(sqlite3_stmt **st)
{
	if (*st)
		sqlite3_finalize(*st);
}
#define _cleanup_stmt_ __attribute__((cleanup(store_stmt_finalizep)))
