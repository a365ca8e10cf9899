/* `pocket-docker push`, `login` and `logout`: the command-line face of
 * pd_image_push (core/images.h) and of the stored credentials
 * (core/auth.h).
 *
 * A password is never taken from argv (it would show in ps and in the
 * shell's history): `login` reads it from stdin with --password-stdin, or
 * from the terminal with echo off; -p/--password is refused with a line
 * saying why. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/auth.h"
#include "core/container.h"
#include "core/images.h"
#include "util/cleanup.h"
#include "util/str.h"
#include "util/xalloc.h"

#define CHUNK_ENV     "POCKET_DOCKER_PUSH_CHUNK"
#define CHUNK_DEFAULT (64ull << 20)

static void wipe_free(char **p)
{
	if (*p)
		explicit_bzero(*p, strlen(*p));
	free(*p);
}
#define _cleanup_secret_ _cleanup_(wipe_free)

struct push_opts {
	bool quiet, insecure, help, password_stdin, password_arg;
	char *username;
};
#define PO(o) ((struct push_opts *)(o))

static int opt_quiet(void *o, const char *a, struct pd_err **err)
{
	(void)a, (void)err;
	PO(o)->quiet = true;
	return 0;
}

static int opt_insecure(void *o, const char *a, struct pd_err **err)
{
	(void)a, (void)err;
	PO(o)->insecure = true;
	return 0;
}

static int opt_help(void *o, const char *a, struct pd_err **err)
{
	(void)a, (void)err;
	PO(o)->help = true;
	return 0;
}

static int opt_username(void *o, const char *a, struct pd_err **err)
{
	(void)err;
	free(PO(o)->username);
	PO(o)->username = xstrdup(a);
	return 0;
}

static int opt_password_stdin(void *o, const char *a, struct pd_err **err)
{
	(void)a, (void)err;
	PO(o)->password_stdin = true;
	return 0;
}

/* The value is never looked at, only refused. */
static int opt_password(void *o, const char *a, struct pd_err **err)
{
	(void)o, (void)a;
	return pd_fail_kind(err, PD_ERR_USAGE, 0,
			    "--password is refused: a password on the command line shows in ps and the shell "
			    "history (use --password-stdin, or type it at the prompt)");
}

/* ------------------------------------------------------------------ */
/* push */

static const struct cli_opt push_table[] = {
	{ "quiet", 'q', false, opt_quiet, "print only the final line" },
	{ "insecure", 0, false, opt_insecure, "plain http to a registry that is not on loopback" },
	{ "help", 0, false, opt_help, "show this help" },
	{ 0 },
};

static void show_step(const struct pd_push_step *s, void *data)
{
	(void)data;
	if (!s->digest) {
		_cleanup_free_ char *repo = str_escape(s->repo);
		printf("The push refers to repository [%s]\n", repo);
		fflush(stdout);
		return;
	}
	if (s->config)
		return;
	const char *hex = s->digest + strlen("sha256:");
	if (s->outcome == PD_PUSHED_ALREADY) {
		printf("%.12s: Layer already exists\n", hex);
	} else if (s->outcome == PD_PUSHED_MOUNTED) {
		_cleanup_free_ char *from = str_escape(s->mounted);
		printf("%.12s: Mounted from %s\n", hex, from);
	} else {
		printf("%.12s: Pushed\n", hex);
	}
	fflush(stdout);
}

/* POCKET_DOCKER_PUSH_CHUNK: bytes per PATCH for blobs larger than that
 * (0: always one PUT). */
static int chunk_size(uint64_t *chunk, struct pd_err **err)
{
	const char *v = getenv(CHUNK_ENV);
	*chunk = CHUNK_DEFAULT;
	if (!v || !*v)
		return 0;
	char *end;
	errno = 0;
	unsigned long long n = strtoull(v, &end, 10);
	if (errno || *end || v[0] == '-')
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "%s='%s': not a number of bytes", CHUNK_ENV, v);
	*chunk = n;
	return 0;
}

static int push_main(const struct cli_global *g, struct push_opts *o, int argc, char **argv,
		     struct pd_err **err)
{
	int i = 1;
	if (cli_parse(push_table, o, argc, argv, &i, err) < 0)
		return -1;
	if (o->help) {
		printf("Usage: pocket-docker push [OPTIONS] NAME[:TAG]\n\n"
		       "Push an image to the registry its name says.\n");
		cli_print_options(push_table);
		return 0;
	}
	if (i != argc - 1)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "push needs one image name");
	_cleanup_free_ char *root = pd_state_root(g->root, err);
	if (!root)
		return -1;
	struct pd_push_opts po = {
		.insecure = o->insecure,
		.step = o->quiet ? NULL : show_step,
	};
	if (chunk_size(&po.chunk, err) < 0)
		return -1;
	_cleanup_free_ char *tag = NULL;
	char digest[PD_DIGEST_LEN + 1];
	uint64_t size = 0;
	if (pd_image_push(root, argv[i], &po, &tag, digest, &size, err) < 0)
		return -1;
	_cleanup_free_ char *shown = str_escape(tag);
	printf("%s: digest: %s size: %" PRIu64 "\n", shown, digest, size);
	return 0;
}

int cli_push(const struct cli_global *g, int argc, char **argv)
{
	struct push_opts o = { 0 };
	_cleanup_err_ struct pd_err *err = NULL;
	int code = push_main(g, &o, argc, argv, &err) < 0 ? cli_fail(err) : 0;
	free(o.username);
	return code;
}

/* ------------------------------------------------------------------ */
/* login, logout */

static const struct cli_opt login_table[] = {
	{ "username", 'u', true, opt_username, "user name" },
	{ "password-stdin", 0, false, opt_password_stdin, "read the password from stdin" },
	{ "password", 'p', true, opt_password, "refused: use --password-stdin" },
	{ "insecure", 0, false, opt_insecure, "plain http to a registry that is not on loopback" },
	{ "help", 0, false, opt_help, "show this help" },
	{ 0 },
};

/* One line from `f`, without its line ending. */
static char *read_line(FILE *f)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n = getline(&line, &cap, f);
	if (n < 0) {
		free(line);
		return NULL;
	}
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	return line;
}

/* A line typed on the terminal, echoed or not. */
static char *prompt(const char *what, bool echo, struct pd_err **err)
{
	_cleanup_fclose_ FILE *tty = fopen("/dev/tty", "r+e");
	if (!tty) {
		pd_fail_kind(err, PD_ERR_USAGE, errno,
			     "no terminal to ask the %s (use --username and --password-stdin)", what);
		return NULL;
	}
	struct termios old, quiet;
	bool restore = false;
	if (!echo && tcgetattr(fileno(tty), &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		restore = tcsetattr(fileno(tty), TCSAFLUSH, &quiet) == 0;
	}
	fprintf(tty, "%s: ", echo ? "Username" : "Password");
	fflush(tty);
	char *line = read_line(tty);
	if (restore) {
		tcsetattr(fileno(tty), TCSAFLUSH, &old);
		fputc('\n', tty);
	}
	if (!line)
		pd_fail_kind(err, PD_ERR_USAGE, 0, "no %s given", what);
	return line;
}

static int login_main(const struct push_opts *o, int argc, char **argv, int i, struct pd_err **err)
{
	if (i < argc - 1)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "login takes at most one registry");
	const char *server = i < argc ? argv[i] : NULL;
	_cleanup_free_ char *user = o->username ? xstrdup(o->username) : NULL;
	if (!user && o->password_stdin)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "--password-stdin needs --username");
	if (!user && !(user = prompt("user name", true, err)))
		return -1;
	_cleanup_secret_ char *password = NULL;
	if (o->password_stdin) {
		password = read_line(stdin);
		if (!password)
			return pd_fail_kind(err, PD_ERR_USAGE, 0, "--password-stdin: no password on stdin");
	} else if (!(password = prompt("password", false, err))) {
		return -1;
	}
	if (!*password)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "the password is empty");
	_cleanup_free_ char *key = NULL;
	if (pd_auth_login(server, user, password, o->insecure, &key, err) < 0)
		return -1;
	_cleanup_free_ char *path = pd_auth_config_path(err);
	if (path) {
		_cleanup_free_ char *shown = str_escape(path);
		fprintf(stderr, "WARNING! Your password is stored unencrypted in %s.\n", shown);
	}
	printf("Login Succeeded\n");
	return 0;
}

int cli_login(const struct cli_global *g, int argc, char **argv)
{
	(void)g;
	struct push_opts o = { 0 };
	_cleanup_err_ struct pd_err *err = NULL;
	int i = 1, code = 0;
	if (cli_parse(login_table, &o, argc, argv, &i, &err) < 0) {
		code = cli_fail(err);
	} else if (o.help) {
		printf("Usage: pocket-docker login [OPTIONS] [SERVER]\n\n"
		       "Log in to a registry (default: docker.io).\n");
		cli_print_options(login_table);
	} else if (login_main(&o, argc, argv, i, &err) < 0) {
		code = cli_fail(err);
	}
	free(o.username);
	return code;
}

static const struct cli_opt logout_table[] = {
	{ "help", 0, false, opt_help, "show this help" },
	{ 0 },
};

int cli_logout(const struct cli_global *g, int argc, char **argv)
{
	(void)g;
	struct push_opts o = { 0 };
	_cleanup_err_ struct pd_err *err = NULL;
	int i = 1;
	if (cli_parse(logout_table, &o, argc, argv, &i, &err) < 0)
		return cli_fail(err);
	if (o.help) {
		printf("Usage: pocket-docker logout [SERVER]\n\nLog out from a registry (default: "
		       "docker.io).\n");
		cli_print_options(logout_table);
		return 0;
	}
	if (i < argc - 1)
		return cli_usage_error("logout takes at most one registry");
	bool removed;
	_cleanup_free_ char *key = NULL;
	if (pd_auth_logout(i < argc ? argv[i] : NULL, &removed, &key, &err) < 0)
		return cli_fail(err);
	_cleanup_free_ char *shown = str_escape(key);
	if (removed)
		printf("Removing login credentials for %s\n", shown);
	else
		printf("Not logged in to %s\n", shown);
	return 0;
}
