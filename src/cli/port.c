/* `pocket-docker port CONTAINER [PRIVATE_PORT[/PROTO]]`: the host
 * addresses a running container publishes, as Docker prints them:
 * "80/tcp -> 0.0.0.0:8080" a line each, or with a port only its host
 * addresses ("0.0.0.0:8080"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/container.h"
#include "core/control.h"
#include "util/cleanup.h"
#include "util/str.h"

static const struct cli_opt help_only[] = {
	{ "help", 0, false, cli_flag_help, "show this help" },
	{ 0 },
};

int cli_port(const struct cli_global *g, int argc, char **argv)
{
	struct cli_flags f = { 0 };
	_cleanup_strv_ char **pos = NULL;
	_cleanup_err_ struct pd_err *err = NULL;
	if (cli_parse_flags(help_only, &f, argc, argv, &pos,
			    "Usage: pocket-docker port CONTAINER [PRIVATE_PORT[/PROTO]]\n\n"
			    "List port mappings or a specific mapping for the container.") < 0)
		return CLI_EXIT_USAGE;
	if (f.help)
		return 0;
	size_t npos = strv_len(pos);
	if (npos < 1 || npos > 2)
		return cli_usage_error("port needs a container and at most one port");
	_cleanup_free_ char *root = pd_state_root(g->root, &err);
	if (!root)
		return cli_fail(err);
	struct pd_published_port *v = NULL;
	size_t n = 0;
	if (pd_container_ports(root, pos[0], pos[1], &v, &n, &err) < 0)
		return cli_fail(err);
	for (size_t i = 0; i < n; i++) {
		/* An IPv6 address in brackets, as Docker prints it: "[::1]:8080". */
		bool v6 = strchr(v[i].host_ip, ':') != NULL;
		const char *l = v6 ? "[" : "", *r = v6 ? "]" : "";
		if (pos[1])
			printf("%s%s%s:%u\n", l, v[i].host_ip, r, v[i].host_port);
		else
			printf("%u/%s -> %s%s%s:%u\n", v[i].container_port, v[i].proto, l, v[i].host_ip, r,
			       v[i].host_port);
	}
	free(v);
	return 0;
}
