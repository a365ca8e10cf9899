/* `pocket-docker ps [-a] [-q] [-s] [-n N] [-l] [--no-trunc] [--filter
 * KEY=VALUE]... [--format json|table|TEMPLATE]`, in Docker's layout.  Every
 * record is checked against the live processes first, so a container that
 * died unseen is shown as exited, never as running.  Filters follow
 * Docker's rule: the same key given twice matches either value, different
 * keys must all match. */
#include <jansson.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "core/container.h"
#include "core/images.h"
#include "core/logs.h"
#include "core/network.h"
#include "core/query.h"
#include "util/cleanup.h"
#include "util/proc.h"
#include "util/str.h"
#include "util/template.h"
#include "util/xalloc.h"

/* ps's options: the shared flags first (their setters cast to them). */
struct ps_opts {
	struct cli_flags f;
	char **filters; /* "KEY=VALUE", checked */
	int64_t last;	/* -n / -l: the N newest, all states; -1: no limit */
	bool size;	/* -s */
};

static int set_quiet(void *o, const char *a, struct pd_err **err)
{
	((struct cli_flags *)o)->quiet = true;
	return 0;
}

static int set_no_trunc(void *o, const char *a, struct pd_err **err)
{
	((struct cli_flags *)o)->no_trunc = true;
	return 0;
}

static const char *const status_names[] = { "created", "restarting", "running", "removing",
					    "paused",  "exited",     "dead" };
static const char *const health_names[] = { "starting", "healthy", "unhealthy", "none" };

static bool is_one_of(const char *v, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v, names[i]))
			return true;
	return false;
}

/* --filter KEY=VALUE: the key known, the value well-formed where the
 * key's values are a fixed set. */
static int set_filter(void *o, const char *a, struct pd_err **err)
{
	static const char *const keys[] = { "status", "name",	  "id",	    "exited", "before",
					    "since",  "ancestor", "health", "label" };
	const char *eq = strchr(a, '=');
	_cleanup_free_ char *key = eq ? xstrndup(a, (size_t)(eq - a)) : xstrdup(a);
	if (!is_one_of(key, keys, ARRAY_SIZE(keys)))
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "invalid filter '%s'", key);
	if (!eq || (!eq[1] && strcmp(key, "label") != 0))
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "bad format of filter '%s' (expected KEY=VALUE)",
				    a);
	const char *v = eq + 1;
	uint64_t code;
	if ((!strcmp(key, "status") && !is_one_of(v, status_names, ARRAY_SIZE(status_names))) ||
	    (!strcmp(key, "health") && !is_one_of(v, health_names, ARRAY_SIZE(health_names))) ||
	    (!strcmp(key, "exited") && pd_parse_uint(v, 255, &code, pd_err_ignore(status)) < 0))
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "invalid value for filter '%s': '%s'", key, v);
	if (!strcmp(key, "name")) {
		regex_t re;
		if (regcomp(&re, v, REG_EXTENDED | REG_NOSUB) != 0)
			return pd_fail_kind(err, PD_ERR_USAGE, 0,
					    "invalid filter 'name=%s': a bad regular expression", v);
		regfree(&re);
	}
	strv_push(&((struct ps_opts *)o)->filters, a);
	return 0;
}

static int set_last(void *o, const char *a, struct pd_err **err)
{
	uint64_t n;
	/* Docker takes -n -1 as "no limit". */
	if (!strcmp(a, "-1")) {
		((struct ps_opts *)o)->last = -1;
		return 0;
	}
	if (pd_parse_uint(a, 1000000000, &n, err) < 0) {
		pd_err_prefix(err, "-n");
		return -1;
	}
	((struct ps_opts *)o)->last = (int64_t)n;
	return 0;
}

static int set_latest(void *o, const char *a, struct pd_err **err)
{
	((struct ps_opts *)o)->last = 1;
	return 0;
}

static int set_size(void *o, const char *a, struct pd_err **err)
{
	((struct ps_opts *)o)->size = true;
	return 0;
}

static const struct cli_opt ps_table[] = {
	{ "all", 'a', false, cli_flag_all, "show all containers (default: running only)" },
	{ "quiet", 'q', false, set_quiet, "only display container ids" },
	{ "no-trunc", 0, false, set_no_trunc, "do not truncate output" },
	{ "size", 's', false, set_size, "show the writable layer's size" },
	{ "last", 'n', true, set_last, "show the N newest containers (all states)" },
	{ "latest", 'l', false, set_latest, "show the newest container (all states)" },
	{ "filter", 'f', true, set_filter,
	  "KEY=VALUE: status, name, id, exited, before, since, ancestor, health, label" },
	{ "format", 0, true, cli_set_list_format,
	  "json, table, or a Go template ('table {{.ID}}\\t{{.Status}}')" },
	{ "help", 0, false, cli_flag_help, "show this help" },
	{ 0 },
};

/* The length of the longest start of `s` of at most `max` bytes that
 * ends on a whole UTF-8 character (a cut inside one would make the row
 * invalid UTF-8, which JSON cannot hold). */
static int utf8_prefix(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n <= max)
		return (int)n;
	n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return (int)n;
}

/* The command as Docker shows it: words joined by spaces, in quotes, with
 * control characters escaped (an image's command is not trusted: a newline
 * in it must not make a row of its own). */
static char *command_text(const char *json, bool no_trunc)
{
	json_t *a = json_loads(json ? json : "[]", 0, NULL);
	char **v = NULL;
	size_t i;
	json_t *w;
	json_array_foreach(a, i, w) strv_push(&v, json_string_value(w) ? json_string_value(w) : "");
	json_decref(a);
	_cleanup_free_ char *joined = v ? strv_join(v, " ") : xstrdup("");
	strv_free(v);
	_cleanup_free_ char *safe = str_escape(joined);
	if (!no_trunc && strlen(safe) > 20)
		return xasprintf("\"%.*s…\"", utf8_prefix(safe, 19), safe);
	return xasprintf("\"%s\"", safe);
}

/* " (healthy)" from the stored State.Health ({"Status": ..., ...}), as
 * Docker appends it. */
static const char *health_suffix(const struct pd_record *r)
{
	static const struct {
		const char *status, *suffix;
	} suffixes[] = {
		{ "healthy", " (healthy)" },
		{ "unhealthy", " (unhealthy)" },
		{ "starting", " (health: starting)" },
	};
	json_t *h = r->health ? json_loads(r->health, 0, NULL) : NULL;
	const char *status = json_string_value(json_object_get(h, "Status"));
	const char *suffix = "";
	for (size_t i = 0; status && i < ARRAY_SIZE(suffixes); i++)
		if (!strcmp(status, suffixes[i].status))
			suffix = suffixes[i].suffix;
	json_decref(h);
	return suffix;
}

static char *status_text(const struct pd_record *r, int64_t now)
{
	char d[64];
	switch (r->state) {
	case PD_STATE_CREATING:
	case PD_STATE_CREATED: return xstrdup("Created");
	case PD_STATE_RUNNING:
	case PD_STATE_STOPPING:
		cli_human_duration(now - r->started_ns, d, sizeof(d));
		return xasprintf("Up %s%s", d, r->paused ? " (Paused)" : health_suffix(r));
	case PD_STATE_RESTARTING:
		cli_human_duration(now - r->finished_ns, d, sizeof(d));
		return xasprintf("Restarting (%d) %s ago", r->exit_code, d);
	case PD_STATE_EXITED:
		if (!r->started_ns)
			return xasprintf("Exited (%d)", r->exit_code);
		cli_human_duration(now - r->finished_ns, d, sizeof(d));
		return xasprintf("Exited (%d) %s ago%s", r->exit_code, d,
				 r->oom_killed ? " (OOMKilled)" : "");
	}
	return xstrdup("Unknown");
}

static void print_json(const struct pd_record *r, const char *cmd, const char *status, const char *created,
		       const char *ports)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "ID", r->id, "Names", r->name,
			      "Image", r->image, "Command", cmd, "CreatedAt", created, "Status", status,
			      "State", pd_record_state_name(r), "Ports", ports);
	char *s = json_dumps(o, JSON_COMPACT);
	printf("%s\n", s);
	free(s);
	json_decref(o);
}

/* What one listing needs beyond the records: the clock, the published
 * ports, and for -s the image sizes. */
struct ps_ctx {
	const char *root;
	const struct ps_opts *o;
	int64_t now;
	struct pd_ports_table ports;
};

/* Go's time.Time.String() of a creation time, as `docker ps` shows
 * CreatedAt: "2024-05-01 10:00:00 +0000 UTC". */
static void go_time(int64_t ns, char *buf, size_t len)
{
	time_t t = (time_t)(ns / 1000000000LL);
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M:%S %z %Z", &tm);
}

/* ps -s: "2B (virtual 4.3MB)": the writable layer, and with the image's
 * size when the container came from an image. */
static char *size_text(const struct ps_ctx *c, const struct pd_record *r, const struct pd_config *cfg)
{
	uint64_t upper = 0;
	char a[32], b[32];
	/* A layer that cannot be read shows as empty rather than failing
	 * the whole listing. */
	pd_container_upper_size(c->root, r->id, &upper, pd_err_ignore(optional));
	pd_format_size(upper, PD_SIZE_SHORT, a, sizeof(a));
	struct pd_image img;
	if (!cfg || !cfg->image_id ||
	    pd_image_find(c->root, cfg->image_id, &img, pd_err_ignore(optional)) != 0)
		return xstrdup(a);
	pd_format_size(upper + img.rec.size, PD_SIZE_SHORT, b, sizeof(b));
	pd_image_free(&img);
	return xasprintf("%s (virtual %s)", a, b);
}

/* The field Docker calls Mounts: the bind sources, comma-separated. */
static char *mounts_text(json_t *conf, bool no_trunc)
{
	char **v = NULL;
	size_t i;
	json_t *b;
	json_array_foreach(json_object_get(conf, "Binds"), i, b)
	{
		const char *bind = json_string_value(b);
		if (!bind)
			continue;
		const char *colon = strchr(bind, ':');
		_cleanup_free_ char *raw = colon ? xstrndup(bind, (size_t)(colon - bind)) : xstrdup(bind);
		_cleanup_free_ char *src = str_escape(raw);
		if (!no_trunc && strlen(src) > 15)
			strv_push_take(&v, xasprintf("%.*s…", utf8_prefix(src, 14), src));
		else
			strv_push(&v, src);
	}
	char *out = v ? strv_join(v, ",") : xstrdup("");
	strv_free(v);
	return out;
}

/* The object a --format template sees for one container: the fields of
 * `docker ps`'s, by their names. */
static json_t *row_json(const struct ps_ctx *c, const struct pd_record *r, const char *ports)
{
	const struct cli_flags *f = &c->o->f;
	struct pd_config cfg;
	/* A record whose config cannot be read shows no mounts, network or
	 * image size rather than failing the listing. */
	bool ok = pd_record_config(r, &cfg, pd_err_ignore(optional)) == 0;
	json_t *conf = ok ? pd_config_json(&cfg) : json_object();
	_cleanup_free_ char *cmd = command_text(r->command, f->no_trunc);
	_cleanup_free_ char *status = status_text(r, c->now);
	_cleanup_free_ char *mounts = mounts_text(conf, f->no_trunc);
	_cleanup_free_ char *size = c->o->size ? size_text(c, r, ok ? &cfg : NULL) : xstrdup("0B");
	char ago[64], created[96], at[96], id[65];
	cli_human_duration(c->now - r->created_ns, ago, sizeof(ago));
	snprintf(created, sizeof(created), "%s ago", ago);
	go_time(r->created_ns, at, sizeof(at));
	snprintf(id, sizeof(id), "%.*s", f->no_trunc ? 64 : 12, r->id);
	const char *net = json_string_value(json_object_get(conf, "NetworkMode"));
	_cleanup_free_ char *joined = ok && cfg.labels ? strv_join(cfg.labels, ",") : xstrdup("");
	/* Every text a user or an image chose is escaped: valid UTF-8 (which
	 * JSON needs), no control characters. */
	_cleanup_free_ char *labels = str_escape(joined);
	_cleanup_free_ char *image = str_escape(r->image ? r->image : "");
	/* Keys in sorted order: `{{json .}}` prints them as Docker does. */
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
			      "Command", cmd, "CreatedAt", at, "ID", id, "Image", image, "Labels", labels,
			      "LocalVolumes", "0", "Mounts", mounts, "Names", r->name ? r->name : "",
			      "Networks", net ? net : "", "Ports", ports ? ports : "", "RunningFor", created,
			      "Size", size, "State", pd_record_state_name(r), "Status", status);
	json_decref(conf);
	pd_config_free(&cfg);
	return o;
}

/* The column titles Docker gives those fields in a `table` format. */
static json_t *header_json(void)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "Command",
			 "COMMAND", "CreatedAt", "CREATED AT", "ID", "CONTAINER ID", "Image", "IMAGE",
			 "Labels", "LABELS", "LocalVolumes", "LOCAL VOLUMES", "Mounts", "MOUNTS", "Names",
			 "NAMES", "Networks", "NETWORKS", "Ports", "PORTS", "RunningFor", "CREATED", "Size",
			 "SIZE", "State", "STATE", "Status", "STATUS");
}

static void print_row(struct cli_table *t, const struct ps_ctx *c, const struct pd_record *r,
		      const char *ports)
{
	const struct cli_flags *f = &c->o->f;
	if (f->quiet) {
		printf("%.*s\n", f->no_trunc ? 64 : 12, r->id);
		return;
	}
	_cleanup_free_ char *cmd = command_text(r->command, f->no_trunc || f->json);
	_cleanup_free_ char *status = status_text(r, c->now);
	char ago[64], created[96];
	cli_human_duration(c->now - r->created_ns, ago, sizeof(ago));
	snprintf(created, sizeof(created), "%s ago", ago);
	if (f->json) {
		char ts[64];
		pd_format_time(r->created_ns, ts, sizeof(ts));
		print_json(r, cmd, status, ts, ports);
		return;
	}
	char id[65];
	snprintf(id, sizeof(id), "%.*s", f->no_trunc ? 64 : 12, r->id);
	_cleanup_free_ char *size = NULL;
	if (c->o->size) {
		struct pd_config cfg;
		bool ok = pd_record_config(r, &cfg, pd_err_ignore(optional)) == 0;
		size = size_text(c, r, ok ? &cfg : NULL);
		pd_config_free(&cfg);
	}
	const char *row[] = { id, r->image, cmd, created, status, ports, r->name, size };
	cli_table_add(t, row);
}

/* ------------------------------------------------------------------ */
/* Filters. */

/* The value of a KEY=VALUE filter when its key is `key`. */
static const char *filter_value(const char *filter, const char *key)
{
	size_t n = strlen(key);
	return !strncmp(filter, key, n) && filter[n] == '=' ? filter + n + 1 : NULL;
}

static bool has_filter(char *const *filters, const char *key)
{
	for (size_t i = 0; filters && filters[i]; i++)
		if (filter_value(filters[i], key))
			return true;
	return false;
}

static const char *health_status(const struct pd_record *r)
{
	json_t *h = r->health ? json_loads(r->health, 0, NULL) : NULL;
	const char *s = json_string_value(json_object_get(h, "Status"));
	static const char *const known[] = { "starting", "healthy", "unhealthy" };
	const char *out = "none";
	for (size_t i = 0; s && i < ARRAY_SIZE(known); i++)
		if (!strcmp(s, known[i]))
			out = known[i];
	json_decref(h);
	return out;
}

/* name=REGEX, matched as Docker does against the name with and without
 * its leading "/". */
static bool name_matches(const char *re_text, const char *name)
{
	regex_t re;
	if (regcomp(&re, re_text, REG_EXTENDED | REG_NOSUB) != 0)
		return false;
	_cleanup_free_ char *slashed = xasprintf("/%s", name ? name : "");
	bool m = regexec(&re, slashed + 1, 0, NULL, 0) == 0 || regexec(&re, slashed, 0, NULL, 0) == 0;
	regfree(&re);
	return m;
}

/* The record a before=/since= filter names, among all of them: full id,
 * name, or a unique id prefix. */
static const struct pd_record *find_ref(const struct pd_record *v, size_t n, const char *ref)
{
	const struct pd_record *hit = NULL;
	size_t hits = 0, len = strlen(ref);
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(v[i].id, ref) || (v[i].name && !strcmp(v[i].name, ref)))
			return &v[i];
		if (!strncmp(v[i].id, ref, len))
			hit = &v[i], hits++;
	}
	return hits == 1 ? hit : NULL;
}

/* ancestor=IMAGE: the name the container was run from, or the image that
 * name or id finds (so busybox, busybox:latest and the id all match). */
static bool ancestor_matches(const char *root, const char *image, const struct pd_record *r)
{
	if (r->image && !strcmp(r->image, image))
		return true;
	struct pd_image img;
	if (pd_image_find(root, image, &img, pd_err_ignore(status)) != 0)
		return false;
	struct pd_config cfg;
	bool m = pd_record_config(r, &cfg, pd_err_ignore(status)) == 0 && cfg.image_id &&
		 !strcmp(cfg.image_id, img.rec.id);
	pd_config_free(&cfg);
	pd_image_free(&img);
	return m;
}

/* label=KEY: the container has the label; label=KEY=VALUE: with that
 * value.  A record whose config cannot be read has no labels. */
static bool label_matches(const char *spec, const struct pd_record *r)
{
	struct pd_config cfg;
	bool ok = pd_record_config(r, &cfg, pd_err_ignore(optional)) == 0;
	const char *eq = strchr(spec, '=');
	_cleanup_free_ char *key = eq ? xstrndup(spec, (size_t)(eq - spec)) : xstrdup(spec);
	const char *have = pd_label_get(cfg.labels, key);
	bool m = ok && have && (!eq || !strcmp(have, eq + 1));
	pd_config_free(&cfg);
	return m;
}

/* Whether one filter holds for r; -1 with *err when it names a container
 * that does not exist. */
static int filter_matches(const char *root, const char *filter, const struct pd_record *r,
			  const struct pd_record *all, size_t n, struct pd_err **err)
{
	const char *eq = strchr(filter, '=');
	const char *v = eq + 1;
	size_t klen = (size_t)(eq - filter);
#define KEY(k) (klen == strlen(k) && !strncmp(filter, k, klen))
	if (KEY("status"))
		return !strcmp(v, pd_record_state_name(r));
	if (KEY("name"))
		return name_matches(v, r->name);
	if (KEY("id"))
		return str_has_prefix(r->id, v);
	if (KEY("exited"))
		return r->state == PD_STATE_EXITED && r->exit_code == atoi(v);
	if (KEY("health"))
		return !strcmp(v, health_status(r));
	if (KEY("ancestor"))
		return ancestor_matches(root, v, r);
	if (KEY("before") || KEY("since")) {
		const struct pd_record *ref = find_ref(all, n, v);
		if (!ref)
			return pd_fail_kind(err, PD_ERR_USAGE, 0, "no such container: %s", v);
		return KEY("before") ? r->created_ns < ref->created_ns : r->created_ns > ref->created_ns;
	}
	return label_matches(v, r);
#undef KEY
}

/* Docker's rule: the filters of one key match when any does (label
 * filters: when all do); every key must match.  1, 0, or -1 with *err. */
static int record_selected(const char *root, char *const *filters, const struct pd_record *r,
			   const struct pd_record *all, size_t n, struct pd_err **err)
{
	for (size_t i = 0; filters && filters[i]; i++) {
		size_t klen = (size_t)(strchr(filters[i], '=') - filters[i]);
		/* Labels are the exception: each label filter must hold. */
		if (filter_value(filters[i], "label")) {
			int m = filter_matches(root, filters[i], r, all, n, err);
			if (m <= 0)
				return m;
			continue;
		}
		bool seen = false, any = false;
		/* Each key once: at its first filter. */
		for (size_t j = 0; j < i && !seen; j++)
			seen = !strncmp(filters[j], filters[i], klen + 1);
		if (seen)
			continue;
		for (size_t j = i; filters[j] && !any; j++) {
			if (strncmp(filters[j], filters[i], klen + 1) != 0)
				continue;
			int m = filter_matches(root, filters[j], r, all, n, err);
			if (m < 0)
				return -1;
			any = m;
		}
		if (!any)
			return 0;
	}
	return 1;
}

/* Keep the records ps shows, in place: the filters', then without -a
 * (and without a status filter or a limit, as Docker) the not exited
 * ones, then the newest o->last. */
static int select_records(const char *root, const struct ps_opts *o, struct pd_record *v, size_t *n,
			  struct pd_err **err)
{
	bool all = o->f.all || o->last >= 0 || has_filter(o->filters, "status");
	bool *keep = xcalloc(*n ? *n : 1, sizeof(bool));
	size_t kept = 0;
	for (size_t i = 0; i < *n; i++) {
		if (!all && pd_state_is_stopped(v[i].state))
			continue;
		if (o->last >= 0 && kept >= (size_t)o->last)
			break;
		int m = record_selected(root, o->filters, &v[i], v, *n, err);
		if (m < 0) {
			free(keep);
			return -1;
		}
		keep[i] = m;
		kept += (size_t)m;
	}
	size_t out = 0;
	for (size_t i = 0; i < *n; i++) {
		if (!keep[i]) {
			pd_record_free(&v[i]);
			continue;
		}
		struct pd_record tmp = v[i];
		v[i] = (struct pd_record){ 0 };
		v[out++] = tmp;
	}
	free(keep);
	*n = out;
	return 0;
}

static int print_template(const struct ps_ctx *c, const struct pd_record *v, size_t n, struct pd_err **err)
{
	struct pd_tmpl_list l;
	if (cli_tmpl_init(&l, c->o->f.format, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *ports = pd_network_ports_lookup(&c->ports, v[i].id);
		json_t *row = row_json(c, &v[i], ports);
		if (cli_tmpl_add(&l, row, err) < 0)
			return -1;
	}
	json_t *head = header_json();
	return cli_tmpl_print(&l, head, err);
}

static int ps_main(const struct cli_global *g, struct ps_opts *o, char **pos, struct pd_err **err)
{
	if (pos[0])
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "ps takes no arguments");
	_cleanup_free_ char *root = pd_state_root(g->root, err);
	if (!root)
		return -1;
	struct pd_record *v = NULL;
	size_t n = 0;
	struct ps_ctx c = { .root = root, .o = o };
	const struct cli_flags *f = &o->f;
	if (pd_container_list(root, PD_LIST_ALL, f->quiet ? NULL : &c.ports, &v, &n, err) < 0)
		return -1;
	int ret = select_records(root, o, v, &n, err);
	c.now = pd_now_ns();
	if (ret == 0 && f->format && !f->quiet) {
		ret = print_template(&c, v, n, err);
	} else if (ret == 0) {
		struct cli_table t;
		cli_table_init(&t, o->size ? 8 : 7);
		static const char *const head[] = { "CONTAINER ID", "IMAGE", "COMMAND", "CREATED",
						    "STATUS",	    "PORTS", "NAMES",	"SIZE" };
		cli_table_add(&t, head);
		for (size_t i = 0; i < n; i++) {
			_cleanup_free_ char *ports =
			    f->quiet ? NULL : pd_network_ports_lookup(&c.ports, v[i].id);
			print_row(&t, &c, &v[i], ports);
		}
		if (!f->quiet && !f->json)
			cli_table_print(&t);
		else
			cli_table_free(&t);
	}
	pd_network_ports_free(&c.ports);
	pd_records_free(v, n);
	return ret;
}

int cli_ps(const struct cli_global *g, int argc, char **argv)
{
	struct ps_opts o = { .last = -1 };
	_cleanup_strv_ char **pos = NULL;
	_cleanup_err_ struct pd_err *err = NULL;
	int code = 0;
	if (cli_parse_flags(ps_table, &o.f, argc, argv, &pos,
			    "Usage: pocket-docker ps [OPTIONS]\n\nList containers.") < 0)
		code = CLI_EXIT_USAGE;
	else if (!o.f.help && ps_main(g, &o, pos, &err) < 0)
		code = cli_fail(err);
	strv_free(o.filters);
	cli_flags_free(&o.f);
	return code;
}
