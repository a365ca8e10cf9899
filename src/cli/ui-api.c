/* The dashboard's JSON API (see README, "Web dashboard"): the only thing
 * the page speaks to, and what curl can use with the token.  Runs in the
 * `ui` process, one request per thread.
 *
 * Reads and the actions that end in the store or a signal (stop, kill,
 * pause, rm, rmi) are one core call each.  What starts a container (start,
 * restart, run) or lasts (logs, pulls, terminals, inspect's Docker-shaped
 * JSON) runs our own binary as a child instead: a monitor forked from
 * this threaded process would inherit locks another thread holds, and the
 * CLI's commands already say what these do. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/ui.h"
#include "core/container.h"
#include "core/control.h"
#include "core/images.h"
#include "core/network.h"
#include "core/query.h"
#include "util/cleanup.h"
#include "util/str.h"
#include "util/xalloc.h"

static double ns_to_s(int64_t ns)
{
	return (double)ns / 1e9;
}

/* A string the store holds may be anything a container's creator gave;
 * JSON needs UTF-8, so anything else is escaped first. */
static json_t *text_json(const char *s)
{
	if (!s)
		return json_null();
	json_t *v = json_string(s);
	if (v)
		return v;
	_cleanup_free_ char *e = str_escape(s);
	return json_string(e);
}

/* A container as the list gives it.  What is at its default (never
 * started, no health check, no ports, no restart) is left out: 500 rows of
 * zeros and nulls are a quarter of the list's bytes. */
static json_t *record_row(const struct pd_record *r, const char *ports)
{
	json_t *cmd = json_loads(r->command ? r->command : "[]", 0, NULL);
	json_t *health = r->health ? json_loads(r->health, 0, NULL) : NULL;
	json_t *hs = health ? json_object_get(health, "Status") : NULL;
	json_t *row = json_pack("{s:s, s:o, s:o, s:o, s:s, s:f}", "id", r->id, "name", text_json(r->name),
				"image", text_json(r->image), "command", cmd ? cmd : json_array(), "state",
				pd_record_state_name(r), "created", ns_to_s(r->created_ns));
	if (r->started_ns) {
		json_object_set_new(row, "started", json_real(ns_to_s(r->started_ns)));
		json_object_set_new(row, "exit_code", json_integer(r->exit_code));
	}
	if (r->finished_ns)
		json_object_set_new(row, "finished", json_real(ns_to_s(r->finished_ns)));
	if (r->oom_killed)
		json_object_set_new(row, "oom_killed", json_true());
	if (r->restart_count)
		json_object_set_new(row, "restart_count", json_integer(r->restart_count));
	if (json_is_string(hs))
		json_object_set_new(row, "health", json_copy(hs));
	if (ports && *ports)
		json_object_set_new(row, "ports", json_string(ports));
	json_decref(health);
	if (r->error)
		json_object_set_new(row, "error", text_json(r->error));
	return row;
}

static void add_stats(json_t *row, const struct pd_record *r)
{
	struct pd_container_stats st;
	if (pd_container_stats(r->id, pd_record_rootless(r), &st, pd_err_ignore(gone)) < 0)
		return;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	json_object_set_new(row, "stats",
			    json_pack("{s:I, s:I, s:I, s:I, s:f}", "cpu_ns", (json_int_t)st.cpu_usage_ns,
				      "mem", (json_int_t)st.mem_usage, "mem_limit", (json_int_t)st.mem_limit,
				      "pids", (json_int_t)st.pids, "at",
				      (double)ts.tv_sec + (double)ts.tv_nsec / 1e9));
}

json_t *ui_containers_json(const struct ui_server *s, const char **msg)
{
	struct pd_ports_table ports = { 0 };
	struct pd_record *v = NULL;
	size_t n = 0;
	_cleanup_err_ struct pd_err *err = NULL;
	if (pd_container_list(s->root, PD_LIST_ALL, &ports, &v, &n, &err) < 0) {
		*msg = "cannot read the state store";
		return NULL;
	}
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *p = pd_network_ports_lookup(&ports, v[i].id);
		json_t *row = record_row(&v[i], p);
		if (v[i].state == PD_STATE_RUNNING || v[i].state == PD_STATE_STOPPING)
			add_stats(row, &v[i]);
		json_array_append_new(a, row);
	}
	pd_records_free(v, n);
	pd_network_ports_free(&ports);
	return a;
}

static unsigned err_status(const struct pd_err *e)
{
	return e && e->kind == PD_ERR_USAGE ? 400 : 500;
}

static enum MHD_Result send_pd_err(struct ui_req *q, const struct pd_err *e)
{
	_cleanup_free_ char *t = pd_err_text(e);
	return ui_send_json(q, err_status(e), json_pack("{s:o}", "error", text_json(t)));
}

static const char *arg(struct ui_req *q, const char *key)
{
	return MHD_lookup_connection_value(q->conn, MHD_GET_ARGUMENT_KIND, key);
}

/* Run our own binary; 200 with its output when it succeeds, else 400 with
 * its output as the error. */
static enum MHD_Result run_self(struct ui_req *q, char *const *args)
{
	_cleanup_free_ char *out = NULL;
	int status = -1;
	if (ui_run_self(q->srv, args, &out, 1 << 20, &status) < 0)
		return ui_send_error(q, 500, "cannot run pocket-docker");
	if (status != 0)
		return ui_send_json(q, 400, json_pack("{s:o}", "error", text_json(out)));
	return ui_send_json(q, 200, json_pack("{s:o}", "output", text_json(out)));
}

struct stop_report {
	char *error; /* the first failure's text */
};

static void stop_report(const char *ref, const struct pd_err *e, void *data)
{
	struct stop_report *sr = data;
	if (e && !sr->error)
		sr->error = pd_err_text(e);
}

/* POST /api/containers/ID/ACTION */
static enum MHD_Result container_action(struct ui_req *q, const char *id, const char *action)
{
	_cleanup_err_ struct pd_err *err = NULL;
	int r = 0;
	if (!strcmp(action, "stop")) {
		char *refs[] = { (char *)id, NULL };
		struct stop_report sr = { 0 };
		const char *t = arg(q, "t");
		pd_container_stop(q->srv->root, refs, t ? atoi(t) : -1, stop_report, &sr);
		if (sr.error) {
			enum MHD_Result ret =
			    ui_send_json(q, 400, json_pack("{s:o}", "error", text_json(sr.error)));
			free(sr.error);
			return ret;
		}
	} else if (!strcmp(action, "kill")) {
		const char *sig = arg(q, "signal");
		int n = sig ? pd_signal_parse(sig) : SIGKILL;
		if (n <= 0)
			return ui_send_error(q, 400, "invalid signal");
		r = pd_container_kill(q->srv->root, id, n, &err);
	} else if (!strcmp(action, "pause") || !strcmp(action, "unpause")) {
		r = pd_container_pause(q->srv->root, id, !strcmp(action, "pause"), &err);
	} else if (!strcmp(action, "rm")) {
		const char *f = arg(q, "force");
		r = pd_container_remove(q->srv->root, id, f && !strcmp(f, "1"), false, &err);
	} else if (!strcmp(action, "start") || !strcmp(action, "restart")) {
		char *args[] = { (char *)action, "--", (char *)id, NULL };
		return run_self(q, args);
	} else if (!strcmp(action, "exec")) {
		return ui_exec_create(q, id);
	} else {
		return ui_send_error(q, 404, "no such action");
	}
	if (r < 0)
		return send_pd_err(q, err);
	return ui_send_json(q, 200, json_pack("{s:s}", "id", id));
}

static enum MHD_Result container_top(struct ui_req *q, const char *id)
{
	struct pd_top t = { 0 };
	_cleanup_err_ struct pd_err *err = NULL;
	if (pd_container_top(q->srv->root, id, NULL, &t, &err) < 0)
		return send_pd_err(q, err);
	json_t *titles = json_array(), *rows = json_array();
	for (size_t i = 0; i < t.ncols; i++)
		json_array_append_new(titles, text_json(t.titles[i]));
	for (size_t i = 0; i < t.nrows; i++) {
		json_t *row = json_array();
		for (size_t k = 0; k < t.ncols; k++)
			json_array_append_new(row, text_json(t.rows[i][k]));
		json_array_append_new(rows, row);
	}
	pd_top_free(&t);
	return ui_send_json(q, 200, json_pack("{s:o, s:o}", "titles", titles, "processes", rows));
}

static enum MHD_Result container_stats(struct ui_req *q, const char *id)
{
	struct pd_record r;
	_cleanup_err_ struct pd_err *err = NULL;
	if (pd_container_lookup(q->srv->root, id, &r, &err) < 0)
		return send_pd_err(q, err);
	json_t *row = record_row(&r, NULL);
	add_stats(row, &r);
	pd_record_free(&r);
	return ui_send_json(q, 200, row);
}

/* GET /api/containers/ID: inspect's JSON, as `inspect` prints it. */
static enum MHD_Result container_inspect(struct ui_req *q, const char *id)
{
	char *args[] = { "inspect", "--", (char *)id, NULL };
	_cleanup_free_ char *out = NULL;
	int status = -1;
	if (ui_run_self(q->srv, args, &out, 4 << 20, &status) < 0)
		return ui_send_error(q, 500, "cannot run pocket-docker");
	if (status != 0)
		return ui_send_json(q, 404, json_pack("{s:o}", "error", text_json(out)));
	json_t *v = json_loads(out, 0, NULL);
	if (!json_is_array(v) || json_array_size(v) != 1) {
		json_decref(v);
		return ui_send_error(q, 500, "inspect printed no JSON");
	}
	json_t *one = json_incref(json_array_get(v, 0));
	json_decref(v);
	return ui_send_json(q, 200, one);
}

static bool is_safe_word(const char *s)
{
	return s && *s && s[0] != '-';
}

/* Append "--flag=VALUE" for each string of the JSON array `a`. */
static void push_each(char ***args, json_t *a, const char *flag)
{
	size_t i;
	json_t *v;
	json_array_foreach(a, i, v)
	{
		if (json_is_string(v) && json_string_value(v)[0])
			strv_push_take(args, xasprintf("--%s=%s", flag, json_string_value(v)));
	}
}

/* POST /api/containers/run: `run -d` with the common options, from a JSON
 * body {image | rootfs, name, env[], publish[], volume[], memory, cpus,
 * restart, workdir, user, cmd[]}.  Each value is one word of `run`'s
 * command line (no shell), given as --flag=VALUE so that none can pass
 * for a flag of its own. */
static enum MHD_Result container_run(struct ui_req *q)
{
	_cleanup_(json_decrefp) json_t *b = json_loads(q->body, 0, NULL);
	if (!json_is_object(b))
		return ui_send_error(q, 400, "the body must be a JSON object");
	_cleanup_strv_ char **args = NULL;
	strv_push(&args, "run");
	strv_push(&args, "-d");
	static const char *const single[] = { "name",	 "memory", "cpus",    "restart",
					      "workdir", "user",   "hostname" };
	for (size_t i = 0; i < ARRAY_SIZE(single); i++) {
		const char *v = json_string_value(json_object_get(b, single[i]));
		if (v && *v)
			strv_push_take(&args, xasprintf("--%s=%s", single[i], v));
	}
	push_each(&args, json_object_get(b, "env"), "env");
	push_each(&args, json_object_get(b, "publish"), "publish");
	push_each(&args, json_object_get(b, "volume"), "volume");
	const char *image = json_string_value(json_object_get(b, "image"));
	const char *rootfs = json_string_value(json_object_get(b, "rootfs"));
	if (rootfs && *rootfs) {
		strv_push_take(&args, xasprintf("--rootfs=%s", rootfs));
	} else if (is_safe_word(image)) {
		strv_push(&args, image);
	} else {
		return ui_send_error(q, 400, "give an image or a rootfs");
	}
	json_t *cmd = json_object_get(b, "cmd");
	size_t i;
	json_t *v;
	bool first = true;
	json_array_foreach(cmd, i, v)
	{
		const char *w = json_string_value(v);
		if (!w)
			return ui_send_error(q, 400, "cmd must be an array of strings");
		/* With --rootfs the command follows the flags: a first word
		 * starting with '-' would be read as one. */
		if (first && w[0] == '-')
			return ui_send_error(q, 400, "the command cannot start with '-'");
		first = false;
		strv_push(&args, w);
	}
	return run_self(q, args);
}

static enum MHD_Result images_list(struct ui_req *q)
{
	struct pd_image_rec *v = NULL;
	size_t n = 0;
	_cleanup_err_ struct pd_err *err = NULL;
	if (pd_image_list(q->srv->root, &v, &n, &err) < 0)
		return send_pd_err(q, err);
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *names = json_array();
		for (size_t k = 0; k < v[i].n_names; k++) {
			_cleanup_free_ char *repo = pd_image_display_repo(v[i].names[k].repo);
			const char *tag = v[i].names[k].tag;
			_cleanup_free_ char *nm = tag && *tag ? xasprintf("%s:%s", repo, tag) : xstrdup(repo);
			json_array_append_new(names, text_json(nm));
		}
		json_array_append_new(a,
				      json_pack("{s:s, s:o, s:f, s:I, s:I}", "id", v[i].id, "names", names,
						"created", ns_to_s(v[i].created_ns), "size",
						(json_int_t)v[i].size, "layers", (json_int_t)v[i].n_layers));
	}
	pd_image_recs_free(v, n);
	return ui_send_json(q, 200, a);
}

static enum MHD_Result image_rm(struct ui_req *q, const char *name)
{
	_cleanup_strv_ char **report = NULL;
	_cleanup_err_ struct pd_err *err = NULL;
	const char *f = arg(q, "force");
	if (pd_image_remove(q->srv->root, name, f && !strcmp(f, "1"), &report, &err) < 0)
		return send_pd_err(q, err);
	json_t *a = json_array();
	for (size_t i = 0; report && report[i]; i++)
		json_array_append_new(a, text_json(report[i]));
	return ui_send_json(q, 200, json_pack("{s:o}", "report", a));
}

static enum MHD_Result image_pull(struct ui_req *q)
{
	_cleanup_(json_decrefp) json_t *b = json_loads(q->body, 0, NULL);
	const char *ref = json_string_value(json_object_get(b, "ref"));
	if (!is_safe_word(ref))
		return ui_send_error(q, 400, "give a reference to pull");
	return ui_stream_pull(q, ref);
}

/* "/api/containers/ID/REST": the ID (at most 64 bytes of a name or id),
 * and REST ("" when none). */
static bool split_id(const char *path, char *id, size_t len, const char **rest)
{
	const char *slash = strchr(path, '/');
	size_t n = slash ? (size_t)(slash - path) : strlen(path);
	if (n == 0 || n >= len)
		return false;
	memcpy(id, path, n);
	id[n] = 0;
	*rest = slash ? slash + 1 : "";
	return true;
}

static enum MHD_Result containers_route(struct ui_req *q, const char *path, bool get)
{
	if (!*path)
		return get ? ui_send_json(q, 200, ({
						  const char *msg = NULL;
						  json_t *a = ui_containers_json(q->srv, &msg);
						  a ? a : json_pack("{s:s}", "error", msg);
					  }))
			   : ui_send_error(q, 405, "GET only");
	if (!strcmp(path, "events"))
		return get ? ui_stream_containers(q) : ui_send_error(q, 405, "GET only");
	if (!strcmp(path, "run"))
		return get ? ui_send_error(q, 405, "POST only") : container_run(q);
	char id[128];
	const char *rest;
	if (!split_id(path, id, sizeof(id), &rest))
		return ui_send_error(q, 404, "no such path");
	/* An id becomes a word of our own binary's command line: one
	 * starting with '-' would be read as a flag. */
	if (id[0] == '-')
		return ui_send_error(q, 400, "a container name or id cannot start with '-'");
	if (!get)
		return container_action(q, id, rest);
	if (!*rest)
		return container_inspect(q, id);
	if (!strcmp(rest, "logs")) {
		const char *f = arg(q, "follow");
		return ui_stream_logs(q, id, f && !strcmp(f, "1"), arg(q, "tail"));
	}
	if (!strcmp(rest, "stats"))
		return container_stats(q, id);
	if (!strcmp(rest, "stats/events"))
		return ui_stream_stats(q, id);
	if (!strcmp(rest, "top"))
		return container_top(q, id);
	return ui_send_error(q, strstr("start stop restart pause unpause kill rm exec", rest) ? 405 : 404,
			     "no such path for GET");
}

enum MHD_Result ui_api(struct ui_req *q)
{
	bool get = !strcmp(q->method, "GET") || !strcmp(q->method, "HEAD");
	const char *p = q->url + strlen("/api/");
	if (!strcmp(p, "info"))
		return ui_send_json(
		    q, 200,
		    json_pack("{s:o, s:b}", "root", text_json(q->srv->root), "rootless", geteuid() != 0));
	if (!strcmp(p, "containers"))
		return containers_route(q, "", get);
	if (!strcmp(p, "events"))
		return get ? ui_stream_events(q) : ui_send_error(q, 405, "GET only");
	if (str_has_prefix(p, "containers/"))
		return containers_route(q, p + strlen("containers/"), get);
	if (!strcmp(p, "images"))
		return get ? images_list(q) : ui_send_error(q, 405, "GET only");
	if (!strcmp(p, "images/pull"))
		return get ? ui_send_error(q, 405, "POST only") : image_pull(q);
	if (str_has_prefix(p, "images/")) {
		char id[256];
		const char *rest;
		if (!split_id(p + strlen("images/"), id, sizeof(id), &rest) || strcmp(rest, "rm") != 0)
			return ui_send_error(q, 404, "no such path");
		if (id[0] == '-')
			return ui_send_error(q, 400, "an image reference cannot start with '-'");
		return get ? ui_send_error(q, 405, "POST only") : image_rm(q, id);
	}
	if (str_has_prefix(p, "exec/"))
		return ui_exec_route(q, p + strlen("exec/"));
	return ui_send_error(q, 404, "no such path");
}
