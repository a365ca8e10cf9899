/* `pocket-docker ps [-a] [-q] [--no-trunc] [--format json]`, in Docker's
 * layout.  Every record is checked against the live processes first, so a
 * container that died unseen is shown as exited, never as running. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/container.h"
#include "core/logs.h"
#include "core/network.h"
#include "core/query.h"
#include "util/cleanup.h"
#include "util/proc.h"
#include "util/str.h"
#include "util/xalloc.h"

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

static int set_format(void *o, const char *a, struct pd_err **err)
{
	if (strcmp(a, "json") != 0 && strcmp(a, "{{json .}}") != 0 && strcmp(a, "table") != 0)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "unsupported format '%s' (use 'json' or 'table')",
				    a);
	((struct cli_flags *)o)->json = strcmp(a, "table") != 0;
	return 0;
}

static const struct cli_opt ps_table[] = {
	{ "all", 'a', false, cli_flag_all, "show all containers (default: running only)" },
	{ "quiet", 'q', false, set_quiet, "only display container ids" },
	{ "no-trunc", 0, false, set_no_trunc, "do not truncate output" },
	{ "format", 0, true, set_format, "json: one JSON object per line" },
	{ "help", 0, false, cli_flag_help, "show this help" },
	{ 0 },
};

/* The command as Docker shows it: words joined by spaces, in quotes. */
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
	if (!no_trunc && strlen(joined) > 20)
		return xasprintf("\"%.19s…\"", joined);
	return xasprintf("\"%s\"", joined);
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
	case PD_STATE_CREATING: return xstrdup("Created");
	case PD_STATE_RUNNING:
	case PD_STATE_STOPPING:
		cli_human_duration(now - r->started_ns, d, sizeof(d));
		return xasprintf("Up %s%s", d, health_suffix(r));
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
			      "State", pd_state_name(r->state), "Ports", ports);
	char *s = json_dumps(o, JSON_COMPACT);
	printf("%s\n", s);
	free(s);
	json_decref(o);
}

static void print_row(struct cli_table *t, const struct pd_record *r, const struct cli_flags *f, int64_t now,
		      const char *ports)
{
	if (f->quiet) {
		printf("%.*s\n", f->no_trunc ? 64 : 12, r->id);
		return;
	}
	_cleanup_free_ char *cmd = command_text(r->command, f->no_trunc || f->json);
	_cleanup_free_ char *status = status_text(r, now);
	char ago[64], created[96];
	cli_human_duration(now - r->created_ns, ago, sizeof(ago));
	snprintf(created, sizeof(created), "%s ago", ago);
	if (f->json) {
		char ts[64];
		pd_format_time(r->created_ns, ts, sizeof(ts));
		print_json(r, cmd, status, ts, ports);
		return;
	}
	char id[65];
	snprintf(id, sizeof(id), "%.*s", f->no_trunc ? 64 : 12, r->id);
	const char *row[] = { id, r->image, cmd, created, status, ports, r->name };
	cli_table_add(t, row);
}

int cli_ps(const struct cli_global *g, int argc, char **argv)
{
	struct cli_flags f = { 0 };
	_cleanup_strv_ char **pos = NULL;
	_cleanup_err_ struct pd_err *err = NULL;
	if (cli_parse_flags(ps_table, &f, argc, argv, &pos,
			    "Usage: pocket-docker ps [OPTIONS]\n\nList containers.") < 0)
		return CLI_EXIT_USAGE;
	if (f.help)
		return 0;
	if (pos[0])
		return cli_usage_error("ps takes no arguments");
	_cleanup_free_ char *root = pd_state_root(g->root, &err);
	if (!root)
		return cli_fail(err);
	struct pd_record *v = NULL;
	size_t n = 0;
	struct pd_ports_table ports_table = { 0 };
	if (pd_container_list(root, f.all ? PD_LIST_ALL : PD_LIST_NOT_EXITED, f.quiet ? NULL : &ports_table,
			      &v, &n, &err) < 0)
		return cli_fail(err);
	int64_t now = pd_now_ns();
	struct cli_table t;
	cli_table_init(&t, 7);
	static const char *const head[] = { "CONTAINER ID", "IMAGE", "COMMAND", "CREATED",
					    "STATUS",	    "PORTS", "NAMES" };
	cli_table_add(&t, head);
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *ports = f.quiet ? NULL : pd_network_ports_lookup(&ports_table, v[i].id);
		print_row(&t, &v[i], &f, now, ports);
	}
	pd_network_ports_free(&ports_table);
	if (!f.quiet && !f.json)
		cli_table_print(&t);
	else
		cli_table_free(&t);
	pd_records_free(v, n);
	cli_flags_free(&f);
	return 0;
}
