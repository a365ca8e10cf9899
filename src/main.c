/* pocket-docker: the command table.  Global flags come before the command.
 * Every command exits 125 on bad input (usage errors, unknown flags, no such
 * container or image): see cli_exit_code(). */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static const struct {
	const char *name;
	int (*run)(const struct cli_global *g, int argc, char **argv);
	const char *summary;
} commands[] = {
	{ "run", cli_run, "Run a command in a new container" },
	{ "attach", cli_attach, "Attach to a running container" },
	{ "exec", cli_exec, "Run a command in a running container" },
	{ "ps", cli_ps, "List containers" },
	{ "logs", cli_logs, "Show a container's output" },
	{ "stop", cli_stop, "Stop containers (SIGTERM, then SIGKILL)" },
	{ "kill", cli_kill, "Send a signal to containers" },
	{ "rm", cli_rm, "Remove containers" },
	{ "wait", cli_wait, "Wait for containers to exit; print exit codes" },
	{ "stats", cli_stats, "Show CPU, memory and process use of containers" },
	{ "inspect", cli_inspect, "Show containers' records as JSON" },
	{ "prune", cli_prune, "Remove exited containers and crash leftovers" },
	{ "pull", cli_pull, "Pull an image from a registry, or a rootfs tarball from a URL" },
	{ "images", cli_images, "List images" },
	{ "rmi", cli_rmi, "Remove images" },
	{ "import", cli_import, "Import a docker save or OCI archive, or a rootfs tarball" },
	{ "version", cli_version, "Show the version" },
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: pocket-docker [--root DIR] COMMAND [OPTIONS]\n\n"
		   "A daemon-free container runtime.\n\nCommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nGlobal options:\n  --root DIR   state root (default: $POCKET_DOCKER_ROOT or "
		   "~/.pocket-docker)\n"
		   "  --version    print the version\n");
}

int main(int argc, char **argv)
{
	/* Under runc's name (the `pocket-runc` link), runc's command line. */
	const char *self = argc > 0 ? strrchr(argv[0], '/') : NULL;
	if (argc > 0 && !strcmp(self ? self + 1 : argv[0], "pocket-runc"))
		return cli_runc(argc, argv);
	struct cli_global g = { 0 };
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--root")) {
			if (i + 1 >= argc)
				return cli_usage_error("flag needs an argument: --root");
			g.root = argv[++i];
		} else if (!strncmp(argv[i], "--root=", 7)) {
			g.root = argv[i] + 7;
		} else if (!strcmp(argv[i], "--version") || !strcmp(argv[i], "-v")) {
			return cli_version(&g, 0, NULL);
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		} else {
			return cli_usage_error("unknown global flag '%s' (see 'pocket-docker --help')",
					       argv[i]);
		}
	}
	if (i >= argc) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	for (size_t c = 0; c < sizeof(commands) / sizeof(commands[0]); c++)
		if (!strcmp(argv[i], commands[c].name))
			return commands[c].run(&g, argc - i, argv + i);
	return cli_usage_error("unknown command '%s' (see 'pocket-docker --help')", argv[i]);
}
