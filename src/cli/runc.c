/* `pocket-runc`: the same binary invoked under runc's name speaks runc's
 * command line, so that tools which drive an OCI runtime (podman with
 * conmon, containerd's runc shim, and so Kubernetes) can drive this one.
 * Each command is one call into core/oci-run.c, which runs the bundle on
 * the engine of `pocket-docker run`.
 *
 * Errors go to stderr, and to --log when given, as runc writes them there
 * (--log-format json: one {"level":"error","msg":...,"time":...} line), so
 * that the clients which read that file show them.  The face's own errors
 * exit 1, as runc's do; `run` and `exec` otherwise exit with the
 * container's status. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/config.h"
#include "core/container.h"
#include "core/oci-run.h"
#include "core/oci.h"
#include "core/relay.h"
#include "core/query.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/str.h"
#include "util/xalloc.h"

#define RUNC_VERSION "0.3.0"

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
	  "read cgroupsPath in systemd's slice:prefix:name form (the group is made in cgroupfs; no "
	  "systemd unit)" },
	{ "version", 'v', false, g_version, "print the version" },
	{ "help", 'h', false, g_help, "show this help" },
	{ 0 },
};

struct command {
	const char *name;
	int (*run)(const struct runc_global *g, int argc, char **argv);
	const char *summary;
};
static const struct command commands[];

static void usage(FILE *f)
{
	fprintf(f, "Usage: pocket-runc [GLOBAL OPTIONS] COMMAND [OPTIONS]\n\n"
		   "An OCI runtime with runc's command line.\n\nCommands:\n");
	for (const struct command *c = commands; c->name; c++)
		fprintf(f, "  %-9s %s\n", c->name, c->summary);
	fprintf(f, "\nGlobal options:\n");
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

/* The system's reason in lower case, as runc (Go) writes it: podman picks
 * its exit status from "no such file or directory" and "permission
 * denied" in the message. */
static int fail(const struct runc_global *g, const struct pd_err *e)
{
	_cleanup_free_ char *why = e->errnum ? xstrdup(strerror(e->errnum)) : NULL;
	if (why && why[0] >= 'A' && why[0] <= 'Z')
		why[0] = (char)(why[0] - 'A' + 'a');
	_cleanup_free_ char *msg = why ? xasprintf("%s: %s", e->msg, why) : xstrdup(e->msg);
	report(g, msg);
	return CLI_EXIT_FAILED;
}

static void warn(const struct runc_global *g, char *msg)
{
	if (msg)
		fprintf(stderr, "pocket-runc: warning: %s\n", msg);
	free(msg);
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

/* The options of every command (each table takes the ones it has). */
struct cmd_opts {
	char *bundle, *pid_file, *console_socket, *process, *cwd, *user, *format, *resources;
	char **env, **caps;
	bool rootless, detach, tty, force, all, quiet, stats, help;
	unsigned preserve_fds;
	uint64_t interval_s;
	struct pd_limits limits;
};
#define C(o) ((struct cmd_opts *)(o))

static int c_bundle(void *o, const char *a, struct pd_err **err)
{
	return set_str(&C(o)->bundle, a);
}
static int c_pid_file(void *o, const char *a, struct pd_err **err)
{
	return set_str(&C(o)->pid_file, a);
}
static int c_console(void *o, const char *a, struct pd_err **err)
{
	return set_str(&C(o)->console_socket, a);
}
static int c_process(void *o, const char *a, struct pd_err **err)
{
	return set_str(&C(o)->process, a);
}
static int c_cwd(void *o, const char *a, struct pd_err **err)
{
	return set_str(&C(o)->cwd, a);
}
static int c_user(void *o, const char *a, struct pd_err **err)
{
	return set_str(&C(o)->user, a);
}
static int c_format(void *o, const char *a, struct pd_err **err)
{
	if (strcmp(a, "table") && strcmp(a, "json"))
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "invalid format '%s' (table or json)", a);
	return set_str(&C(o)->format, a);
}
static int c_resources(void *o, const char *a, struct pd_err **err)
{
	return set_str(&C(o)->resources, a);
}
static int c_env(void *o, const char *a, struct pd_err **err)
{
	if (!strchr(a, '='))
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "invalid --env '%s' (KEY=VALUE)", a);
	strv_push(&C(o)->env, a);
	return 0;
}
static int c_cap(void *o, const char *a, struct pd_err **err)
{
	strv_push(&C(o)->caps, a);
	return 0;
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
static int c_tty(void *o, const char *a, struct pd_err **err)
{
	C(o)->tty = true;
	return 0;
}
static int c_force(void *o, const char *a, struct pd_err **err)
{
	C(o)->force = true;
	return 0;
}
static int c_all(void *o, const char *a, struct pd_err **err)
{
	C(o)->all = true;
	return 0;
}
static int c_quiet(void *o, const char *a, struct pd_err **err)
{
	C(o)->quiet = true;
	return 0;
}
static int c_stats(void *o, const char *a, struct pd_err **err)
{
	C(o)->stats = true;
	return 0;
}
static int c_ignored(void *o, const char *a, struct pd_err **err)
{
	return 0;
}
static int c_help(void *o, const char *a, struct pd_err **err)
{
	C(o)->help = true;
	return 0;
}
static int c_preserve_fds(void *o, const char *a, struct pd_err **err)
{
	uint64_t n;
	if (pd_parse_uint(a, 1024, &n, err) < 0)
		return -1;
	C(o)->preserve_fds = (unsigned)n;
	return 0;
}
static int c_interval(void *o, const char *a, struct pd_err **err)
{
	/* runc takes a Go duration; whole seconds ("5s", "5") here. */
	_cleanup_free_ char *t = xstrdup(a);
	size_t n = strlen(t);
	if (n && t[n - 1] == 's')
		t[n - 1] = '\0';
	if (pd_parse_uint(t, 86400, &C(o)->interval_s, err) < 0 || !C(o)->interval_s)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "invalid --interval '%s' (whole seconds, e.g. 5s)",
				    a);
	return 0;
}
static int c_memory(void *o, const char *a, struct pd_err **err)
{
	return pd_parse_uint(a, INT64_MAX, &C(o)->limits.memory, err);
}
static int c_memory_swap(void *o, const char *a, struct pd_err **err)
{
	if (!strcmp(a, "-1")) {
		C(o)->limits.memory_swap = -1;
		return 0;
	}
	uint64_t v;
	if (pd_parse_uint(a, INT64_MAX, &v, err) < 0)
		return -1;
	C(o)->limits.memory_swap = (int64_t)v;
	return 0;
}
static int c_cpu_quota(void *o, const char *a, struct pd_err **err)
{
	return pd_parse_uint(a, INT64_MAX, &C(o)->limits.cpu_quota_us, err);
}
static int c_cpu_period(void *o, const char *a, struct pd_err **err)
{
	return pd_parse_uint(a, INT64_MAX, &C(o)->limits.cpu_period_us, err);
}
static int c_cpu_shares(void *o, const char *a, struct pd_err **err)
{
	return pd_parse_uint(a, 262144, &C(o)->limits.cpu_shares, err);
}
static int c_pids_limit(void *o, const char *a, struct pd_err **err)
{
	return pd_parse_uint(a, INT64_MAX, &C(o)->limits.pids_max, err);
}
static int c_cpuset(void *o, const char *a, struct pd_err **err)
{
	return set_str(&C(o)->limits.cpuset_cpus, a);
}

static void opts_free(struct cmd_opts *o)
{
	free(o->bundle);
	free(o->pid_file);
	free(o->console_socket);
	free(o->process);
	free(o->cwd);
	free(o->user);
	free(o->format);
	free(o->resources);
	free(o->limits.cpuset_cpus);
	strv_free(o->env);
	strv_free(o->caps);
}

#define HELP                                                                                                 \
	{                                                                                                    \
		"help", 'h', false, c_help, "show this help"                                                 \
	}

static const struct cli_opt no_table[] = { HELP, { 0 } };

static const struct cli_opt spec_table[] = {
	{ "bundle", 'b', true, c_bundle, "the bundle directory (default: the current one)" },
	{ "rootless", 0, false, c_rootless, "a spec for a rootless container" },
	HELP,
	{ 0 },
};

static const struct cli_opt create_table[] = {
	{ "bundle", 'b', true, c_bundle, "the bundle directory (default: the current one)" },
	{ "pid-file", 0, true, c_pid_file, "write the init's pid to FILE" },
	{ "console-socket", 0, true, c_console, "with process.terminal: send the pty master to this socket" },
	{ "no-pivot", 0, false, c_ignored, "accepted; the root is always entered with pivot_root" },
	{ "no-new-keyring", 0, false, c_ignored, "accepted; no session keyring is made" },
	{ "preserve-fds", 0, true, c_preserve_fds, "pass the caller's fds 3..3+N-1 to the container" },
	HELP,
	{ 0 },
};

static const struct cli_opt run_table[] = {
	{ "bundle", 'b', true, c_bundle, "the bundle directory (default: the current one)" },
	{ "pid-file", 0, true, c_pid_file, "write the init's pid to FILE" },
	{ "console-socket", 0, true, c_console, "with process.terminal: send the pty master to this socket" },
	{ "detach", 'd', false, c_detach, "return once the container runs" },
	{ "no-pivot", 0, false, c_ignored, "accepted; the root is always entered with pivot_root" },
	{ "no-new-keyring", 0, false, c_ignored, "accepted; no session keyring is made" },
	{ "preserve-fds", 0, true, c_preserve_fds, "pass the caller's fds 3..3+N-1 to the container" },
	HELP,
	{ 0 },
};

static const struct cli_opt kill_table[] = {
	{ "all", 'a', false, c_all, "signal every process of the container" },
	HELP,
	{ 0 },
};

static const struct cli_opt delete_table[] = {
	{ "force", 'f', false, c_force, "kill a running container first; no error when it does not exist" },
	HELP,
	{ 0 },
};

static const struct cli_opt exec_table[] = {
	{ "process", 'p', true, c_process, "the process as a process.json FILE" },
	{ "detach", 'd', false, c_detach, "return once the process runs" },
	{ "pid-file", 0, true, c_pid_file, "write the process's pid to FILE" },
	{ "tty", 't', false, c_tty, "a terminal (its master to --console-socket)" },
	{ "console-socket", 0, true, c_console, "where the pty master goes" },
	{ "cwd", 0, true, c_cwd, "working directory" },
	{ "env", 'e', true, c_env, "KEY=VALUE over the container's (repeatable)" },
	{ "user", 'u', true, c_user, "UID[:GID]" },
	{ "cap", 'c', true, c_cap, "add a capability (repeatable)" },
	{ "preserve-fds", 0, true, c_preserve_fds, "not supported yet for exec" },
	HELP,
	{ 0 },
};

static const struct cli_opt ps_table[] = {
	{ "format", 'f', true, c_format, "table or json (the pids)" },
	HELP,
	{ 0 },
};

static const struct cli_opt list_table[] = {
	{ "format", 'f', true, c_format, "table or json" },
	{ "quiet", 'q', false, c_quiet, "ids only" },
	HELP,
	{ 0 },
};

static const struct cli_opt update_table[] = {
	{ "resources", 'r', true, c_resources, "a LinuxResources JSON FILE, or - for stdin" },
	{ "memory", 'm', true, c_memory, "memory limit in bytes" },
	{ "memory-swap", 0, true, c_memory_swap, "memory+swap limit in bytes (-1: unlimited)" },
	{ "cpu-quota", 0, true, c_cpu_quota, "CPU quota in us per period" },
	{ "cpu-period", 0, true, c_cpu_period, "CPU period in us" },
	{ "cpu-share", 0, true, c_cpu_shares, "CPU shares" },
	{ "cpu-shares", 0, true, c_cpu_shares, "CPU shares" },
	{ "pids-limit", 0, true, c_pids_limit, "most tasks" },
	{ "cpuset-cpus", 0, true, c_cpuset, "CPUs the container may use" },
	HELP,
	{ 0 },
};

static const struct cli_opt events_table[] = {
	{ "stats", 0, false, c_stats, "print the stats once and exit" },
	{ "interval", 0, true, c_interval, "seconds between stats (default 5s)" },
	HELP,
	{ 0 },
};

/* Parse a command's flags into *o; its positional words start at *i.  1
 * when --help was given (shown), -1 on error (reported). */
static int parse_cmd(const struct runc_global *g, const struct cli_opt *table, const char *synopsis,
		     struct cmd_opts *o, int argc, char **argv, int *i)
{
	_cleanup_err_ struct pd_err *err = NULL;
	*i = 1;
	if (cli_parse(table, o, argc, argv, i, &err) < 0) {
		fail(g, err);
		return -1;
	}
	if (o->help) {
		printf("Usage: pocket-runc %s %s\n", argv[0], synopsis);
		cli_print_options(table);
		return 1;
	}
	return 0;
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

/* The state root, or an error reported. */
static char *state_root(const struct runc_global *g)
{
	char *root = g->root ? xstrdup(g->root) : default_root();
	if (!root)
		failf(g, "no state root: give --root DIR (neither XDG_RUNTIME_DIR nor HOME is set)");
	return root;
}

/* The words after the flags: exactly `want` (the id first), or with
 * `more`, at least `want`. */
static int need_args(const struct runc_global *g, int argc, char **argv, int i, int want, bool more)
{
	int have = argc - i;
	if (have == want || (more && have > want))
		return 0;
	if (have < want)
		failf(g, "%s: %s", argv[0], want == 1 ? "needs a container id" : "missing arguments");
	else
		failf(g, "%s: unexpected argument '%s'", argv[0], argv[i + want]);
	return -1;
}

/* Every command: parse, check the words, find the root, then `body`. */
#define COMMAND_PROLOGUE(table, synopsis, want, more)                                                        \
	struct cmd_opts o = { 0 };                                                                           \
	int i;                                                                                               \
	int p = parse_cmd(g, table, synopsis, &o, argc, argv, &i);                                           \
	_cleanup_free_ char *root = NULL;                                                                    \
	if (p == 0 && need_args(g, argc, argv, i, want, more) < 0)                                           \
		p = -1;                                                                                      \
	if (p == 0 && !(root = state_root(g)))                                                               \
		p = -1;                                                                                      \
	if (p != 0) {                                                                                        \
		opts_free(&o);                                                                               \
		return p > 0 ? 0 : CLI_EXIT_FAILED;                                                          \
	}                                                                                                    \
	_cleanup_err_ struct pd_err *err = NULL;                                                             \
	int code = 0;

#define COMMAND_EPILOGUE                                                                                     \
	opts_free(&o);                                                                                       \
	return code;

static int cmd_spec(const struct runc_global *g, int argc, char **argv)
{
	struct cmd_opts o = { 0 };
	int i;
	int p = parse_cmd(g, spec_table, "[--rootless] [--bundle DIR]", &o, argc, argv, &i);
	if (p == 0 && i < argc)
		p = (failf(g, "spec takes no arguments"), -1);
	if (p != 0) {
		opts_free(&o);
		return p > 0 ? 0 : CLI_EXIT_FAILED;
	}
	_cleanup_err_ struct pd_err *err = NULL;
	_cleanup_free_ char *text = pd_oci_runnable_spec(o.rootless, &err);
	_cleanup_free_ char *path = xasprintf("%s/config.json", o.bundle ? o.bundle : ".");
	opts_free(&o);
	if (!text)
		return fail(g, err);
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

/* The spec's features document (runtime-spec features.md). */
static int cmd_features(const struct runc_global *g, int argc, char **argv)
{
	_cleanup_err_ struct pd_err *err = NULL;
	_cleanup_free_ char *text = pd_oci_features(&err);
	if (!text)
		return fail(g, err);
	printf("%s\n", text);
	return 0;
}

/* --preserve-fds N: the caller's fds 3..3+N-1 go to the container, so
 * each must be open now (else a file of the runtime's could take the
 * number and cross over). */
static int check_preserve_fds(const struct runc_global *g, const struct cmd_opts *o)
{
	for (unsigned fd = 3; fd < 3 + o->preserve_fds; fd++)
		if (fcntl((int)fd, F_GETFD) < 0)
			return failf(g, "--preserve-fds %u: fd %u is not open", o->preserve_fds, fd), -1;
	return 0;
}

static int refuse_preserve_fds(const struct runc_global *g, const struct cmd_opts *o)
{
	return o->preserve_fds ? (failf(g, "exec --preserve-fds: passing more fds is not supported yet"), -1)
			       : 0;
}

static int cmd_create(const struct runc_global *g, int argc, char **argv)
{
	COMMAND_PROLOGUE(create_table, "[--bundle DIR] [--pid-file FILE] [--console-socket SOCK] ID", 1,
			 false)
	struct pd_oci_create_opts co = {
		.bundle = o.bundle ? o.bundle : ".",
		.pid_file = o.pid_file,
		.console_socket = o.console_socket,
		.systemd_cgroup = g->systemd_cgroup,
		.preserve_fds = (int)o.preserve_fds,
	};
	pid_t pid;
	if (check_preserve_fds(g, &o) < 0)
		code = CLI_EXIT_FAILED;
	else if (pd_oci_create(root, argv[i], &co, &pid, NULL, &err) < 0)
		code = fail(g, err);
	COMMAND_EPILOGUE
}

static int cmd_start(const struct runc_global *g, int argc, char **argv)
{
	COMMAND_PROLOGUE(no_table, "ID", 1, false)
	char *w = NULL;
	if (pd_oci_start(root, argv[i], &w, &err) < 0)
		code = fail(g, err);
	warn(g, w);
	COMMAND_EPILOGUE
}

static int print_json(json_t *j)
{
	char *text = j ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	if (text)
		printf("%s\n", text);
	free(text);
	json_decref(j);
	return text ? 0 : -1;
}

static int cmd_state(const struct runc_global *g, int argc, char **argv)
{
	COMMAND_PROLOGUE(no_table, "ID", 1, false)
	json_t *j = pd_oci_state(root, argv[i], &err);
	if (!j)
		code = fail(g, err);
	else
		print_json(j);
	COMMAND_EPILOGUE
}

static int cmd_kill(const struct runc_global *g, int argc, char **argv)
{
	COMMAND_PROLOGUE(kill_table, "[--all] ID [SIGNAL]", 1, true)
	int sig = SIGTERM;
	if (argc - i > 2)
		code = failf(g, "kill: unexpected argument '%s'", argv[i + 2]);
	else if (argc - i == 2 && (sig = pd_signal_parse(argv[i + 1])) <= 0)
		code = failf(g, "kill: unknown signal '%s'", argv[i + 1]);
	else if (pd_oci_kill(root, argv[i], sig, o.all, &err) < 0)
		code = fail(g, err);
	COMMAND_EPILOGUE
}

static int cmd_delete(const struct runc_global *g, int argc, char **argv)
{
	COMMAND_PROLOGUE(delete_table, "[--force] ID", 1, false)
	char *w = NULL;
	if (pd_oci_delete(root, argv[i], o.force, &w, &err) < 0)
		code = fail(g, err);
	warn(g, w);
	COMMAND_EPILOGUE
}

static int cmd_pause(const struct runc_global *g, int argc, char **argv)
{
	COMMAND_PROLOGUE(no_table, "ID", 1, false)
	if (pd_oci_pause(root, argv[i], !strcmp(argv[0], "pause"), &err) < 0)
		code = fail(g, err);
	COMMAND_EPILOGUE
}

/* The command line of a process, as ps shows it. */
static char *proc_cmdline(pid_t pid)
{
	_cleanup_free_ char *path = xasprintf("/proc/%d/cmdline", (int)pid);
	size_t len = 0;
	char *text = pd_read_file(path, &len, pd_err_ignore(gone));
	if (!text || !len) {
		free(text);
		return xstrdup("?");
	}
	for (size_t k = 0; k + 1 < len; k++)
		if (!text[k])
			text[k] = ' ';
	return text;
}

static int cmd_ps(const struct runc_global *g, int argc, char **argv)
{
	COMMAND_PROLOGUE(ps_table, "[--format table|json] ID", 1, true)
	pid_t *pids = NULL;
	size_t n = 0;
	if (pd_oci_pids(root, argv[i], &pids, &n, &err) < 0) {
		code = fail(g, err);
	} else if (o.format && !strcmp(o.format, "json")) {
		printf("[");
		for (size_t k = 0; k < n; k++)
			printf("%s%d", k ? "," : "", (int)pids[k]);
		printf("]\n");
	} else {
		struct cli_table t;
		cli_table_init(&t, 2);
		cli_table_add(&t, (const char *[]){ "PID", "CMD" });
		for (size_t k = 0; k < n; k++) {
			_cleanup_free_ char *pid = xasprintf("%d", (int)pids[k]);
			_cleanup_free_ char *cmd = proc_cmdline(pids[k]);
			cli_table_add(&t, (const char *[]){ pid, cmd });
		}
		cli_table_print(&t);
		cli_table_free(&t);
	}
	free(pids);
	COMMAND_EPILOGUE
}

static int cmd_list(const struct runc_global *g, int argc, char **argv)
{
	COMMAND_PROLOGUE(list_table, "[--format table|json] [--quiet]", 0, false)
	json_t *all = pd_oci_list(root, &err);
	size_t k;
	json_t *s;
	if (!all) {
		code = fail(g, err);
	} else if (o.quiet) {
		json_array_foreach(all, k, s) printf("%s\n", json_string_value(json_object_get(s, "id")));
		json_decref(all);
	} else if (o.format && !strcmp(o.format, "json")) {
		print_json(all);
	} else {
		struct cli_table t;
		cli_table_init(&t, 6);
		cli_table_add(&t, (const char *[]){ "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER" });
		json_array_foreach(all, k, s)
		{
			_cleanup_free_ char *pid =
			    xasprintf("%lld", (long long)json_integer_value(json_object_get(s, "pid")));
			const char *row[6] = { json_string_value(json_object_get(s, "id")),
					       pid,
					       json_string_value(json_object_get(s, "status")),
					       json_string_value(json_object_get(s, "bundle")),
					       json_string_value(json_object_get(s, "created")),
					       json_string_value(json_object_get(s, "owner")) };
			cli_table_add(&t, row);
		}
		cli_table_print(&t);
		cli_table_free(&t);
		json_decref(all);
	}
	COMMAND_EPILOGUE
}

static int cmd_update(const struct runc_global *g, int argc, char **argv)
{
	COMMAND_PROLOGUE(update_table, "[--resources FILE|-] [--memory N] ... ID", 1, false)
	_cleanup_free_ char *text = NULL;
	if (o.resources) {
		size_t len = 0;
		text = !strcmp(o.resources, "-") ? pd_read_fd(0, PD_OCI_MAX_JSON, &len)
						 : pd_read_regular(o.resources, "resources", 1, &len, &err);
		if (!text && !err)
			pd_fail(&err, errno, "read the resources from stdin");
	}
	if (o.resources && !text)
		code = fail(g, err);
	else if (pd_oci_update(root, argv[i], text, &o.limits, &err) < 0)
		code = fail(g, err);
	COMMAND_EPILOGUE
}

static int cmd_events(const struct runc_global *g, int argc, char **argv)
{
	COMMAND_PROLOGUE(events_table, "[--stats] [--interval 5s] ID", 1, false)
	for (;;) {
		json_t *j = pd_oci_stats(root, argv[i], &err);
		if (!j) {
			/* The stream ends with the container. */
			if (o.stats || err->errnum != ESRCH)
				code = fail(g, err);
			break;
		}
		char *line = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
		json_decref(j);
		printf("%s\n", line ? line : "{}");
		free(line);
		fflush(stdout);
		if (o.stats)
			break;
		sleep(o.interval_s ? (unsigned)o.interval_s : 5);
	}
	COMMAND_EPILOGUE
}

static int cmd_exec(const struct runc_global *g, int argc, char **argv)
{
	COMMAND_PROLOGUE(exec_table, "[OPTIONS] ID [COMMAND [ARG...]]", 1, true)
	_cleanup_free_ char *process = NULL;
	if (o.process) {
		size_t len = 0;
		process = pd_read_regular(o.process, "process", 1, &len, &err);
	}
	struct pd_oci_exec_opts eo = {
		.process_json = process,
		.argv = argv + i + 1,
		.env = o.env,
		.user = o.user,
		.cwd = o.cwd,
		.caps = o.caps,
		.tty = o.tty,
		.detach = o.detach,
		.console_socket = o.console_socket,
		.pid_file = o.pid_file,
	};
	pid_t pid;
	/* runc exits 255 when exec itself fails. */
	if (refuse_preserve_fds(g, &o) < 0)
		code = 255;
	else if ((o.process && !process) || pd_oci_exec(root, argv[i], &eo, &pid, &code, &err) < 0)
		code = (fail(g, err), 255);
	COMMAND_EPILOGUE
}

/* The signals a foreground `run` passes on to the container's init, as
 * runc's does: the container decides what they mean. */
static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH };

static void block_forwarded(sigset_t *old)
{
	sigset_t set;
	sigemptyset(&set);
	for (size_t k = 0; k < ARRAY_SIZE(forwarded); k++)
		sigaddset(&set, forwarded[k]);
	sigprocmask(SIG_BLOCK, &set, old);
}

/* `run` in the foreground, until the init exits: the signals above go to
 * it through its pidfd; with process.terminal and no console socket the
 * pty master is relayed to our own stdio (raw when it is a terminal), and
 * our window size follows to it. */
static void wait_foreground(int pidfd, int master)
{
	sigset_t set;
	sigemptyset(&set);
	for (size_t k = 0; k < ARRAY_SIZE(forwarded); k++)
		sigaddset(&set, forwarded[k]);
	_cleanup_close_ int sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	struct winsize ws;
	if (master >= 0) {
		cli_term_raw();
		if (ioctl(0, TIOCGWINSZ, &ws) == 0)
			ioctl(master, TIOCSWINSZ, &ws);
	}
	bool in_open = master >= 0, out_open = master >= 0;
	for (;;) {
		struct pollfd p[] = { { in_open ? 0 : -1, POLLIN, 0 },
				      { out_open ? master : -1, POLLIN, 0 },
				      { pidfd, POLLIN, 0 },
				      { sfd, POLLIN, 0 } };
		if (poll(p, 4, -1) < 0 && errno != EINTR)
			break;
		if (p[0].revents)
			in_open = relay_copy(0, master);
		if (p[1].revents)
			out_open = relay_copy(master, 1);
		struct signalfd_siginfo si;
		while (p[3].revents && read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
			if (si.ssi_signo == SIGWINCH && master >= 0 && ioctl(0, TIOCGWINSZ, &ws) == 0)
				ioctl(master, TIOCSWINSZ, &ws);
			else if (si.ssi_signo != SIGWINCH)
				syscall(SYS_pidfd_send_signal, pidfd, (int)si.ssi_signo, NULL, 0);
		}
		if (p[2].revents) {
			if (out_open)
				relay_drain(master, 1);
			break;
		}
	}
	if (master >= 0)
		cli_term_restore();
}

static int cmd_run(const struct runc_global *g, int argc, char **argv)
{
	COMMAND_PROLOGUE(run_table, "[--bundle DIR] [--detach] [--pid-file FILE] ID", 1, false)
	struct pd_oci_create_opts co = {
		.bundle = o.bundle ? o.bundle : ".",
		.pid_file = o.pid_file,
		.console_socket = o.console_socket,
		.systemd_cgroup = g->systemd_cgroup,
		.preserve_fds = (int)o.preserve_fds,
	};
	const char *id = argv[i];
	pid_t pid = -1;
	int master = -1;
	bool relay = !o.detach && !o.console_socket;
	char *w = NULL;
	sigset_t old;
	/* From before the container exists: a signal meanwhile is passed on
	 * once it runs, never the end of this process with the container
	 * left behind. */
	if (!o.detach)
		block_forwarded(&old);
	if (check_preserve_fds(g, &o) < 0) {
		code = CLI_EXIT_FAILED;
	} else if (pd_oci_create(root, id, &co, &pid, relay ? &master : NULL, &err) < 0) {
		code = fail(g, err);
	} else if (o.detach) {
		if (pd_oci_start(root, id, &w, &err) < 0) {
			code = fail(g, err);
			pd_oci_delete(root, id, true, NULL, pd_err_ignore(cleanup));
		}
	} else {
		/* runc's run: the container's status is ours, and it is gone
		 * after. */
		_cleanup_close_ int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
		if (pd_oci_start(root, id, &w, &err) < 0) {
			code = fail(g, err);
			kill(pid, SIGKILL); /* it waits for a start that will not come */
		} else if (pidfd >= 0) {
			wait_foreground(pidfd, master);
		}
		int status = 0;
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		if (code == 0)
			code = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
		char *w2 = NULL;
		if (pd_oci_delete(root, id, true, &w2, &err) < 0 && code == 0)
			code = fail(g, err);
		warn(g, w2);
	}
	warn(g, w);
	if (master >= 0)
		close(master);
	if (!o.detach)
		sigprocmask(SIG_SETMASK, &old, NULL);
	COMMAND_EPILOGUE
}

static const struct command commands[] = {
	{ "create", cmd_create, "create a container from a bundle; it waits for 'start'" },
	{ "start", cmd_start, "start a created container" },
	{ "run", cmd_run, "create and start a container (in the foreground unless --detach)" },
	{ "state", cmd_state, "print a container's state (JSON)" },
	{ "list", cmd_list, "list the containers" },
	{ "kill", cmd_kill, "send a signal to a container's init (or, with --all, every process)" },
	{ "delete", cmd_delete, "delete a stopped (or, with --force, any) container" },
	{ "exec", cmd_exec, "run a process in a container" },
	{ "ps", cmd_ps, "list a container's processes" },
	{ "pause", cmd_pause, "freeze every process of a container" },
	{ "resume", cmd_pause, "thaw a paused container" },
	{ "update", cmd_update, "change a container's resource limits" },
	{ "events", cmd_events, "print a container's resource usage (--stats: once)" },
	{ "spec", cmd_spec, "write a default config.json in the bundle" },
	{ "features", cmd_features, "print the features this runtime supports (JSON)" },
	{ 0 },
};

int cli_runc(int argc, char **argv)
{
	struct runc_global g = { 0 };
	_cleanup_err_ struct pd_err *err = NULL;
	int i = 1, code = -1;
	/* A caller may start us with stdio closed: the first files opened
	 * (a lock, a state file) must not land on fds 0-2, which go to the
	 * container.  open() takes the lowest free fd. */
	for (int fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd)
			return CLI_EXIT_FAILED;
	if (cli_parse(global_table, &g, argc, argv, &i, &err) < 0) {
		code = fail(&g, err);
	} else if (g.help) {
		usage(stdout);
		code = 0;
	} else if (g.version) {
		/* runc's three lines (go-runc parses them). */
		printf("pocket-runc version %s\ncommit: pocket-docker\nspec: %s\n", RUNC_VERSION,
		       pd_oci_spec_version());
		code = 0;
	} else if (i >= argc) {
		usage(stderr);
		code = CLI_EXIT_FAILED;
	} else {
		for (const struct command *c = commands; c->name; c++)
			if (!strcmp(argv[i], c->name))
				code = c->run(&g, argc - i, argv + i);
		if (code < 0)
			code = failf(&g, "unknown command '%s' (see 'pocket-runc --help')", argv[i]);
	}
	free(g.root);
	free(g.log);
	return code;
}
