/* `pocket-docker inspect [--format TEMPLATE] CONTAINER...` (a JSON array in
 * Docker's shape, or the template rendered once per container, a line
 * each) and `pocket-docker wait CONTAINER...` (prints each exit code). */
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
#include "util/template.h"
#include "util/xalloc.h"

static const struct cli_opt help_only[] = {
	{ "help", 0, false, cli_flag_help, "show this help" },
	{ 0 },
};

static int set_format(void *o, const char *a, struct pd_err **err)
{
	struct cli_flags *f = o;
	free(f->format);
	f->format = xstrdup(a);
	return 0;
}

static const struct cli_opt inspect_table[] = {
	{ "format", 'f', true, set_format, "a Go template rendered for each container ('{{.State.Pid}}')" },
	{ "help", 0, false, cli_flag_help, "show this help" },
	{ 0 },
};

static json_t *time_json(int64_t ns)
{
	if (!ns)
		return json_string("0001-01-01T00:00:00Z");
	char ts[64];
	pd_format_time(ns, ts, sizeof(ts));
	return json_string(ts);
}

static json_t *state_json(const struct pd_record *r)
{
	bool running = r->state == PD_STATE_RUNNING || r->state == PD_STATE_STOPPING;
	json_t *st = json_object();
	json_object_set_new(st, "Status", json_string(pd_record_state_name(r)));
	json_object_set_new(st, "Running", json_boolean(running));
	json_object_set_new(st, "Paused", json_boolean(r->paused));
	json_object_set_new(st, "Restarting", json_boolean(r->state == PD_STATE_RESTARTING));
	json_object_set_new(st, "OOMKilled", json_boolean(r->oom_killed));
	json_object_set_new(st, "Dead", json_false());
	json_object_set_new(st, "Pid", json_integer(running ? r->pid : 0));
	json_object_set_new(st, "ExitCode", json_integer(r->exit_code < 0 ? 0 : r->exit_code));
	json_object_set_new(st, "Error", json_string(r->error ? r->error : ""));
	json_object_set_new(st, "StartedAt", time_json(r->started_ns));
	json_object_set_new(st, "FinishedAt", time_json(r->finished_ns));
	if (r->health) {
		json_t *h = json_loads(r->health, 0, NULL);
		if (h)
			json_object_set_new(st, "Health", h);
	}
	return st;
}

/* Keys of the config's JSON shown, when the container has them, in
 * Docker's Config and HostConfig. */
static const char *const config_extra[] = { "StopTimeout", "ExposedPorts", NULL };
static const char *const host_extra[] = { "Ulimits", "GroupAdd", "OomScoreAdj", "ContainerIDFile", "ShmSize",
					  "PidMode", "IpcMode",	 "UTSMode",	"PublishAllPorts", NULL };

static void copy_keys(json_t *to, json_t *from, const char *const *keys)
{
	for (size_t i = 0; keys[i]; i++) {
		json_t *v = json_object_get(from, keys[i]);
		if (v)
			json_object_set(to, keys[i], v);
	}
}

static json_t *record_json(const char *root, const struct pd_record *r)
{
	struct pd_config cfg;
	/* A record that cannot be read shows with an empty Config and
	 * HostConfig rather than not at all. */
	bool ok = pd_record_config(r, &cfg, pd_err_ignore(status)) == 0;
	json_t *conf = ok ? pd_config_json(&cfg) : json_object();
	char *const *argv = ok ? cfg.argv : NULL;
	json_t *args = json_array();
	for (size_t i = 1; argv && argv[0] && argv[i]; i++)
		json_array_append_new(args, json_string(argv[i]));
	json_t *o = json_object();
	_cleanup_free_ char *name = xasprintf("/%s", r->name);
	_cleanup_free_ char *log = pd_log_path(root, r->id);
	json_object_set_new(o, "Id", json_string(r->id));
	json_object_set_new(o, "Created", time_json(r->created_ns));
	json_object_set_new(o, "Path", json_string(argv && argv[0] ? argv[0] : ""));
	json_object_set_new(o, "Args", args);
	json_object_set_new(o, "State", state_json(r));
	json_object_set_new(o, "Image", json_string(r->image));
	json_object_set_new(o, "LogPath", json_string(log));
	json_object_set_new(o, "Name", json_string(name));
	json_object_set_new(o, "RestartCount", json_integer(r->restart_count));
	/* Docker's Config and HostConfig: the keys of the config's JSON that
	 * Docker shows there. */
	json_t *config =
	    json_pack("{s:O, s:O, s:O, s:O, s:O, s:O, s:O}", "Hostname", json_object_get(conf, "Hostname"),
		      "User", json_object_get(conf, "User"), "Env", json_object_get(conf, "Env"), "Cmd",
		      json_object_get(conf, "Cmd"), "Image", json_object_get(conf, "Image"), "WorkingDir",
		      json_object_get(conf, "WorkingDir"), "OpenStdin", json_object_get(conf, "OpenStdin"));
	json_t *host = json_pack(
	    "{s:O, s:O, s:O, s:O, s:O}", "Binds", json_object_get(conf, "Binds"), "AutoRemove",
	    json_object_get(conf, "AutoRemove"), "Init", json_object_get(conf, "Init"), "RestartPolicy",
	    json_object_get(conf, "RestartPolicy"), "Resources", json_object_get(conf, "Resources"));
	if (config) {
		json_t *labels = json_object_get(conf, "Labels");
		json_object_set_new(config, "Labels", labels ? json_incref(labels) : json_object());
		copy_keys(config, conf, config_extra);
	}
	json_object_set_new(o, "Config", config ? config : json_object());
	if (host) {
		json_object_set(host, "NetworkMode", json_object_get(conf, "NetworkMode"));
		json_object_set(host, "LogConfig", json_object_get(conf, "LogConfig"));
		copy_keys(host, conf, host_extra);
		/* Docker's Sysctls: an object of KEY: VALUE. */
		json_t *sysctls = json_object_get(conf, "Sysctls"), *kv;
		size_t i;
		if (sysctls) {
			json_t *m = json_object();
			json_array_foreach(sysctls, i, kv)
			{
				const char *t = json_string_value(kv), *eq = t ? strchr(t, '=') : NULL;
				if (eq)
					json_object_setn_new(m, t, (size_t)(eq - t), json_string(eq + 1));
			}
			json_object_set_new(host, "Sysctls", m);
		}
		/* Docker shows the size /dev/shm has, 64 MiB when not given. */
		if (!json_object_get(host, "ShmSize"))
			json_object_set_new(host, "ShmSize", json_integer(64LL << 20));
	}
	json_object_set_new(o, "HostConfig", host ? host : json_object());
	json_decref(conf);
	pd_config_free(&cfg);
	return o;
}

/* Each object through the template, a line each, as `docker inspect
 * --format` prints them; stops at the first that fails to render. */
static int print_formatted(const struct pd_tmpl *t, json_t *out, struct pd_err **err)
{
	size_t i;
	json_t *o;
	json_array_foreach(out, i, o)
	{
		size_t n;
		_cleanup_free_ char *s = pd_tmpl_render(t, o, PD_TMPL_SAFE, &n, err);
		if (!s) {
			pd_err_prefix(err, "--format");
			return -1;
		}
		fwrite(s, 1, n, stdout);
		putchar('\n');
	}
	return 0;
}

int cli_inspect(const struct cli_global *g, int argc, char **argv)
{
	struct cli_flags f = { 0 };
	_cleanup_strv_ char **pos = NULL;
	_cleanup_err_ struct pd_err *err = NULL;
	if (cli_parse_flags(
		inspect_table, &f, argc, argv, &pos,
		"Usage: pocket-docker inspect [OPTIONS] CONTAINER...\n\nShow containers' records as JSON.") <
	    0) {
		cli_flags_free(&f);
		return CLI_EXIT_USAGE;
	}
	/* The template is checked before any lookup: a typo in it is one
	 * usage error, whatever the containers. */
	bool formatted = f.format != NULL;
	struct pd_tmpl *t = formatted ? pd_tmpl_parse(f.format, &err) : NULL;
	cli_flags_free(&f);
	if (formatted && !t) {
		pd_err_prefix(&err, "--format");
		return cli_fail(err);
	}
	if (f.help || !pos[0]) {
		pd_tmpl_free(t);
		return f.help ? 0 : cli_usage_error("inspect needs at least one container");
	}
	_cleanup_free_ char *root = pd_state_root(g->root, &err);
	if (!root) {
		pd_tmpl_free(t);
		return cli_fail(err);
	}
	struct pd_found *found = NULL;
	size_t n = 0;
	if (pd_container_lookup_each(root, pos, true, &found, &n, &err) < 0) {
		pd_tmpl_free(t);
		return cli_fail(err);
	}
	json_t *out = json_array();
	int ret = 0;
	for (size_t i = 0; i < n; i++) {
		if (found[i].err) {
			ret = cli_fail(found[i].err);
			continue;
		}
		json_t *rec = record_json(root, &found[i].rec);
		json_object_set_new(rec, "NetworkSettings", take_ptr(&found[i].network));
		json_array_append_new(out, rec);
	}
	pd_found_free(found, n);
	if (t) {
		if (print_formatted(t, out, &err) < 0)
			ret = cli_fail(err);
	} else {
		char *text = json_dumps(out, JSON_INDENT(4));
		printf("%s\n", text);
		free(text);
	}
	pd_tmpl_free(t);
	json_decref(out);
	return ret;
}

int cli_wait(const struct cli_global *g, int argc, char **argv)
{
	struct cli_flags f = { 0 };
	_cleanup_strv_ char **pos = NULL;
	_cleanup_err_ struct pd_err *err = NULL;
	if (cli_parse_flags(
		help_only, &f, argc, argv, &pos,
		"Usage: pocket-docker wait CONTAINER...\n\nBlock until containers stop; print exit codes.") <
	    0)
		return CLI_EXIT_USAGE;
	if (f.help)
		return 0;
	if (!pos[0])
		return cli_usage_error("wait needs at least one container");
	_cleanup_free_ char *root = pd_state_root(g->root, &err);
	if (!root)
		return cli_fail(err);
	int ret = 0;
	for (size_t i = 0; pos[i]; i++) {
		int code;
		if (pd_container_wait(root, pos[i], &code, &err) < 0) {
			ret = cli_fail(err);
			pd_err_freep(&err);
			continue;
		}
		printf("%d\n", code);
		fflush(stdout);
	}
	return ret;
}
