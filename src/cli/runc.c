/* `pocket-runc`: the same binary invoked under runc's name speaks runc's
 * command line, so that tools which drive an OCI runtime can drive this one.
 * Phase 1: `spec`, `features`, `--version` and `run` (foreground: the
 * bundle's config.json mapped by core/oci.c onto the engine of
 * `pocket-docker run`, the container removed at exit).  Every other runc
 * command (the create/start split, state, kill, delete, exec...) fails with
 * a clear error: it is the next phase.
 *
 * Errors go to stderr, and to --log when given, as runc writes them there
 * (--log-format json: one {"level":"error","msg":...,"time":...} line), so
 * that the clients which read that file show them.  The face's own errors
 * exit 1, as runc's do; `run` otherwise exits with the container's status. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/config.h"
#include "core/container.h"
#include "core/oci.h"
#include "core/query.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/str.h"
#include "util/xalloc.h"

#define RUNC_VERSION "0.2.0"

struct runc_global {
	char *root; /* --root: the state root */
	char *log;  /* --log FILE */
	bool log_json;
	bool debug;
	bool systemd_cgroup;
	bool help, version;
};

#define G(o) ((struct runc_global *)(o))

static int set_str(char **slot, const char *a)
{
	free(*slot);
	*slot = xstrdup(a);
	return 0;
}
static int g_root(void *o, const char *a, struct pd_err **err)
{
	return set_str(&G(o)->root, a);
}
static int g_log(void *o, const char *a, struct pd_err **err)
{
	return set_str(&G(o)->log, a);
}
static int g_log_format(void *o, const char *a, struct pd_err **err)
{
	if (strcmp(a, "text") && strcmp(a, "json"))
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "invalid log format '%s' (text or json)", a);
	G(o)->log_json = !strcmp(a, "json");
	return 0;
}
static int g_debug(void *o, const char *a, struct pd_err **err)
{
	G(o)->debug = true;
	return 0;
}
static int g_systemd(void *o, const char *a, struct pd_err **err)
{
	G(o)->systemd_cgroup = true;
	return 0;
}
static int g_help(void *o, const char *a, struct pd_err **err)
{
	G(o)->help = true;
	return 0;
}
static int g_version(void *o, const char *a, struct pd_err **err)
{
	G(o)->version = true;
	return 0;
}

static const struct cli_opt global_table[] = {
	{ "root", 0, true, g_root,
	  "state root (default /run/pocket-runc; rootless $XDG_RUNTIME_DIR/pocket-runc, else "
	  "~/.pocket-runc)" },
	{ "log", 0, true, g_log, "also write errors to FILE" },
	{ "log-format", 0, true, g_log_format, "format of --log: text or json" },
	{ "debug", 0, false, g_debug, "accepted (no debug output yet)" },
	{ "systemd-cgroup", 0, false, g_systemd,
	  "accepted and ignored: the container's group is always the runtime's own (cgroupfs)" },
	{ "version", 'v', false, g_version, "print the version" },
	{ "help", 'h', false, g_help, "show this help" },
	{ 0 },
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: pocket-runc [GLOBAL OPTIONS] COMMAND [OPTIONS]\n\n"
		   "An OCI runtime with runc's command line (phase 1: bundles run in the foreground).\n\n"
		   "Commands:\n"
		   "  run       run a bundle's container in the foreground, removed at exit\n"
		   "  spec      write a default config.json in the bundle\n"
		   "  features  print the features this runtime supports (JSON)\n\n"
		   "Not supported yet: create, start, state, kill, delete, exec, ps, pause, resume,\n"
		   "update, list, events.\n\nGlobal options:\n");
	for (const struct cli_opt *o = global_table; o->long_name; o++)
		fprintf(f, "  --%-16s %s\n", o->long_name, o->help);
}

/* `s` as a logfmt value: '"' and '\\' escaped (the text is already
 * free of control bytes). */
static char *logfmt_quote(const char *s)
{
	char *out = xmalloc(2 * strlen(s) + 1), *o = out;
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			*o++ = '\\';
		*o++ = *s;
	}
	*o = '\0';
	return out;
}

/* The error as runc reports it: on stderr, and to --log in its format. */
static void report(const struct runc_global *g, const char *msg)
{
	_cleanup_free_ char *shown = str_escape(msg);
	fprintf(stderr, "pocket-runc: %s\n", shown);
	if (!g->log)
		return;
	_cleanup_close_ int fd = open(g->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0) {
		fprintf(stderr, "pocket-runc: open log '%s': %s\n", g->log, strerror(errno));
		return;
	}
	char stamp[64];
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	_cleanup_free_ char *when = xasprintf("%s.%09ldZ", stamp, ts.tv_nsec);
	_cleanup_free_ char *line = NULL;
	if (g->log_json) {
		json_t *j = json_pack("{s:s, s:s, s:s}", "level", "error", "msg", msg, "time", when);
		char *text = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
		json_decref(j);
		line = text ? xasprintf("%s\n", text) : NULL;
		free(text);
	} else {
		_cleanup_free_ char *quoted = logfmt_quote(shown);
		line = xasprintf("time=\"%s\" level=error msg=\"%s\"\n", when, quoted);
	}
	if (line && pd_write_all(fd, line, strlen(line)) < 0)
		fprintf(stderr, "pocket-runc: write log '%s': %s\n", g->log, strerror(errno));
}

static int fail(const struct runc_global *g, const struct pd_err *e)
{
	_cleanup_free_ char *msg =
	    e->errnum ? xasprintf("%s: %s", e->msg, strerror(e->errnum)) : xstrdup(e->msg);
	report(g, msg);
	return CLI_EXIT_FAILED;
}

static int failf(const struct runc_global *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int failf(const struct runc_global *g, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	_cleanup_free_ char *msg = NULL;
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	report(g, msg ? msg : "out of memory");
	return CLI_EXIT_FAILED;
}

/* The options of `spec` and `run`. */
struct cmd_opts {
	char *bundle;
	bool rootless;
	bool detach;
	bool help;
};
#define C(o) ((struct cmd_opts *)(o))
static int c_bundle(void *o, const char *a, struct pd_err **err)
{
	return set_str(&C(o)->bundle, a);
}
static int c_rootless(void *o, const char *a, struct pd_err **err)
{
	C(o)->rootless = true;
	return 0;
}
static int c_detach(void *o, const char *a, struct pd_err **err)
{
	C(o)->detach = true;
	return 0;
}
static int c_help(void *o, const char *a, struct pd_err **err)
{
	C(o)->help = true;
	return 0;
}

static const struct cli_opt spec_table[] = {
	{ "bundle", 'b', true, c_bundle, "the bundle directory (default: the current one)" },
	{ "rootless", 0, false, c_rootless, "a spec for a rootless container" },
	{ "help", 'h', false, c_help, "show this help" },
	{ 0 },
};

static const struct cli_opt run_table[] = {
	{ "bundle", 'b', true, c_bundle, "the bundle directory (default: the current one)" },
	{ "detach", 'd', false, c_detach, "not supported yet (runs in the foreground only)" },
	{ "help", 'h', false, c_help, "show this help" },
	{ 0 },
};

/* Parse a command's flags; its positional words start at *i. */
static int parse_cmd(const struct runc_global *g, const struct cli_opt *table, struct cmd_opts *o, int argc,
		     char **argv, int *i)
{
	_cleanup_err_ struct pd_err *err = NULL;
	*i = 1;
	if (cli_parse(table, o, argc, argv, i, &err) < 0)
		return fail(g, err);
	return 0;
}

static int cmd_spec(const struct runc_global *g, int argc, char **argv)
{
	struct cmd_opts o = { 0 };
	int i;
	if (parse_cmd(g, spec_table, &o, argc, argv, &i) != 0) {
		free(o.bundle);
		return CLI_EXIT_FAILED;
	}
	_cleanup_free_ char *bundle = o.bundle;
	if (o.help) {
		printf("Usage: pocket-runc spec [--rootless] [--bundle DIR]\n");
		cli_print_options(spec_table);
		return 0;
	}
	if (i < argc)
		return failf(g, "spec takes no arguments");
	_cleanup_err_ struct pd_err *err = NULL;
	_cleanup_free_ char *text = pd_oci_runnable_spec(o.rootless, &err);
	if (!text)
		return fail(g, err);
	_cleanup_free_ char *path = xasprintf("%s/config.json", bundle ? bundle : ".");
	/* Never overwrite a bundle's document (as runc). */
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0 && errno == EEXIST)
		return failf(g, "file '%s' exists: remove it first", path);
	if (fd < 0)
		return failf(g, "create '%s': %s", path, strerror(errno));
	size_t len = strlen(text);
	if (pd_write_all(fd, text, len) < 0 || pd_write_all(fd, "\n", 1) < 0)
		return failf(g, "write '%s': %s", path, strerror(errno));
	return 0;
}

/* The spec's features document (runtime-spec features.md), saying what
 * this phase runs and nothing more. */
static int cmd_features(const struct runc_global *g, int argc, char **argv)
{
	_cleanup_err_ struct pd_err *err = NULL;
	_cleanup_free_ char *text = pd_oci_features(&err);
	if (!text)
		return fail(g, err);
	printf("%s\n", text);
	return 0;
}

static bool is_valid_id(const char *id)
{
	if (!*id || strlen(id) > 128)
		return false;
	for (const char *p = id; *p; p++)
		if (!(('a' <= *p && *p <= 'z') || ('A' <= *p && *p <= 'Z') || ('0' <= *p && *p <= '9') ||
		      (p != id && strchr("_.-", *p))))
			return false;
	return true;
}

static char *default_root(void)
{
	if (geteuid() == 0)
		return xstrdup("/run/pocket-runc");
	/* Never a fixed name in a shared directory such as /tmp: another
	 * user could make it first and own the state. */
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	if (xdg && *xdg)
		return xasprintf("%s/pocket-runc", xdg);
	const char *home = getenv("HOME");
	return home && *home ? xasprintf("%s/.pocket-runc", home) : NULL;
}

/* Decode and map the bundle, start the container, stay attached. */
static int run_bundle(const struct runc_global *g, const char *bundle, const char *id, int *code,
		      struct pd_err **err)
{
	struct pd_config cfg;
	int r = pd_config_from_bundle(bundle, &cfg, err);
	_cleanup_free_ char *root = NULL;
	if (r == 0) {
		cfg.name = xstrdup(id);
		cfg.remove = true;
		/* runc run hands the container its own stdio. */
		cfg.interactive = true;
		r = pd_config_new_id(&cfg, err);
	}
	if (r == 0)
		r = pd_netcfg_finish(&cfg.net, err);
	if (r == 0)
		r = pd_container_check_limits(&cfg.limits, err);
	_cleanup_free_ char *want = g->root ? xstrdup(g->root) : default_root();
	if (r == 0 && !want)
		r = pd_fail_kind(err, PD_ERR_USAGE, 0,
				 "no state root: give --root DIR (neither XDG_RUNTIME_DIR nor HOME is set)");
	if (r == 0)
		r = pd_volumes_check_state_root(&cfg, want, err);
	if (r == 0)
		root = pd_state_root(want, err);
	int attach_fd = -1;
	pid_t pid = 0;
	if (r == 0 && root)
		r = pd_container_start(&cfg, root, false, &attach_fd, &pid, err);
	else
		r = -1;
	if (r == 0) {
		r = cli_attach_session(attach_fd, pid, cfg.tty, cfg.interactive, NULL, code, err);
		close(attach_fd);
	}
	pd_config_free(&cfg);
	return r < 0 ? -1 : 0;
}

static int cmd_run(const struct runc_global *g, int argc, char **argv)
{
	struct cmd_opts o = { 0 };
	int i;
	if (parse_cmd(g, run_table, &o, argc, argv, &i) != 0) {
		free(o.bundle);
		return CLI_EXIT_FAILED;
	}
	_cleanup_free_ char *bundle = o.bundle;
	if (o.help) {
		printf("Usage: pocket-runc run [--bundle DIR] ID\n");
		cli_print_options(run_table);
		return 0;
	}
	if (o.detach)
		return failf(g,
			     "run --detach is not supported yet (this build runs bundles in the foreground)");
	if (i + 1 != argc)
		return failf(g, "run needs exactly one container id");
	if (!is_valid_id(argv[i]))
		return failf(g, "invalid container id '%s': only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed",
			     argv[i]);
	_cleanup_err_ struct pd_err *err = NULL;
	int code = 0;
	if (run_bundle(g, bundle ? bundle : ".", argv[i], &code, &err) < 0)
		return fail(g, err);
	return code;
}

static const char *const next_phase[] = {
	"create", "start", "state",  "kill",   "delete", "exec",
	"ps",	  "pause", "resume", "update", "list",	 "events",
};

int cli_runc(int argc, char **argv)
{
	struct runc_global g = { 0 };
	_cleanup_err_ struct pd_err *err = NULL;
	int i = 1, code;
	if (cli_parse(global_table, &g, argc, argv, &i, &err) < 0) {
		code = fail(&g, err);
	} else if (g.help) {
		usage(stdout);
		code = 0;
	} else if (g.version) {
		printf("pocket-runc version %s\nspec: %s\n", RUNC_VERSION, pd_oci_spec_version());
		code = 0;
	} else if (i >= argc) {
		usage(stderr);
		code = CLI_EXIT_FAILED;
	} else if (!strcmp(argv[i], "run")) {
		code = cmd_run(&g, argc - i, argv + i);
	} else if (!strcmp(argv[i], "spec")) {
		code = cmd_spec(&g, argc - i, argv + i);
	} else if (!strcmp(argv[i], "features")) {
		code = cmd_features(&g, argc - i, argv + i);
	} else {
		code = -1;
		for (size_t k = 0; k < sizeof(next_phase) / sizeof(next_phase[0]); k++)
			if (!strcmp(argv[i], next_phase[k]))
				code = failf(
				    &g, "'%s' is not supported yet (this build runs bundles with 'run' only)",
				    argv[i]);
		if (code < 0)
			code = failf(&g, "unknown command '%s' (see 'pocket-runc --help')", argv[i]);
	}
	free(g.root);
	free(g.log);
	return code;
}
