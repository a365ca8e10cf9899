/* `pocket-docker version`. */
#include <seccomp.h>
#include <sqlite3.h>
#include <stdio.h>
#include <sys/utsname.h>

#include "cli/cli.h"

#define PD_VERSION "0.2.0"

int cli_version(const struct cli_global *g, int argc, char **argv)
{
	struct utsname u;
	uname(&u);
	const struct scmp_version *sv = seccomp_version();
	printf("pocket-docker version %s\n", PD_VERSION);
	printf(" kernel:     %s %s\n", u.sysname, u.release);
	printf(" sqlite:     %s\n", sqlite3_libversion());
	printf(" libseccomp: %u.%u.%u\n", sv->major, sv->minor, sv->micro);
	return 0;
}
