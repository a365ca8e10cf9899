/* `pocket-docker version`. */
#include <seccomp.h>
#include <sqlite3.h>
#include <stdio.h>
#include <sys/utsname.h>

#include "cli/cli.h"
#include "util/cleanup.h"
#include "util/str.h"

#define PD_VERSION "0.2.0"

static const struct cli_opt version_table[] = {
	{ "help", 0, false, cli_flag_help, "show this help" },
	{ 0 },
};

int cli_version(const struct cli_global *g, int argc, char **argv)
{
	/* `--version` (argc 0) and the command, which takes only --help. */
	if (argc > 0) {
		struct cli_flags f = { 0 };
		_cleanup_strv_ char **pos = NULL;
		if (cli_parse_flags(version_table, &f, argc, argv, &pos,
				    "Usage: pocket-docker version\n\nShow the version.") < 0)
			return CLI_EXIT_USAGE;
		cli_flags_free(&f);
		if (f.help)
			return 0;
		if (pos[0])
			return cli_usage_error("version takes no arguments");
	}
	struct utsname u;
	uname(&u);
	const struct scmp_version *sv = seccomp_version();
	printf("pocket-docker version %s\n", PD_VERSION);
	printf(" kernel:     %s %s\n", u.sysname, u.release);
	printf(" sqlite:     %s\n", sqlite3_libversion());
	printf(" libseccomp: %u.%u.%u\n", sv->major, sv->minor, sv->micro);
	return 0;
}
