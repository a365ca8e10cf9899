/* Read-only container queries for the CLI (see query.h): the store is
 * opened, read and closed here, and cgroups are read here, so the commands
 * never touch either. */
#include "core/query.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/container.h"
#include "core/usage.h"
#include "linux/cgroup.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/str.h"
#include "util/xalloc.h"

/* r->paused from the freezer of a running container's cgroup: only a live
 * record is read (ps over many exited records reads no cgroup), and a
 * group that cannot be read counts as not frozen. */
static void mark_paused(struct pd_record *r)
{
	r->paused = false;
	if (r->state != PD_STATE_RUNNING && r->state != PD_STATE_STOPPING)
		return;
	struct pd_cgroup *cg = pd_cg_open(r->id, pd_record_rootless(r), pd_err_ignore(optional));
	if (!cg)
		return;
	bool frozen = false;
	if (pd_cg_is_frozen(cg, &frozen, pd_err_ignore(optional)) == 0)
		r->paused = frozen;
	pd_cg_free(cg);
}

const char *pd_record_state_name(const struct pd_record *r)
{
	return r->paused ? "paused" : pd_state_name(r->state);
}

int pd_container_lookup(const char *root, const char *ref, struct pd_record *out, struct pd_err **err)
{
	_cleanup_store_ struct pd_store *s = pd_store_open(root, err);
	if (!s)
		return -1;
	if (pd_store_find(s, ref, out, err) < 0)
		return -1;
	pd_container_refresh(s, out);
	mark_paused(out);
	return 0;
}

int pd_container_lookup_each(const char *root, char **refs, bool network, struct pd_found **out, size_t *n,
			     struct pd_err **err)
{
	_cleanup_store_ struct pd_store *s = pd_store_open(root, err);
	if (!s)
		return -1;
	size_t count = strv_len(refs);
	struct pd_found *v = xcalloc(count ? count : 1, sizeof(*v));
	for (size_t i = 0; i < count; i++) {
		if (pd_store_find(s, refs[i], &v[i].rec, &v[i].err) < 0)
			continue;
		pd_container_refresh(s, &v[i].rec);
		mark_paused(&v[i].rec);
		if (network)
			v[i].network = pd_network_settings_json(s, v[i].rec.id);
	}
	*out = v;
	*n = count;
	return 0;
}

void pd_found_free(struct pd_found *v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++) {
		if (v[i].err)
			pd_err_free(v[i].err);
		else
			pd_record_free(&v[i].rec);
		json_decref(v[i].network);
	}
	free(v);
}

static bool selected(const struct pd_record *r, enum pd_list_filter which)
{
	switch (which) {
	case PD_LIST_ALL: return true;
	case PD_LIST_NOT_EXITED: return !pd_state_is_stopped(r->state);
	case PD_LIST_RUNNING: return r->state == PD_STATE_RUNNING || r->state == PD_STATE_STOPPING;
	}
	return false;
}

int pd_container_list(const char *root, enum pd_list_filter which, struct pd_ports_table *ports,
		      struct pd_record **out, size_t *n, struct pd_err **err)
{
	_cleanup_store_ struct pd_store *s = pd_store_open(root, err);
	if (!s)
		return -1;
	struct pd_record *v = NULL;
	size_t nv = 0;
	if (pd_store_list(s, &v, &nv, err) < 0)
		return -1;
	if (ports)
		pd_network_ports_load(s, ports);
	size_t kept = 0;
	for (size_t i = 0; i < nv; i++) {
		pd_container_refresh(s, &v[i]);
		if (!selected(&v[i], which)) {
			pd_record_free(&v[i]);
			continue;
		}
		mark_paused(&v[i]);
		if (kept != i)
			v[kept] = v[i];
		kept++;
	}
	*out = v;
	*n = kept;
	return 0;
}

int pd_record_config(const struct pd_record *r, struct pd_config *out, struct pd_err **err)
{
	if (pd_config_decode(r->config, out, err) < 0) {
		pd_err_prefix(err, "container %.12s", r->id);
		return -1;
	}
	snprintf(out->id, sizeof(out->id), "%s", r->id);
	free(out->name);
	out->name = r->name ? xstrdup(r->name) : NULL;
	return 0;
}

bool pd_record_rootless(const struct pd_record *r)
{
	struct pd_config c;
	/* A record that cannot be read counts as not rootless, as one
	 * without the key does. */
	bool rootless = pd_config_decode(r->config, &c, pd_err_ignore(status)) == 0 && c.rootless;
	pd_config_free(&c);
	return rootless;
}

int pd_container_stats(const char *id, bool rootless, struct pd_container_stats *out, struct pd_err **err)
{
	struct pd_cgroup *cg = pd_cg_open(id, rootless, err);
	if (!cg)
		return -1;
	struct pd_cg_stats st;
	int ret = pd_cg_stats(cg, &st, err);
	pd_cg_free(cg);
	if (ret < 0)
		return -1;
	*out = (struct pd_container_stats){
		.cpu_usage_ns = st.cpu_usage_ns,
		.mem_usage = st.mem_usage,
		.mem_limit = st.mem_limit,
		.pids = st.pids,
	};
	return 0;
}

int pd_container_check_limits(const struct pd_limits *l, struct pd_err **err)
{
	return pd_cg_check_limits(l, err);
}

int pd_container_upper_size(const char *root, const char *id, uint64_t *out, struct pd_err **err)
{
	_cleanup_free_ char *upper = xasprintf("%s/containers/%s/upper", root, id);
	if (pd_tree_size(upper, out, err) < 0) {
		pd_err_prefix(err, "read the writable layer of container %.12s", id);
		return -1;
	}
	return 0;
}
