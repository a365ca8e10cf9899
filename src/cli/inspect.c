/* `pocket-docker inspect [--format TEMPLATE] [--type container|image]
 * NAME...` (a JSON array in Docker's shape, or the template rendered once
 * per object, a line each; a name no container has is looked up among the
 * images, as Docker does), `pocket-docker image inspect IMAGE...`, and
 * `pocket-docker wait CONTAINER...` (prints each exit code). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "cli/cli.h"
#include "core/container.h"
#include "core/images.h"
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

/* What `inspect` looks for: a container, else an image (Docker's
 * default); or only one kind (--type, and `image inspect`). */
enum inspect_type { INSPECT_ANY, INSPECT_CONTAINER, INSPECT_IMAGE };

struct inspect_opts {
	struct cli_flags f; /* first: the shared setters cast the options to it */
	enum inspect_type type;
};

static int set_type(void *o, const char *a, struct pd_err **err)
{
	struct inspect_opts *io = o;
	if (!strcmp(a, "container"))
		io->type = INSPECT_CONTAINER;
	else if (!strcmp(a, "image"))
		io->type = INSPECT_IMAGE;
	else
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "invalid --type '%s': want container or image", a);
	return 0;
}

static const struct cli_opt inspect_table[] = {
	{ "format", 'f', true, set_format, "a Go template rendered for each object ('{{.State.Pid}}')" },
	{ "type", 0, true, set_type, "look only for a container or only for an image" },
	{ "help", 0, false, cli_flag_help, "show this help" },
	{ 0 },
};

static const struct cli_opt image_inspect_table[] = {
	{ "format", 'f', true, set_format, "a Go template rendered for each image ('{{.Id}}')" },
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

/* A JSON string of an allocated C string, which it frees. */
static json_t *json_string_take(char *s)
{
	json_t *v = json_string(s);
	free(s);
	return v ? v : json_string("");
}

/* The platform an image runs on: its layers were fetched or extracted
 * for this host, which Docker names in Go's terms. */
static const char *host_arch(void)
{
	static const struct {
		const char *machine, *go;
	} names[] = { { "x86_64", "amd64" },   { "aarch64", "arm64" },	 { "i686", "386" },
		      { "armv7l", "arm" },     { "ppc64le", "ppc64le" }, { "s390x", "s390x" },
		      { "riscv64", "riscv64" } };
	static struct utsname un;
	if (uname(&un) < 0)
		return "";
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(un.machine, names[i].machine))
			return names[i].go;
	return un.machine;
}

/* Docker's image inspect object: the image's names, its runtime config
 * (the keys Docker shows, null or "" when the image has none), platform,
 * size and layers (their diff ids, bottom first). */
static json_t *image_json(const struct pd_image *img)
{
	const struct pd_image_rec *r = &img->rec;
	json_t *tags = json_array(), *digests = json_array(), *layers = json_array();
	for (size_t i = 0; i < r->n_names; i++) {
		const struct pd_image_name *nm = &r->names[i];
		_cleanup_free_ char *repo = pd_image_display_repo(nm->repo);
		if (*nm->tag)
			json_array_append_new(tags, json_string_take(xasprintf("%s:%s", repo, nm->tag)));
		if (nm->digest && *nm->digest)
			json_array_append_new(digests,
					      json_string_take(xasprintf("%s@%s", repo, nm->digest)));
	}
	for (size_t i = 0; i < r->n_layers; i++) {
		const char *d = r->layers[i].diff_id ? r->layers[i].diff_id : r->layers[i].digest;
		json_array_append_new(layers, json_string(d));
	}
	json_t *rt = r->config ? json_loads(r->config, 0, NULL) : NULL;
	json_t *config = json_object();
	static const char *const strings[] = { "User", "WorkingDir", NULL };
	static const char *const others[] = { "Env",	"Cmd",	   "Entrypoint", "ExposedPorts",
					      "Labels", "Volumes", NULL };
	for (size_t i = 0; strings[i]; i++) {
		json_t *v = json_object_get(rt, strings[i]);
		json_object_set_new(config, strings[i], json_is_string(v) ? json_incref(v) : json_string(""));
	}
	for (size_t i = 0; others[i]; i++) {
		json_t *v = json_object_get(rt, others[i]);
		json_object_set_new(config, others[i], v ? json_incref(v) : json_null());
	}
	json_t *stop = json_object_get(rt, "StopSignal");
	if (json_is_string(stop))
		json_object_set(config, "StopSignal", stop);
	json_decref(rt);
	json_t *o = json_object();
	json_object_set_new(o, "Id", json_string(r->id));
	json_object_set_new(o, "RepoTags", tags);
	json_object_set_new(o, "RepoDigests", digests);
	json_object_set_new(o, "Parent", json_string(""));
	json_object_set_new(o, "Comment", json_string(""));
	json_object_set_new(o, "Created", time_json(r->created_ns));
	json_object_set_new(o, "Config", config);
	json_object_set_new(o, "Architecture", json_string(host_arch()));
	json_object_set_new(o, "Os", json_string("linux"));
	json_object_set_new(o, "Size", json_integer((json_int_t)r->size));
	json_object_set_new(o, "RootFS", json_pack("{s:s, s:o}", "Type", "layers", "Layers", layers));
	return o;
}

/* Append image `name`'s object to `out`: 0, 1 when no image has that
 * name, -1 on error. */
static int add_image(const char *root, const char *name, json_t *out, struct pd_err **err)
{
	struct pd_image img;
	int r = pd_image_find(root, name, &img, err);
	if (r != 0)
		return r;
	json_array_append_new(out, image_json(&img));
	pd_image_free(&img);
	return 0;
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

/* The objects `pos` names, of `type`, into `out`; each name not found is
 * reported (and the exit status set) on its own. */
static int collect(const char *root, char **pos, enum inspect_type type, json_t *out)
{
	_cleanup_err_ struct pd_err *err = NULL;
	int ret = 0;
	struct pd_found *found = NULL;
	size_t n = 0;
	if (type != INSPECT_IMAGE && pd_container_lookup_each(root, pos, true, &found, &n, &err) < 0)
		return cli_fail(err);
	for (size_t i = 0; pos[i]; i++) {
		if (type == INSPECT_IMAGE || (found[i].err && type == INSPECT_ANY)) {
			/* As Docker: a name no container has may be an image's. */
			_cleanup_err_ struct pd_err *e = NULL;
			int r = add_image(root, pos[i], out, &e);
			if (r == 1 && type == INSPECT_IMAGE)
				pd_fail_kind(&e, PD_ERR_USAGE, 0, "no such image: %s", pos[i]);
			/* Neither: the container's error ("no such container"). */
			if (r != 0)
				ret = cli_fail(r == 1 && type == INSPECT_ANY ? found[i].err : e);
			continue;
		}
		if (found[i].err) {
			ret = cli_fail(found[i].err);
			continue;
		}
		json_t *rec = record_json(root, &found[i].rec);
		json_object_set_new(rec, "NetworkSettings", take_ptr(&found[i].network));
		json_array_append_new(out, rec);
	}
	pd_found_free(found, n);
	return ret;
}

static int inspect_main(const struct cli_global *g, const struct cli_opt *table, enum inspect_type type,
			int argc, char **argv, const char *usage)
{
	struct inspect_opts o = { .type = type };
	_cleanup_strv_ char **pos = NULL;
	_cleanup_err_ struct pd_err *err = NULL;
	if (cli_parse_flags(table, &o.f, argc, argv, &pos, usage) < 0) {
		cli_flags_free(&o.f);
		return CLI_EXIT_USAGE;
	}
	/* The template is checked before any lookup: a typo in it is one
	 * usage error, whatever the objects. */
	bool formatted = o.f.format != NULL, help = o.f.help;
	struct pd_tmpl *t = formatted ? pd_tmpl_parse(o.f.format, &err) : NULL;
	cli_flags_free(&o.f);
	if (formatted && !t) {
		pd_err_prefix(&err, "--format");
		return cli_fail(err);
	}
	if (help || !pos[0]) {
		pd_tmpl_free(t);
		return help ? 0 : cli_usage_error("inspect needs at least one name");
	}
	_cleanup_free_ char *root = pd_state_root(g->root, &err);
	if (!root) {
		pd_tmpl_free(t);
		return cli_fail(err);
	}
	json_t *out = json_array();
	int ret = collect(root, pos, o.type, out);
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

int cli_inspect(const struct cli_global *g, int argc, char **argv)
{
	return inspect_main(g, inspect_table, INSPECT_ANY, argc, argv,
			    "Usage: pocket-docker inspect [OPTIONS] CONTAINER|IMAGE...\n\n"
			    "Show containers' or images' records as JSON.");
}

int cli_image_inspect(const struct cli_global *g, int argc, char **argv)
{
	return inspect_main(g, image_inspect_table, INSPECT_IMAGE, argc, argv,
			    "Usage: pocket-docker image inspect [OPTIONS] IMAGE...\n\n"
			    "Show images' records as JSON.");
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
