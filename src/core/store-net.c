/* Network state: address leases and published ports (see store-net.h).
 * Part of the store module, the only code that speaks SQL; runs in the CLI
 * (reserve at `run`, release at `rm`/`prune`) and in the monitor (release
 * when the container ends).
 *
 * Addresses are stored as integers in host byte order so that "the lowest
 * free address" is one query.  A container's rows go with its record (the
 * trigger below), so --rm, rm, prune and a start discarded before the
 * monitor ran all return them to the pool. */
#include "core/store-internal.h"
#include "core/store-net.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/xalloc.h"

const char pd_store_migration_net[] = "CREATE TABLE leases ("
				      " network TEXT NOT NULL,"
				      " ip INTEGER NOT NULL,"
				      " gateway INTEGER NOT NULL,"
				      " prefix INTEGER NOT NULL,"
				      " container_id TEXT NOT NULL UNIQUE,"
				      " created_ns INTEGER NOT NULL,"
				      " PRIMARY KEY (network, ip));"
				      "CREATE TABLE ports ("
				      " proto TEXT NOT NULL,"
				      " host_ip TEXT NOT NULL,"
				      " host_port INTEGER NOT NULL,"
				      " container_id TEXT NOT NULL,"
				      " container_port INTEGER NOT NULL,"
				      " PRIMARY KEY (proto, host_ip, host_port));"
				      "CREATE INDEX ports_by_container ON ports (container_id);"
				      "CREATE TRIGGER containers_net_release AFTER DELETE ON containers BEGIN"
				      " DELETE FROM leases WHERE container_id = old.id;"
				      " DELETE FROM ports WHERE container_id = old.id;"
				      " END;";

/* Another container's claim on the port: same protocol and port, and the
 * same address or a wildcard on either side. */
static int check_port(struct pd_store *s, const char *id, const struct pd_port *p, struct pd_err **err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(
		s->db,
		"SELECT container_id FROM ports WHERE proto = ?1 AND host_port = ?2 AND container_id != ?4"
		" AND (host_ip = ?3 OR host_ip = '0.0.0.0' OR ?3 = '0.0.0.0') LIMIT 1",
		-1, &st, NULL) != SQLITE_OK)
		return store_fail(s, err, "prepare port lookup");
	sqlite3_bind_text(st, 1, p->proto, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, p->host_port);
	sqlite3_bind_text(st, 3, p->host_ip, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, id, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "host port %s:%u/%s is already published by container %.12s", p->host_ip,
				    p->host_port, p->proto, (const char *)sqlite3_column_text(st, 0));
	return rc == SQLITE_DONE ? 0 : store_fail(s, err, "look up ports");
}

static int insert_port(struct pd_store *s, const char *id, const struct pd_port *p, struct pd_err **err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(s->db,
			       "INSERT INTO ports (proto, host_ip, host_port, container_id, container_port)"
			       " VALUES (?, ?, ?, ?, ?)",
			       -1, &st, NULL) != SQLITE_OK)
		return store_fail(s, err, "prepare port insert");
	sqlite3_bind_text(st, 1, p->proto, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, p->host_ip, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, p->host_port);
	sqlite3_bind_text(st, 4, id, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 5, p->container_port);
	return sqlite3_step(st) == SQLITE_DONE ? 0 : store_fail(s, err, "record port");
}

/* The lowest free address is the first of the range or follows a taken
 * one (leased, or the bridge's own). */
/* Addresses other state roots' containers hold (see pd_net_claims), in a
 * temporary table of this connection for the lookup below. */
static int set_taken(struct pd_store *s, const uint32_t *taken, size_t n, struct pd_err **err)
{
	if (store_exec(
		s, "CREATE TEMP TABLE IF NOT EXISTS taken (ip INTEGER PRIMARY KEY); DELETE FROM temp.taken",
		err) < 0)
		return -1;
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	if (n && sqlite3_prepare_v2(s->db, "INSERT OR IGNORE INTO temp.taken (ip) VALUES (?)", -1, &st,
				    NULL) != SQLITE_OK)
		return store_fail(s, err, "prepare taken addresses");
	for (size_t i = 0; i < n; i++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, taken[i]);
		if (sqlite3_step(st) != SQLITE_DONE)
			return store_fail(s, err, "record taken addresses");
	}
	return 0;
}

/* The address a stopped container kept on interface `iface` (see
 * pd_store_net_release): 1 with *ip when it is still its own to use (same
 * network, not taken meanwhile by another state root's container), else
 * that row is dropped and 0. */
static int kept_lease(struct pd_store *s, const char *id, const char *iface, const char *key, uint32_t *ip,
		      struct pd_err **err)
{
	_cleanup_stmt_ sqlite3_stmt *q = NULL;
	if (sqlite3_prepare_v2(s->db,
			       "SELECT ip FROM leases WHERE container_id = ?1 AND iface = ?3 AND network = ?2"
			       " AND ip NOT IN (SELECT ip FROM temp.taken)",
			       -1, &q, NULL) != SQLITE_OK)
		return store_fail(s, err, "prepare kept lease lookup");
	sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, iface, -1, SQLITE_STATIC);
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		*ip = (uint32_t)sqlite3_column_int64(q, 0);
		return 1;
	}
	if (rc != SQLITE_DONE)
		return store_fail(s, err, "look up a kept lease");
	return pd_store_net_drop_lease(s, id, iface, err);
}

static int insert_lease(struct pd_store *s, const char *id, const char *iface, const struct pd_subnet *n,
			const char *key, uint32_t ip, struct pd_err **err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(
		s->db,
		"INSERT INTO leases (network, ip, gateway, prefix, container_id, iface, created_ns)"
		" VALUES (?, ?, ?, ?, ?, ?, strftime('%s', 'now') * 1000000000)",
		-1, &st, NULL) != SQLITE_OK)
		return store_fail(s, err, "prepare lease");
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, ip);
	sqlite3_bind_int64(st, 3, n->gateway);
	sqlite3_bind_int(st, 4, (int)n->prefix);
	sqlite3_bind_text(st, 5, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, iface, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_DONE)
		return 0;
	if (sqlite3_extended_errcode(s->db) == SQLITE_CONSTRAINT_UNIQUE)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "container %.12s already has an address on %s", id,
				    key);
	return store_fail(s, err, "record lease");
}

int pd_store_net_drop_lease(struct pd_store *s, const char *id, const char *iface, struct pd_err **err)
{
	_cleanup_stmt_ sqlite3_stmt *d = NULL;
	if (sqlite3_prepare_v2(s->db, "DELETE FROM leases WHERE container_id = ?1 AND iface = ?2", -1, &d,
			       NULL) != SQLITE_OK)
		return store_fail(s, err, "prepare lease drop");
	sqlite3_bind_text(d, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(d, 2, iface, -1, SQLITE_STATIC);
	return sqlite3_step(d) == SQLITE_DONE ? 0 : store_fail(s, err, "drop a lease");
}

/* --ip: `want` itself, or a usage error naming what holds it. */
static int want_lease(struct pd_store *s, const char *id, const char *iface, const struct pd_subnet *n,
		      const char *key, uint32_t want, uint32_t *ip, struct pd_err **err)
{
	char text[16];
	pd_ip_text(want, text);
	if (want < pd_subnet_first(n) || want > pd_subnet_last(n) || want == n->gateway)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "address %s is not one a container may have on %s",
				    text, key);
	_cleanup_stmt_ sqlite3_stmt *q = NULL;
	if (sqlite3_prepare_v2(s->db,
			       "SELECT container_id FROM leases WHERE network = ?1 AND ip = ?2"
			       " UNION ALL SELECT '' FROM temp.taken WHERE ip = ?2 LIMIT 1",
			       -1, &q, NULL) != SQLITE_OK)
		return store_fail(s, err, "prepare address lookup");
	sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, want);
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		const char *holder = (const char *)sqlite3_column_text(q, 0);
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "address %s is in use by %s%.12s", text,
				    *holder ? "container " : "a container of another state root", holder);
	}
	if (rc != SQLITE_DONE)
		return store_fail(s, err, "look up an address");
	*ip = want;
	return insert_lease(s, id, iface, n, key, want, err);
}

int pd_store_net_lease(struct pd_store *s, const char *id, const char *iface, const struct pd_subnet *n,
		       const uint32_t *taken, size_t n_taken, bool existing, uint32_t *ip,
		       struct pd_err **err)
{
	char key[32];
	pd_subnet_key(n, key, sizeof(key));
	if (set_taken(s, taken, n_taken, err) < 0)
		return -1;
	uint32_t want = *ip;
	/* Only a container that ran before can have kept an address: a new
	 * one's start costs no lookup. */
	int kept = existing ? kept_lease(s, id, iface, key, ip, err) : 0;
	if (kept < 0)
		return -1;
	if (kept && (!want || *ip == want))
		return 0;
	if (kept && pd_store_net_drop_lease(s, id, iface, err) < 0)
		return -1;
	if (want)
		return want_lease(s, id, iface, n, key, want, ip, err);
	_cleanup_stmt_ sqlite3_stmt *q = NULL;
	if (sqlite3_prepare_v2(
		s->db,
		"SELECT c FROM (SELECT ?2 AS c UNION SELECT ?4 + 1 UNION"
		" SELECT ip + 1 FROM leases WHERE network = ?1 UNION SELECT ip + 1 FROM temp.taken)"
		" WHERE c >= ?2 AND c <= ?3 AND c != ?4"
		" AND c NOT IN (SELECT ip FROM leases WHERE network = ?1) AND c NOT IN (SELECT ip FROM "
		"temp.taken)"
		" ORDER BY c LIMIT 1",
		-1, &q, NULL) != SQLITE_OK)
		return store_fail(s, err, "prepare address lookup");
	sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, pd_subnet_first(n));
	sqlite3_bind_int64(q, 3, pd_subnet_last(n));
	sqlite3_bind_int64(q, 4, n->gateway);
	int rc = sqlite3_step(q);
	if (rc == SQLITE_DONE)
		return pd_fail(err, 0, "no free address left in %s", key);
	if (rc != SQLITE_ROW)
		return store_fail(s, err, "find a free address");
	*ip = (uint32_t)sqlite3_column_int64(q, 0);
	return insert_lease(s, id, iface, n, key, *ip, err);
}

/* Whether any container (this one too: its fixed ports are rows by now)
 * holds the port; -1 on a database error. */
static int port_held(struct pd_store *s, const struct pd_port *p, struct pd_err **err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(s->db,
			       "SELECT 1 FROM ports WHERE proto = ?1 AND host_port = ?2"
			       " AND (host_ip = ?3 OR host_ip = '0.0.0.0' OR ?3 = '0.0.0.0') LIMIT 1",
			       -1, &st, NULL) != SQLITE_OK)
		return store_fail(s, err, "prepare port lookup");
	sqlite3_bind_text(st, 1, p->proto, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, p->host_port);
	sqlite3_bind_text(st, 3, p->host_ip, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : store_fail(s, err, "look up ports");
}

/* A free host port for *p (host_port 0), recorded: the first, from the
 * seed on, that no container holds and the host lets us have.  Inside the
 * reservation's transaction, so a parallel run sees the row. */
static int pick_port(struct pd_store *s, const char *id, struct pd_port *p, const struct pd_port_pick *pick,
		     struct pd_err **err)
{
	if (!pick || pick->lo == 0 || pick->hi < pick->lo)
		return pd_fail(err, EINVAL, "no range of host ports to choose from");
	uint32_t span = (uint32_t)(pick->hi - pick->lo) + 1;
	for (uint32_t k = 0; k < span; k++) {
		p->host_port = (uint16_t)(pick->lo + (pick->seed + k) % span);
		int held = port_held(s, p, err);
		if (held < 0)
			return -1;
		if (!held && (!pick->is_free || pick->is_free(p, pick->arg)))
			return insert_port(s, id, p, err);
	}
	p->host_port = 0;
	return pd_fail(err, EADDRINUSE, "no free host port for %u/%s in %u-%u", p->container_port, p->proto,
		       pick->lo, pick->hi);
}

int pd_store_net_reserve(struct pd_store *s, const char *id, const struct pd_subnet *subnet,
			 const uint32_t *taken, size_t n_taken, struct pd_port *ports, size_t n_ports,
			 const struct pd_port_pick *pick, bool existing, uint32_t *ip, struct pd_err **err)
{
	if (store_begin(s, err) < 0)
		return -1;
	/* The ports asked for by number first: a free one is chosen around
	 * them. */
	for (size_t i = 0; i < n_ports; i++)
		if (ports[i].host_port &&
		    (check_port(s, id, &ports[i], err) < 0 || insert_port(s, id, &ports[i], err) < 0))
			goto rollback;
	for (size_t i = 0; i < n_ports; i++)
		if (!ports[i].host_port && pick_port(s, id, &ports[i], pick, err) < 0)
			goto rollback;
	if (subnet && pd_store_net_lease(s, id, "eth0", subnet, taken, n_taken, existing, ip, err) < 0)
		goto rollback;
	return store_commit(s, err);
rollback:
	store_rollback(s);
	return -1;
}

int pd_store_net_release(struct pd_store *s, const char *id, bool keep_lease, struct pd_err **err)
{
	if (store_begin(s, err) < 0)
		return -1;
	static const char *const sql[] = { "DELETE FROM ports WHERE container_id = ?1",
					   "DELETE FROM leases WHERE container_id = ?1" };
	for (size_t i = 0; i < ARRAY_SIZE(sql) - keep_lease; i++) {
		_cleanup_stmt_ sqlite3_stmt *st = NULL;
		if (sqlite3_prepare_v2(s->db, sql[i], -1, &st, NULL) != SQLITE_OK) {
			store_rollback(s);
			return store_fail(s, err, "prepare release");
		}
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE) {
			store_fail(s, err, "release address and ports");
			store_rollback(s);
			return -1;
		}
	}
	return store_commit(s, err);
}

static int get_lease(struct pd_store *s, const char *id, struct pd_store_net *out, struct pd_err **err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(s->db,
			       "SELECT ip, gateway, prefix, network FROM leases WHERE container_id = ?"
			       " AND iface = 'eth0'",
			       -1, &st, NULL) != SQLITE_OK)
		return store_fail(s, err, "prepare lease lookup");
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		out->leased = true;
		pd_ip_text((uint32_t)sqlite3_column_int64(st, 0), out->ip);
		pd_ip_text((uint32_t)sqlite3_column_int64(st, 1), out->gateway);
		out->prefix = (unsigned)sqlite3_column_int(st, 2);
		snprintf(out->network, sizeof(out->network), "%s", (const char *)sqlite3_column_text(st, 3));
	}
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : store_fail(s, err, "look up lease");
}

static int get_ports(struct pd_store *s, const char *id, struct pd_store_net *out, struct pd_err **err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(
		s->db,
		"SELECT proto, host_ip, host_port, container_port FROM ports WHERE container_id = ?"
		" ORDER BY container_port, proto, host_port",
		-1, &st, NULL) != SQLITE_OK)
		return store_fail(s, err, "prepare port lookup");
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		out->ports = xrealloc(out->ports, (out->n_ports + 1) * sizeof(*out->ports));
		struct pd_port *p = &out->ports[out->n_ports++];
		memset(p, 0, sizeof(*p));
		snprintf(p->proto, sizeof(p->proto), "%s", (const char *)sqlite3_column_text(st, 0));
		snprintf(p->host_ip, sizeof(p->host_ip), "%s", (const char *)sqlite3_column_text(st, 1));
		p->host_port = (uint16_t)sqlite3_column_int(st, 2);
		p->container_port = (uint16_t)sqlite3_column_int(st, 3);
	}
	return rc == SQLITE_DONE ? 0 : store_fail(s, err, "look up ports");
}

int pd_store_net_get(struct pd_store *s, const char *id, struct pd_store_net *out, struct pd_err **err)
{
	memset(out, 0, sizeof(*out));
	if (get_lease(s, id, out, err) < 0 || get_ports(s, id, out, err) < 0) {
		pd_store_net_free(out);
		return -1;
	}
	return 0;
}

void pd_store_net_free(struct pd_store_net *n)
{
	free(n->ports);
	memset(n, 0, sizeof(*n));
}

int pd_store_net_all_ports(struct pd_store *s, struct pd_store_port_row **out, size_t *n, struct pd_err **err)
{
	*out = NULL;
	*n = 0;
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(s->db,
			       "SELECT container_id, proto, host_ip, host_port, container_port FROM ports"
			       " ORDER BY container_id, container_port, proto, host_port",
			       -1, &st, NULL) != SQLITE_OK)
		return store_fail(s, err, "prepare port listing");
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*out = xrealloc(*out, (*n + 1) * sizeof(**out));
		struct pd_store_port_row *r = &(*out)[(*n)++];
		memset(r, 0, sizeof(*r));
		snprintf(r->container_id, sizeof(r->container_id), "%s",
			 (const char *)sqlite3_column_text(st, 0));
		snprintf(r->port.proto, sizeof(r->port.proto), "%s",
			 (const char *)sqlite3_column_text(st, 1));
		snprintf(r->port.host_ip, sizeof(r->port.host_ip), "%s",
			 (const char *)sqlite3_column_text(st, 2));
		r->port.host_port = (uint16_t)sqlite3_column_int(st, 3);
		r->port.container_port = (uint16_t)sqlite3_column_int(st, 4);
	}
	if (rc != SQLITE_DONE) {
		free(*out);
		*out = NULL;
		*n = 0;
		return store_fail(s, err, "list ports");
	}
	return 0;
}

void pd_store_leases_free(struct pd_store_lease *l, size_t n)
{
	(void)n;
	free(l);
}

int pd_store_net_leases(struct pd_store *s, const char *id, struct pd_store_lease **out, size_t *n,
			struct pd_err **err)
{
	*out = NULL;
	*n = 0;
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(s->db,
			       "SELECT iface, ip, gateway, prefix, network FROM leases WHERE container_id = ?"
			       " ORDER BY length(iface), iface",
			       -1, &st, NULL) != SQLITE_OK)
		return store_fail(s, err, "prepare lease listing");
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*out = xrealloc(*out, (*n + 1) * sizeof(**out));
		struct pd_store_lease *l = &(*out)[(*n)++];
		memset(l, 0, sizeof(*l));
		snprintf(l->iface, sizeof(l->iface), "%s", (const char *)sqlite3_column_text(st, 0));
		pd_ip_text((uint32_t)sqlite3_column_int64(st, 1), l->ip);
		pd_ip_text((uint32_t)sqlite3_column_int64(st, 2), l->gateway);
		l->prefix = (unsigned)sqlite3_column_int(st, 3);
		snprintf(l->network, sizeof(l->network), "%s", (const char *)sqlite3_column_text(st, 4));
	}
	if (rc != SQLITE_DONE) {
		free(take_ptr(out));
		*n = 0;
		return store_fail(s, err, "list leases");
	}
	return 0;
}
