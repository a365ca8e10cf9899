/* `pocket-docker attach [--detach-keys KEYS] CONTAINER`, and the attached
 * session shared with `run` (and `exec -t`): the caller's terminal in raw
 * mode when the container has one, restored on every way out (exit, error,
 * detach, and the signals that would otherwise end us first). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/container.h"
#include "util/cleanup.h"
#include "util/str.h"
#include "util/xalloc.h"

/* The caller's terminal, raw while a session is attached to a container's
 * terminal: every key (Ctrl-C too) goes to the container. */
static struct termios saved_term;

static int term_raw(int fd, struct termios *saved)
{
	if (tcgetattr(fd, saved) < 0)
		return -1;
	struct termios raw = *saved;
	cfmakeraw(&raw);
	/* Keep output processing: the container's tty already translates
	 * newlines; only input must reach it untouched. */
	raw.c_oflag = saved->c_oflag;
	return tcsetattr(fd, TCSADRAIN, &raw);
}

static void term_restore(int fd, const struct termios *saved)
{
	int e = errno;
	tcsetattr(fd, TCSADRAIN, saved);
	errno = e;
}

static volatile sig_atomic_t term_is_raw;

static void restore_term(void)
{
	if (term_is_raw) {
		term_restore(0, &saved_term);
		term_is_raw = 0;
	}
}

static void restore_and_die(int sig)
{
	restore_term();
	signal(sig, SIG_DFL);
	raise(sig);
}

void cli_term_raw(void)
{
	if (!isatty(0) || term_raw(0, &saved_term) < 0)
		return;
	term_is_raw = 1;
	atexit(restore_term);
	static const int sigs[] = { SIGTERM, SIGHUP, SIGQUIT, SIGINT };
	struct sigaction sa = { .sa_handler = restore_and_die };
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
		sigaction(sigs[i], &sa, NULL);
}

void cli_term_restore(void)
{
	restore_term();
}

int cli_attach_session(int fd, pid_t pid, bool tty, bool stdin_open, const char *detach_keys,
		       struct pd_attach_end *end, int *code, struct pd_err **err)
{
	struct pd_attach_opts o = {
		.stdin_open = stdin_open, .tty = tty, .detach_keys = detach_keys, .end = end
	};
	if (tty && stdin_open)
		cli_term_raw();
	int r = pd_container_attach(fd, pid, &o, code, err);
	restore_term();
	/* Detached: the caller's prompt starts on a line of its own. */
	if (r == 1 && tty && isatty(2))
		(void)!write(2, "\n", 1);
	return r;
}

struct attach_cli {
	char *keys;
	bool no_stdin;
	bool help;
};

static int set_keys(void *o, const char *a, struct pd_err **err)
{
	return cli_set_detach_keys(&((struct attach_cli *)o)->keys, a, err);
}

static int set_no_stdin(void *o, const char *a, struct pd_err **err)
{
	((struct attach_cli *)o)->no_stdin = true;
	return 0;
}

static int set_help(void *o, const char *a, struct pd_err **err)
{
	((struct attach_cli *)o)->help = true;
	return 0;
}

static const struct cli_opt attach_table[] = {
	{ "detach-keys", 0, true, set_keys, "keys that detach (default ctrl-p,ctrl-q)" },
	{ "no-stdin", 0, false, set_no_stdin, "do not attach stdin" },
	{ "help", 0, false, set_help, "show this help" },
	{ 0 },
};

static int attach_main(const struct cli_global *g, struct attach_cli *a, int argc, char **argv,
		       struct pd_err **err)
{
	int i = 1;
	if (cli_parse(attach_table, a, argc, argv, &i, err) < 0)
		return -1;
	if (a->help) {
		printf("Usage: pocket-docker attach [OPTIONS] CONTAINER\n\n"
		       "Attach to a running container's input and output.\n");
		cli_print_options(attach_table);
		return 0;
	}
	if (argc - i != 1)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "attach takes exactly one container");
	_cleanup_free_ char *root = pd_state_root(g->root, err);
	if (!root)
		return -1;
	int fd, code = 0;
	pid_t pid;
	bool tty, stdin_open;
	if (pd_container_connect(root, argv[i], &fd, &pid, &tty, &stdin_open, err) < 0)
		return -1;
	if (!a->keys)
		a->keys = xstrdup("\x10\x11");
	int r = cli_attach_session(fd, pid, tty, stdin_open && !a->no_stdin, a->keys, NULL, &code, err);
	close(fd);
	return r < 0 ? -1 : r == 1 ? 0 : code;
}

int cli_attach(const struct cli_global *g, int argc, char **argv)
{
	struct attach_cli a = { 0 };
	_cleanup_err_ struct pd_err *err = NULL;
	int code = attach_main(g, &a, argc, argv, &err);
	free(a.keys);
	if (code < 0)
		return cli_fail(err);
	return code;
}
