/* `pocket-docker exec [-i] [-t] [-d] [-e KEY=VALUE] [-u USER] [-w DIR]
 * [--detach-keys KEYS] CONTAINER COMMAND [ARG...]`: exit status as for run (125/126/127, or the
 * command's own). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/config.h"
#include "core/container.h"
#include "core/exec.h"
#include "util/cleanup.h"
#include "util/str.h"
#include "util/xalloc.h"

struct exec_cli {
	struct pd_exec_opts o;
	char **env;
	char *user, *workdir, *keys;
	bool help;
};

#define EO(p) ((struct exec_cli *)(p))

static int set_i(void *p, const char *a, struct pd_err **err)
{
	EO(p)->o.interactive = true;
	return 0;
}

static int set_t(void *p, const char *a, struct pd_err **err)
{
	EO(p)->o.tty = true;
	return 0;
}

static int set_d(void *p, const char *a, struct pd_err **err)
{
	EO(p)->o.detach = true;
	return 0;
}

static int set_e(void *p, const char *a, struct pd_err **err)
{
	return pd_env_add(&EO(p)->env, a, err);
}

static int set_u(void *p, const char *a, struct pd_err **err)
{
	free(EO(p)->user);
	EO(p)->user = xstrdup(a);
	return 0;
}

static int set_w(void *p, const char *a, struct pd_err **err)
{
	if (pd_check_container_path("working directory", a, err) < 0)
		return -1;
	free(EO(p)->workdir);
	EO(p)->workdir = xstrdup(a);
	return 0;
}

static int set_keys(void *p, const char *a, struct pd_err **err)
{
	return cli_set_detach_keys(&EO(p)->keys, a, err);
}

static int set_help(void *p, const char *a, struct pd_err **err)
{
	EO(p)->help = true;
	return 0;
}

static const struct cli_opt exec_table[] = {
	{ "interactive", 'i', false, set_i, "keep stdin open" },
	{ "tty", 't', false, set_t, "allocate a terminal" },
	{ "detach", 'd', false, set_d, "run the command in the background" },
	{ "env", 'e', true, set_e, "set KEY=VALUE" },
	{ "user", 'u', true, set_u, "UID[:GID] or a name from the container's /etc/passwd" },
	{ "workdir", 'w', true, set_w, "working directory inside the container" },
	{ "detach-keys", 0, true, set_keys, "keys that detach from -it (default ctrl-p,ctrl-q)" },
	{ "help", 0, false, set_help, "show this help" },
	{ 0 },
};

static int exec_main(const struct cli_global *g, struct exec_cli *e, int argc, char **argv,
		     struct pd_err **err)
{
	int i = 1, code = 125;
	if (cli_parse(exec_table, e, argc, argv, &i, err) < 0)
		return -1;
	if (e->help) {
		printf("Usage: pocket-docker exec [OPTIONS] CONTAINER COMMAND [ARG...]\n\n"
		       "Run a command in a running container.\n");
		cli_print_options(exec_table);
		return 0;
	}
	if (argc - i < 2)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "exec needs a container and a command");
	_cleanup_free_ char *root = pd_state_root(g->root, err);
	if (!root)
		return -1;
	e->o.argv = argv + i + 1;
	e->o.env = e->env;
	e->o.user = e->user;
	e->o.workdir = e->workdir;
	e->o.detach_keys = e->keys ? e->keys : "\x10\x11";
	if (e->o.tty) {
		pd_env_add(&e->env, "TERM=xterm", pd_err_ignore(constant));
		e->o.env = e->env;
		if (e->o.interactive)
			cli_term_raw();
	}
	int r = pd_container_exec(root, argv[i], &e->o, &code, err);
	cli_term_restore();
	return r < 0 ? -1 : code;
}

int cli_exec(const struct cli_global *g, int argc, char **argv)
{
	struct exec_cli e = { 0 };
	_cleanup_err_ struct pd_err *err = NULL;
	int code = exec_main(g, &e, argc, argv, &err);
	if (code < 0) {
		pd_err_print(err);
		code = pd_err_exec_status(err->kind);
	}
	strv_free(e.env);
	free(e.user);
	free(e.workdir);
	free(e.keys);
	return code;
}
