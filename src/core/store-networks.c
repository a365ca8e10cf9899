/* User-defined networks and their endpoints (see store-networks.h).  Part
 * of the store module, the only code that speaks SQL; runs in the CLI
 * (`network` commands, reserve at run/start, release at rm/prune) and in
 * the monitor (release when the container ends).
 *
 * A network's leases are rows of `leases` keyed by its subnet ("10.50.0.0/24"),
 * as the default bridge's are by its own; subnets never overlap, so the keys
 * never meet.  An endpoint exists from the reservation of a start to the end
 * of that run, so the rows of a network are the containers its names should
 * resolve to. */
#include "core/store-internal.h"
#include "core/store-networks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/proc.h"
#include "util/xalloc.h"

const char pd_store_migration_networks[] =
    "CREATE TABLE networks ("
    " name TEXT PRIMARY KEY,"
    " id TEXT NOT NULL UNIQUE,"
    " gateway INTEGER NOT NULL,"
    " network INTEGER NOT NULL,"
    " prefix INTEGER NOT NULL,"
    " bridge TEXT NOT NULL UNIQUE,"
    " internal INTEGER NOT NULL,"
    " labels TEXT NOT NULL,"
    " created_ns INTEGER NOT NULL);"
    "CREATE TABLE endpoints ("
    " container_id TEXT PRIMARY KEY,"
    " network TEXT NOT NULL,"
    " ip TEXT NOT NULL,"
    " names TEXT NOT NULL,"
    " hosts TEXT NOT NULL);"
    "CREATE TRIGGER containers_endpoint_release AFTER DELETE ON containers BEGIN"
    " DELETE FROM endpoints WHERE container_id = old.id;"
    " END;";

/* `network connect`: a container has one lease and one endpoint per
 * network it is on, and remembers the networks it was connected to
 * (`connections`, kept across its runs until `network disconnect` or its
 * removal).  SQLite cannot change a table's keys: the tables are made
 * again, the triggers that name them dropped first (a rename checks every
 * trigger's body) and made again after. */
const char pd_store_migration_connections[] =
    "DROP TRIGGER containers_net_release;"
    "DROP TRIGGER containers_endpoint_release;"
    "CREATE TABLE leases_new ("
    " network TEXT NOT NULL,"
    " ip INTEGER NOT NULL,"
    " gateway INTEGER NOT NULL,"
    " prefix INTEGER NOT NULL,"
    " container_id TEXT NOT NULL,"
    " iface TEXT NOT NULL DEFAULT 'eth0',"
    " created_ns INTEGER NOT NULL,"
    " PRIMARY KEY (network, ip),"
    " UNIQUE (container_id, iface),"
    " UNIQUE (container_id, network));"
    "INSERT INTO leases_new (network, ip, gateway, prefix, container_id, created_ns)"
    " SELECT network, ip, gateway, prefix, container_id, created_ns FROM leases;"
    "DROP TABLE leases;"
    "ALTER TABLE leases_new RENAME TO leases;"
    "CREATE TABLE endpoints_new ("
    " container_id TEXT NOT NULL,"
    " network TEXT NOT NULL,"
    " ip TEXT NOT NULL,"
    " names TEXT NOT NULL,"
    " hosts TEXT NOT NULL,"
    " PRIMARY KEY (container_id, network));"
    "INSERT INTO endpoints_new SELECT container_id, network, ip, names, hosts FROM endpoints;"
    "DROP TABLE endpoints;"
    "ALTER TABLE endpoints_new RENAME TO endpoints;"
    "CREATE INDEX endpoints_by_network ON endpoints (network);"
    "CREATE TABLE connections ("
    " container_id TEXT NOT NULL,"
    " network TEXT NOT NULL,"
    " iface TEXT NOT NULL,"
    " ip_want TEXT NOT NULL,"
    " aliases TEXT NOT NULL,"
    " PRIMARY KEY (container_id, network),"
    " UNIQUE (container_id, iface));"
    "CREATE INDEX connections_by_network ON connections (network);"
    "CREATE TRIGGER containers_net_release AFTER DELETE ON containers BEGIN"
    " DELETE FROM leases WHERE container_id = old.id;"
    " DELETE FROM ports WHERE container_id = old.id;"
    " END;"
    "CREATE TRIGGER containers_endpoint_release AFTER DELETE ON containers BEGIN"
    " DELETE FROM endpoints WHERE container_id = old.id;"
    " DELETE FROM connections WHERE container_id = old.id;"
    " END;";

/* --ipv6: the network's IPv6 subnet ("fd12:3456:789a::/64", '' for none)
 * and each endpoint's IPv6 address ('' for none). */
const char pd_store_migration_ipv6[] = "ALTER TABLE networks ADD COLUMN subnet6 TEXT NOT NULL DEFAULT '';"
				       "ALTER TABLE endpoints ADD COLUMN ip6 TEXT NOT NULL DEFAULT '';";

#define NET_COLS "name, id, gateway, network, prefix, bridge, internal, labels, created_ns, subnet6"

void pd_store_network_free(struct pd_store_network *n)
{
	free(n->name);
	free(n->labels);
	memset(n, 0, sizeof(*n));
}

void pd_store_networks_free(struct pd_store_network *n, size_t count)
{
	for (size_t i = 0; i < count; i++)
		pd_store_network_free(&n[i]);
	free(n);
}

static void read_row(sqlite3_stmt *st, struct pd_store_network *n)
{
	memset(n, 0, sizeof(*n));
	n->name = xstrdup((const char *)sqlite3_column_text(st, 0));
	snprintf(n->id, sizeof(n->id), "%s", (const char *)sqlite3_column_text(st, 1));
	n->sub.gateway = (uint32_t)sqlite3_column_int64(st, 2);
	n->sub.network = (uint32_t)sqlite3_column_int64(st, 3);
	n->sub.prefix = (unsigned)sqlite3_column_int(st, 4);
	snprintf(n->sub.bridge, sizeof(n->sub.bridge), "%s", (const char *)sqlite3_column_text(st, 5));
	n->internal = sqlite3_column_int(st, 6) != 0;
	n->labels = xstrdup((const char *)sqlite3_column_text(st, 7));
	n->created_ns = sqlite3_column_int64(st, 8);
	const char *v6 = (const char *)sqlite3_column_text(st, 9);
	if (v6 && *v6)
		pd_subnet6_parse(v6, &n->sub, pd_err_ignore(optional));
}

int pd_store_network_list(struct pd_store *s, struct pd_store_network **out, size_t *n, struct pd_err **err)
{
	*out = NULL;
	*n = 0;
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(s->db, "SELECT " NET_COLS " FROM networks ORDER BY name", -1, &st, NULL) !=
	    SQLITE_OK)
		return store_fail(s, err, "prepare network listing");
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*out = xrealloc(*out, (*n + 1) * sizeof(**out));
		read_row(st, &(*out)[(*n)++]);
	}
	if (rc != SQLITE_DONE) {
		pd_store_networks_free(*out, *n);
		*out = NULL;
		*n = 0;
		return store_fail(s, err, "list networks");
	}
	return 0;
}

int pd_store_network_get(struct pd_store *s, const char *name, struct pd_store_network *out,
			 struct pd_err **err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(s->db,
			       "SELECT " NET_COLS " FROM networks WHERE name = ?1"
			       " OR (length(?1) >= 3 AND substr(id, 1, length(?1)) = ?1)"
			       " ORDER BY name = ?1 DESC LIMIT 1",
			       -1, &st, NULL) != SQLITE_OK)
		return store_fail(s, err, "prepare network lookup");
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return 1;
	if (rc != SQLITE_ROW)
		return store_fail(s, err, "look up network");
	read_row(st, out);
	return 0;
}

static bool overlaps(const struct pd_subnet *a, const struct pd_subnet *b)
{
	unsigned p = a->prefix < b->prefix ? a->prefix : b->prefix;
	uint32_t common = p ? ~0U << (32 - p) : 0;
	return (a->network & common) == (b->network & common);
}

/* The network that `sub` overlaps, or NULL. */
static const char *clash(const struct pd_subnet *sub, const struct pd_store_network *all, size_t n,
			 const struct pd_subnet *reserved)
{
	if (reserved && overlaps(sub, reserved))
		return "bridge";
	for (size_t i = 0; i < n; i++)
		if (overlaps(sub, &all[i].sub))
			return all[i].name;
	return NULL;
}

static int pick_subnet(struct pd_subnet *sub, const struct pd_store_network *all, size_t n,
		       const struct pd_subnet *reserved, const char *routes, struct pd_err **err)
{
	/* From a random /24 on: state roots do not see each other's
	 * networks until their bridges exist (then the routes tell). */
	uint32_t start = 0;
	if (getrandom(&start, sizeof(start), 0) != (ssize_t)sizeof(start))
		start = (uint32_t)getpid();
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t k = (start + i) & 255;
		sub->network = (10U << 24) | (50U << 16) | (k << 8);
		sub->gateway = sub->network + 1;
		sub->prefix = 24;
		if (!clash(sub, all, n, reserved) &&
		    pd_subnet_check_routes(sub, routes, pd_err_ignore(status)) == 0)
			return 0;
	}
	return pd_fail_kind(err, PD_ERR_USAGE, 0, "no free subnet left in 10.50.0.0/16: give --subnet");
}

/* The network whose IPv6 subnet `sub` overlaps, or NULL. */
static const char *clash6(const struct pd_subnet *sub, const struct pd_store_network *all, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (pd_subnet6_overlaps(sub, &all[i].sub))
			return all[i].name;
	return NULL;
}

/* A random ULA /64 (fd00::/8 and 40 random bits, RFC 4193) that overlaps
 * no network's nor a route of the host's. */
static int pick_subnet6(struct pd_subnet *sub, const struct pd_store_network *all, size_t n,
			const char *routes6, struct pd_err **err)
{
	for (unsigned tries = 0; tries < 64; tries++) {
		uint8_t r[5] = { 0 };
		if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
			uint64_t t = (uint64_t)pd_now_ns() ^ ((uint64_t)getpid() << 20) ^ tries;
			memcpy(r, &t, sizeof(r));
		}
		memset(sub->net6, 0, sizeof(sub->net6));
		sub->net6[0] = 0xfd;
		memcpy(sub->net6 + 1, r, sizeof(r));
		sub->prefix6 = 64;
		if (!clash6(sub, all, n) && pd_subnet6_check_routes(sub, routes6, pd_err_ignore(status)) == 0)
			return 0;
	}
	return pd_fail_kind(err, PD_ERR_USAGE, 0, "no free IPv6 subnet found: give --subnet");
}

static int insert_network(struct pd_store *s, const struct pd_store_network *n, struct pd_err **err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(s->db,
			       "INSERT INTO networks (" NET_COLS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			       -1, &st, NULL) != SQLITE_OK)
		return store_fail(s, err, "prepare network insert");
	sqlite3_bind_text(st, 1, n->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, n->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, n->sub.gateway);
	sqlite3_bind_int64(st, 4, n->sub.network);
	sqlite3_bind_int(st, 5, (int)n->sub.prefix);
	sqlite3_bind_text(st, 6, n->sub.bridge, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 7, n->internal);
	sqlite3_bind_text(st, 8, n->labels ? n->labels : "{}", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 9, n->created_ns);
	char key6[64];
	pd_subnet6_key(&n->sub, key6, sizeof(key6));
	sqlite3_bind_text(st, 10, key6, -1, SQLITE_TRANSIENT);
	return sqlite3_step(st) == SQLITE_DONE ? 0 : store_fail(s, err, "record network");
}

int pd_store_network_create(struct pd_store *s, struct pd_store_network *n, const struct pd_subnet *reserved,
			    const char *routes, const char *routes6, struct pd_err **err)
{
	if (store_begin(s, err) < 0)
		return -1;
	struct pd_store_network *all = NULL;
	size_t count = 0;
	int ret = -1;
	if (pd_store_network_list(s, &all, &count, err) < 0)
		goto out;
	for (size_t i = 0; i < count; i++)
		if (!strcmp(all[i].name, n->name)) {
			pd_fail_kind(err, PD_ERR_USAGE, 0, "network with name %s already exists", n->name);
			goto out;
		}
	const char *other;
	if (!n->sub.prefix) {
		if (pick_subnet(&n->sub, all, count, reserved, routes, err) < 0)
			goto out;
	} else if ((other = clash(&n->sub, all, count, reserved))) {
		char key[32];
		pd_subnet_key(&n->sub, key, sizeof(key));
		pd_fail_kind(err, PD_ERR_USAGE, 0, "subnet %s overlaps that of network %s", key, other);
		goto out;
	}
	if (n->sub.v6 && !n->sub.prefix6) {
		if (pick_subnet6(&n->sub, all, count, routes6, err) < 0)
			goto out;
	} else if (n->sub.v6 && (other = clash6(&n->sub, all, count))) {
		char key[64];
		pd_subnet6_key(&n->sub, key, sizeof(key));
		pd_fail_kind(err, PD_ERR_USAGE, 0, "subnet %s overlaps that of network %s", key, other);
		goto out;
	}
	ret = insert_network(s, n, err);
out:
	pd_store_networks_free(all, count);
	if (ret < 0) {
		store_rollback(s);
		return -1;
	}
	return store_commit(s, err);
}

int pd_store_network_remove(struct pd_store *s, const char *name, struct pd_err **err)
{
	if (store_begin(s, err) < 0)
		return -1;
	struct pd_store_network n;
	int r = pd_store_network_get(s, name, &n, err);
	if (r != 0) {
		store_rollback(s);
		return r;
	}
	char key[32];
	pd_subnet_key(&n.sub, key, sizeof(key));
	_cleanup_stmt_ sqlite3_stmt *q = NULL, *d = NULL;
	int rc = -1;
	if (sqlite3_prepare_v2(s->db,
			       "SELECT container_id FROM leases WHERE network = ?1"
			       " UNION SELECT container_id FROM endpoints WHERE network = ?2"
			       " UNION SELECT container_id FROM connections WHERE network = ?2 LIMIT 1",
			       -1, &q, NULL) != SQLITE_OK) {
		store_fail(s, err, "prepare network use lookup");
		goto out;
	}
	sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, n.name, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		pd_fail_kind(err, PD_ERR_USAGE, 0, "network %s is in use by container %.12s", n.name,
			     (const char *)sqlite3_column_text(q, 0));
		rc = -1;
		goto out;
	}
	if (rc != SQLITE_DONE) {
		rc = store_fail(s, err, "look up the network's containers");
		goto out;
	}
	if (sqlite3_prepare_v2(s->db, "DELETE FROM networks WHERE name = ?", -1, &d, NULL) != SQLITE_OK) {
		rc = store_fail(s, err, "prepare network delete");
		goto out;
	}
	sqlite3_bind_text(d, 1, n.name, -1, SQLITE_STATIC);
	rc = sqlite3_step(d) == SQLITE_DONE ? 0 : store_fail(s, err, "delete network");
out:
	pd_store_network_free(&n);
	if (rc < 0) {
		store_rollback(s);
		return -1;
	}
	return store_commit(s, err);
}

void pd_store_endpoints_free(struct pd_store_endpoint *e, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(e[i].names);
		free(e[i].hosts);
	}
	free(e);
}

int pd_store_endpoint_set(struct pd_store *s, const char *network, const struct pd_store_endpoint *e,
			  struct pd_err **err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(
		s->db,
		"INSERT OR REPLACE INTO endpoints (container_id, network, ip, names, hosts, ip6)"
		" VALUES (?, ?, ?, ?, ?, ?)",
		-1, &st, NULL) != SQLITE_OK)
		return store_fail(s, err, "prepare endpoint insert");
	sqlite3_bind_text(st, 1, e->container_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, network, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, e->ip, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, e->names, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, e->hosts, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, e->ip6, -1, SQLITE_STATIC);
	return sqlite3_step(st) == SQLITE_DONE ? 0 : store_fail(s, err, "record endpoint");
}

int pd_store_endpoint_drop(struct pd_store *s, const char *container_id, char **network, struct pd_err **err)
{
	*network = NULL;
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(s->db, "DELETE FROM endpoints WHERE container_id = ? RETURNING network", -1,
			       &st, NULL) != SQLITE_OK)
		return store_fail(s, err, "prepare endpoint delete");
	sqlite3_bind_text(st, 1, container_id, -1, SQLITE_STATIC);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (!*network)
			*network = xstrdup((const char *)sqlite3_column_text(st, 0));
	if (rc != SQLITE_DONE) {
		free(take_ptr(network));
		return store_fail(s, err, "delete endpoint");
	}
	return *network ? 1 : 0;
}

/* The rows of `sql` (container_id, ip, names, hosts, ip6; one parameter). */
static int read_endpoints(struct pd_store *s, const char *sql, const char *arg,
			  struct pd_store_endpoint **out, size_t *n, struct pd_err **err)
{
	*out = NULL;
	*n = 0;
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return store_fail(s, err, "prepare endpoint listing");
	sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*out = xrealloc(*out, (*n + 1) * sizeof(**out));
		struct pd_store_endpoint *e = &(*out)[(*n)++];
		memset(e, 0, sizeof(*e));
		snprintf(e->container_id, sizeof(e->container_id), "%s",
			 (const char *)sqlite3_column_text(st, 0));
		snprintf(e->ip, sizeof(e->ip), "%s", (const char *)sqlite3_column_text(st, 1));
		e->names = xstrdup((const char *)sqlite3_column_text(st, 2));
		e->hosts = xstrdup((const char *)sqlite3_column_text(st, 3));
		const char *ip6 = (const char *)sqlite3_column_text(st, 4);
		snprintf(e->ip6, sizeof(e->ip6), "%s", ip6 ? ip6 : "");
	}
	if (rc != SQLITE_DONE) {
		pd_store_endpoints_free(*out, *n);
		*out = NULL;
		*n = 0;
		return store_fail(s, err, "list endpoints");
	}
	return 0;
}

int pd_store_endpoints(struct pd_store *s, const char *network, struct pd_store_endpoint **out, size_t *n,
		       struct pd_err **err)
{
	return read_endpoints(s,
			      "SELECT container_id, ip, names, hosts, ip6 FROM endpoints WHERE network = ?"
			      " ORDER BY container_id",
			      network, out, n, err);
}

int pd_store_peer_endpoints(struct pd_store *s, const char *container_id, struct pd_store_endpoint **out,
			    size_t *n, struct pd_err **err)
{
	return read_endpoints(s,
			      "SELECT container_id, ip, names, hosts, ip6 FROM endpoints WHERE network IN"
			      " (SELECT network FROM endpoints WHERE container_id = ?1)"
			      " ORDER BY network, container_id",
			      container_id, out, n, err);
}

int pd_store_endpoint_networks(struct pd_store *s, const char *container_id, char ***networks,
			       struct pd_err **err)
{
	*networks = xcalloc(1, sizeof(char *));
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(s->db, "SELECT network FROM endpoints WHERE container_id = ? ORDER BY network",
			       -1, &st, NULL) != SQLITE_OK)
		return store_fail(s, err, "prepare endpoint lookup");
	sqlite3_bind_text(st, 1, container_id, -1, SQLITE_STATIC);
	int rc;
	size_t k = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*networks = xrealloc(*networks, (k + 2) * sizeof(char *));
		(*networks)[k++] = xstrdup((const char *)sqlite3_column_text(st, 0));
		(*networks)[k] = NULL;
	}
	return rc == SQLITE_DONE ? 0 : store_fail(s, err, "look up endpoints");
}

int pd_store_endpoint_drop_one(struct pd_store *s, const char *container_id, const char *network,
			       struct pd_err **err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(s->db, "DELETE FROM endpoints WHERE container_id = ? AND network = ?", -1, &st,
			       NULL) != SQLITE_OK)
		return store_fail(s, err, "prepare endpoint delete");
	sqlite3_bind_text(st, 1, container_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, network, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		return store_fail(s, err, "delete endpoint");
	return sqlite3_changes(s->db) > 0 ? 1 : 0;
}

void pd_store_conns_free(struct pd_store_conn *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(c[i].network);
		free(c[i].aliases);
	}
	free(c);
}

int pd_store_conn_add(struct pd_store *s, const char *container_id, struct pd_store_conn *c,
		      struct pd_err **err)
{
	/* The lowest ethN (N >= 1) none of its connections has. */
	_cleanup_stmt_ sqlite3_stmt *q = NULL, *st = NULL;
	if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM connections WHERE container_id = ?1 AND network = ?2",
			       -1, &q, NULL) != SQLITE_OK)
		return store_fail(s, err, "prepare connection lookup");
	sqlite3_bind_text(q, 1, container_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, c->network, -1, SQLITE_STATIC);
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "container %.12s is already connected to network %s", container_id,
				    c->network);
	if (rc != SQLITE_DONE)
		return store_fail(s, err, "look up connections");
	if (sqlite3_prepare_v2(
		s->db,
		"INSERT INTO connections (container_id, network, iface, ip_want, aliases)"
		" SELECT ?1, ?2, 'eth' || k, ?3, ?4 FROM (SELECT 1 AS k UNION"
		" SELECT CAST(substr(iface, 4) AS INTEGER) + 1 FROM connections"
		" WHERE container_id = ?1)"
		" WHERE 'eth' || k NOT IN (SELECT iface FROM connections WHERE container_id = ?1)"
		" ORDER BY k LIMIT 1 RETURNING iface",
		-1, &st, NULL) != SQLITE_OK)
		return store_fail(s, err, "prepare connection insert");
	sqlite3_bind_text(st, 1, container_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, c->network, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, c->ip_want, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, c->aliases ? c->aliases : "", -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		snprintf(c->iface, sizeof(c->iface), "%s", (const char *)sqlite3_column_text(st, 0));
		rc = sqlite3_step(st);
	}
	return rc == SQLITE_DONE ? 0 : store_fail(s, err, "record connection");
}

int pd_store_conns(struct pd_store *s, const char *container_id, struct pd_store_conn **out, size_t *n,
		   struct pd_err **err)
{
	*out = NULL;
	*n = 0;
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(
		s->db,
		"SELECT network, iface, ip_want, aliases FROM connections WHERE container_id = ?"
		" ORDER BY length(iface), iface",
		-1, &st, NULL) != SQLITE_OK)
		return store_fail(s, err, "prepare connection listing");
	sqlite3_bind_text(st, 1, container_id, -1, SQLITE_STATIC);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*out = xrealloc(*out, (*n + 1) * sizeof(**out));
		struct pd_store_conn *c = &(*out)[(*n)++];
		memset(c, 0, sizeof(*c));
		c->network = xstrdup((const char *)sqlite3_column_text(st, 0));
		snprintf(c->iface, sizeof(c->iface), "%s", (const char *)sqlite3_column_text(st, 1));
		snprintf(c->ip_want, sizeof(c->ip_want), "%s", (const char *)sqlite3_column_text(st, 2));
		c->aliases = xstrdup((const char *)sqlite3_column_text(st, 3));
	}
	if (rc != SQLITE_DONE) {
		pd_store_conns_free(*out, *n);
		*out = NULL;
		*n = 0;
		return store_fail(s, err, "list connections");
	}
	return 0;
}

int pd_store_conn_drop(struct pd_store *s, const char *container_id, const char *network, char iface[16],
		       struct pd_err **err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(
		s->db, "DELETE FROM connections WHERE container_id = ? AND network = ? RETURNING iface", -1,
		&st, NULL) != SQLITE_OK)
		return store_fail(s, err, "prepare connection delete");
	sqlite3_bind_text(st, 1, container_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, network, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st), found = 0;
	if (rc == SQLITE_ROW) {
		snprintf(iface, 16, "%s", (const char *)sqlite3_column_text(st, 0));
		found = 1;
		rc = sqlite3_step(st);
	}
	return rc == SQLITE_DONE ? found : store_fail(s, err, "delete connection");
}
