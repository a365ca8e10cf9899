/* The containers' resolver's reads (see store-dns.h).  Part of the store
 * module, the only code that speaks SQL; runs in the monitor, for each
 * name a container asks for that may be one of its networks'.  Reads only
 * the endpoints table (store-networks.c): an endpoint exists from the
 * reservation of a start to the end of that run, so these rows are the
 * containers the names should resolve to, as they are now. */
#include "core/store-dns.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/store-internal.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

void pd_store_dns_members_free(struct pd_store_dns_member *m, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(m[i].names);
	free(m);
}

int pd_store_dns_members(struct pd_store *s, const char *container_id, struct pd_store_dns_member **out,
			 size_t *n, struct pd_err **err)
{
	*out = NULL;
	*n = 0;
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(s->db,
			       "SELECT ip, names, ip6 FROM endpoints WHERE network IN"
			       " (SELECT network FROM endpoints WHERE container_id = ?)"
			       " ORDER BY container_id",
			       -1, &st, NULL) != SQLITE_OK)
		return store_fail(s, err, "prepare network members");
	sqlite3_bind_text(st, 1, container_id, -1, SQLITE_STATIC);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*out = xrealloc(*out, (*n + 1) * sizeof(**out));
		struct pd_store_dns_member *m = &(*out)[(*n)++];
		const char *ip = (const char *)sqlite3_column_text(st, 0);
		const char *names = (const char *)sqlite3_column_text(st, 1);
		snprintf(m->ip, sizeof(m->ip), "%s", ip ? ip : "");
		m->names = xstrdup(names ? names : "");
		const char *ip6 = (const char *)sqlite3_column_text(st, 2);
		snprintf(m->ip6, sizeof(m->ip6), "%s", ip6 ? ip6 : "");
	}
	if (rc != SQLITE_DONE) {
		pd_store_dns_members_free(take_ptr(out), *n);
		*n = 0;
		return store_fail(s, err, "list network members");
	}
	return 0;
}
