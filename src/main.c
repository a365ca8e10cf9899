/* pocket-docker: the command table.  Global flags come before the command.
 * Every command exits 125 on bad input (usage errors, unknown flags, no such
 * container or image): see cli_exit_code().  `container` and `image` group
 * Docker's management-command names of the same commands. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

struct command {
	const char *name;
	int (*run)(const struct cli_global *g, int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "run", cli_run, "Run a command in a new container" },
	{ "create", cli_create, "Create a new container" },
	{ "start", cli_start, "Start one or more stopped containers" },
	{ "restart", cli_restart, "Restart one or more containers" },
	{ "attach", cli_attach, "Attach to a running container" },
	{ "exec", cli_exec, "Run a command in a running container" },
	{ "ps", cli_ps, "List containers" },
	{ "logs", cli_logs, "Show a container's output" },
	{ "stop", cli_stop, "Stop containers (SIGTERM, then SIGKILL)" },
	{ "kill", cli_kill, "Send a signal to containers" },
	{ "rm", cli_rm, "Remove containers" },
	{ "wait", cli_wait, "Wait for containers to exit; print exit codes" },
	{ "pause", cli_pause, "Pause all processes within containers" },
	{ "unpause", cli_unpause, "Unpause all processes within containers" },
	{ "rename", cli_rename, "Rename a container" },
	{ "top", cli_top, "Display the running processes of a container" },
	{ "port", cli_port, "List port mappings of a container" },
	{ "cp", cli_cp, "Copy files/folders between a container and the local filesystem" },
	{ "diff", cli_diff, "Inspect changes to files or directories on a container's filesystem" },
	{ "stats", cli_stats, "Show CPU, memory and process use of containers" },
	{ "update", cli_update, "Update the resource limits and restart policy of containers" },
	{ "inspect", cli_inspect, "Show containers' or images' records as JSON" },
	{ "prune", cli_prune, "Remove exited containers and crash leftovers" },
	{ "pull", cli_pull, "Pull an image from a registry, or a rootfs tarball from a URL" },
	{ "push", cli_push, "Push an image to a registry" },
	{ "login", cli_login, "Log in to a registry" },
	{ "logout", cli_logout, "Log out from a registry" },
	{ "images", cli_images, "List images" },
	{ "rmi", cli_rmi, "Remove images" },
	{ "import", cli_import, "Import a docker save or OCI archive, or a rootfs tarball" },
	{ "tag", cli_tag, "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE" },
	{ "commit", cli_commit, "Create a new image from a container's changes" },
	{ "build", cli_build, "Build an image from a Dockerfile" },
	{ "export", cli_export, "Export a container's filesystem as a tar archive" },
	{ "history", cli_history, "Show the history of an image" },
	{ "save", cli_save, "Save images to a tar archive (docker-archive)" },
	{ "load", cli_load, "Load an image from a docker-archive or oci-archive" },
	{ "events", cli_events, "Show events: containers' lifecycle, images' pulls and removals" },
	{ "ui", cli_ui, "Serve a web dashboard on a local port" },
	{ "version", cli_version, "Show the version" },
};

/* `pocket-docker container ls` is `pocket-docker ps`, and so on. */
static const struct command container_commands[] = {
	{ "attach", cli_attach, "Attach to a running container" },
	{ "create", cli_create, "Create a new container" },
	{ "cp", cli_cp, "Copy files/folders between a container and the local filesystem" },
	{ "commit", cli_commit, "Create a new image from a container's changes" },
	{ "diff", cli_diff, "Inspect changes to files or directories on a container's filesystem" },
	{ "exec", cli_exec, "Run a command in a running container" },
	{ "export", cli_export, "Export a container's filesystem as a tar archive" },
	{ "inspect", cli_inspect, "Show containers' records as JSON" },
	{ "kill", cli_kill, "Send a signal to containers" },
	{ "logs", cli_logs, "Show a container's output" },
	{ "ls", cli_ps, "List containers" },
	{ "list", cli_ps, "List containers" },
	{ "ps", cli_ps, "List containers" },
	{ "pause", cli_pause, "Pause all processes within containers" },
	{ "port", cli_port, "List port mappings of a container" },
	{ "prune", cli_prune, "Remove exited containers and crash leftovers" },
	{ "rename", cli_rename, "Rename a container" },
	{ "restart", cli_restart, "Restart one or more containers" },
	{ "rm", cli_rm, "Remove containers" },
	{ "remove", cli_rm, "Remove containers" },
	{ "run", cli_run, "Run a command in a new container" },
	{ "start", cli_start, "Start one or more stopped containers" },
	{ "stats", cli_stats, "Show CPU, memory and process use of containers" },
	{ "stop", cli_stop, "Stop containers (SIGTERM, then SIGKILL)" },
	{ "top", cli_top, "Display the running processes of a container" },
	{ "unpause", cli_unpause, "Unpause all processes within containers" },
	{ "update", cli_update, "Update the resource limits and restart policy of containers" },
	{ "wait", cli_wait, "Wait for containers to exit; print exit codes" },
};

static const struct command image_commands[] = {
	{ "build", cli_build, "Build an image from a Dockerfile" },
	{ "history", cli_history, "Show the history of an image" },
	{ "import", cli_import, "Import a docker save or OCI archive, or a rootfs tarball" },
	{ "inspect", cli_image_inspect, "Show images' records as JSON" },
	{ "load", cli_load, "Load an image from a docker-archive or oci-archive" },
	{ "ls", cli_images, "List images" },
	{ "list", cli_images, "List images" },
	{ "prune", cli_image_prune, "Remove unused images" },
	{ "pull", cli_pull, "Pull an image from a registry, or a rootfs tarball from a URL" },
	{ "push", cli_push, "Push an image to a registry" },
	{ "rm", cli_rmi, "Remove images" },
	{ "remove", cli_rmi, "Remove images" },
	{ "save", cli_save, "Save images to a tar archive (docker-archive)" },
	{ "tag", cli_tag, "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE" },
};

static const struct command system_commands[] = {
	{ "df", cli_system_df, "Show disk usage" },
	{ "info", cli_system_info, "Show a summary of containers, images and the host" },
	{ "prune", cli_prune, "Remove exited containers and crash leftovers" },
};

static const struct command volume_commands[] = {
	{ "create", cli_volume, "Create a volume" },
	{ "inspect", cli_volume, "Show volumes as JSON" },
	{ "ls", cli_volume, "List volumes" },
	{ "list", cli_volume, "List volumes" },
	{ "prune", cli_volume, "Remove unused anonymous volumes (all unused with --all)" },
	{ "rm", cli_volume, "Remove volumes" },
	{ "remove", cli_volume, "Remove volumes" },
};

static const struct command network_commands[] = {
	{ "connect", cli_network, "Connect a container to a network" },
	{ "create", cli_network, "Create a network" },
	{ "disconnect", cli_network, "Disconnect a container from a network" },
	{ "inspect", cli_network, "Show networks as JSON" },
	{ "ls", cli_network, "List networks" },
	{ "list", cli_network, "List networks" },
	{ "prune", cli_network, "Remove unused networks" },
	{ "rm", cli_network, "Remove networks" },
	{ "remove", cli_network, "Remove networks" },
};

static const struct {
	const char *name;
	const struct command *sub;
	size_t n;
	const char *summary;
} groups[] = {
	{ "container", container_commands, N_OF(container_commands), "Manage containers" },
	{ "image", image_commands, N_OF(image_commands), "Manage images" },
	{ "network", network_commands, N_OF(network_commands), "Manage networks" },
	{ "system", system_commands, N_OF(system_commands), "Manage pocket-docker" },
	{ "volume", volume_commands, N_OF(volume_commands), "Manage volumes" },
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: pocket-docker [--root DIR] COMMAND [OPTIONS]\n\n"
		   "A daemon-free container runtime.\n\nCommands:\n");
	for (size_t i = 0; i < N_OF(commands); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nManagement commands:\n");
	for (size_t i = 0; i < N_OF(groups); i++)
		fprintf(f, "  %-10s %s\n", groups[i].name, groups[i].summary);
	fprintf(f, "\nGlobal options:\n  --root DIR   state root (default: $POCKET_DOCKER_ROOT or "
		   "~/.pocket-docker)\n"
		   "  --version    print the version\n");
}

/* The top-level command that runs f, or "-": a group's subcommand is most
 * often another name for one. */
static const char *top_level_name(int (*f)(const struct cli_global *, int, char **))
{
	for (size_t i = 0; i < N_OF(commands); i++)
		if (commands[i].run == f)
			return commands[i].name;
	return "-";
}

/* `pocket-docker __commands` (hidden): the command table for
 * scripts/gen-docs.py, which makes the man pages and the bash completion from
 * it and from each command's --help.  One line a command, tab-separated:
 *   command NAME SUMMARY
 *   group   NAME SUMMARY
 *   sub     GROUP NAME TOP_LEVEL_NAME|- SUMMARY */
static int list_commands(void)
{
	for (size_t i = 0; i < N_OF(commands); i++)
		printf("command\t%s\t%s\n", commands[i].name, commands[i].summary);
	for (size_t i = 0; i < N_OF(groups); i++) {
		printf("group\t%s\t%s\n", groups[i].name, groups[i].summary);
		for (size_t j = 0; j < groups[i].n; j++)
			printf("sub\t%s\t%s\t%s\t%s\n", groups[i].name, groups[i].sub[j].name,
			       top_level_name(groups[i].sub[j].run), groups[i].sub[j].summary);
	}
	return 0;
}

/* `pocket-docker GROUP SUBCOMMAND ...`: argv[0] is GROUP. */
static int run_group(size_t gi, const struct cli_global *g, int argc, char **argv)
{
	const char *name = groups[gi].name;
	bool help = argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"));
	if (argc < 2 || help) {
		FILE *f = help ? stdout : stderr;
		fprintf(f, "Usage: pocket-docker %s COMMAND\n\n%s\n\nCommands:\n", name, groups[gi].summary);
		for (size_t i = 0; i < groups[gi].n; i++)
			fprintf(f, "  %-10s %s\n", groups[gi].sub[i].name, groups[gi].sub[i].summary);
		return help ? 0 : CLI_EXIT_USAGE;
	}
	for (size_t i = 0; i < groups[gi].n; i++)
		if (!strcmp(argv[1], groups[gi].sub[i].name))
			return groups[gi].sub[i].run(g, argc - 1, argv + 1);
	return cli_usage_error("unknown command '%s %s' (see 'pocket-docker %s --help')", name, argv[1],
			       name);
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
	if (!strcmp(argv[i], "__commands"))
		return list_commands();
	for (size_t c = 0; c < N_OF(commands); c++)
		if (!strcmp(argv[i], commands[c].name))
			return commands[c].run(&g, argc - i, argv + i);
	for (size_t c = 0; c < N_OF(groups); c++)
		if (!strcmp(argv[i], groups[c].name))
			return run_group(c, &g, argc - i, argv + i);
	return cli_usage_error("unknown command '%s' (see 'pocket-docker --help')", argv[i]);
}
