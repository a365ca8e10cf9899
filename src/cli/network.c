/* `pocket-docker network create|ls|inspect|rm|prune|connect|disconnect`:
 * user-defined networks over core/networks.h. */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "cli/cli.h"
#include "core/container.h"
#include "core/networks.h"
#include "util/cleanup.h"
#include "util/str.h"
#include "util/xalloc.h"

struct network_opts {
	struct cli_flags f; /* first: the shared setters take it */
	char *subnet;
	char *subnet6; /* a second --subnet, IPv6 */
	bool ipv6;
	bool internal;
	char **labels;
	char *ip;	/* connect --ip */
	char **aliases; /* connect --alias */
};

#define NO(o) ((struct network_opts *)(o))

/* Once per family, as in Docker: an IPv4 subnet and an IPv6 one. */
static int set_subnet(void *o, const char *a, struct pd_err **err)
{
	char **slot = strchr(a, ':') ? &NO(o)->subnet6 : &NO(o)->subnet;
	if (*slot)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "--subnet %s: one IPv4 and one IPv6 subnet at most",
				    a);
	*slot = xstrdup(a);
	return 0;
}

static int set_ipv6(void *o, const char *a, struct pd_err **err)
{
	NO(o)->ipv6 = true;
	return 0;
}

static int set_internal(void *o, const char *a, struct pd_err **err)
{
	NO(o)->internal = true;
	return 0;
}

static int add_label(void *o, const char *a, struct pd_err **err)
{
	return pd_label_add(&NO(o)->labels, a, err);
}

static int set_driver(void *o, const char *a, struct pd_err **err)
{
	if (strcmp(a, "bridge") != 0)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "network driver '%s': only 'bridge' exists", a);
	return 0;
}

static int set_ip(void *o, const char *a, struct pd_err **err)
{
	free(NO(o)->ip);
	NO(o)->ip = xstrdup(a);
	return 0;
}

static int add_alias(void *o, const char *a, struct pd_err **err)
{
	strv_push(&NO(o)->aliases, a);
	return 0;
}

static int set_quiet(void *o, const char *a, struct pd_err **err)
{
	NO(o)->f.quiet = true;
	return 0;
}

static const struct cli_opt create_table[] = {
	{ "subnet", 0, true, set_subnet,
	  "the bridge's address and prefix, A.B.C.D/P (default: a free /24 of 10.50.0.0/16); with --ipv6 "
	  "also an IPv6 ADDR/P (default: a free ULA /64)" },
	{ "ipv6", 0, false, set_ipv6, "give the containers IPv6 addresses too" },
	{ "internal", 0, false, set_internal, "no route out of the network" },
	{ "label", 'l', true, add_label, "set a label KEY=VALUE" },
	{ "driver", 'd', true, set_driver, "the network driver (only 'bridge')" },
	{ "help", 0, false, cli_flag_help, "show this help" },
	{ 0 },
};

static const struct cli_opt ls_table[] = {
	{ "quiet", 'q', false, set_quiet, "print only network ids" },
	{ "help", 0, false, cli_flag_help, "show this help" },
	{ 0 },
};

static const struct cli_opt plain_table[] = {
	{ "force", 'f', false, cli_flag_force, "rm: no error for a missing network; prune: do not ask" },
	{ "help", 0, false, cli_flag_help, "show this help" },
	{ 0 },
};

static const struct cli_opt connect_table[] = {
	{ "ip", 0, true, set_ip, "the container's IPv4 address on the network" },
	{ "alias", 0, true, add_alias, "one more name of the container on the network" },
	{ "help", 0, false, cli_flag_help, "show this help" },
	{ 0 },
};

static const struct cli_opt disconnect_table[] = {
	{ "force", 'f', false, cli_flag_force, "accepted (the interface's removal is best effort anyway)" },
	{ "help", 0, false, cli_flag_help, "show this help" },
	{ 0 },
};

static void opts_free(void *vo)
{
	struct network_opts *o = vo;
	cli_flags_free(&o->f);
	free(o->subnet);
	free(o->subnet6);
	strv_free(o->labels);
	free(o->ip);
	strv_free(o->aliases);
}

static int network_create(const char *root, void *vo, char **pos)
{
	struct network_opts *o = vo;
	_cleanup_err_ struct pd_err *err = NULL;
	if (!pos[0] || pos[1])
		return cli_usage_error("network create takes one network name");
	_cleanup_free_ char *id = NULL;
	if (pd_networks_create(root, pos[0], o->subnet, o->subnet6, o->ipv6, o->internal, o->labels, &id,
			       &err) < 0)
		return cli_fail(err);
	cli_print_line(id);
	return 0;
}

static int network_ls(const char *root, void *vo, char **pos)
{
	struct network_opts *o = vo;
	_cleanup_err_ struct pd_err *err = NULL;
	if (pos[0])
		return cli_usage_error("network ls takes no arguments");
	struct pd_store_network *v = NULL;
	size_t n = 0;
	if (pd_networks_list(root, &v, &n, &err) < 0)
		return cli_fail(err);
	struct cli_table t;
	cli_table_init(&t, 5);
	static const char *const head[] = { "NETWORK ID", "NAME", "DRIVER", "SCOPE", "SUBNET" };
	if (!o->f.quiet)
		cli_table_add(&t, head);
	for (size_t i = 0; i < n; i++) {
		char id[13], key[32];
		snprintf(id, sizeof(id), "%.12s", v[i].id);
		pd_subnet_key(&v[i].sub, key, sizeof(key));
		if (o->f.quiet) {
			cli_print_line(id);
			continue;
		}
		const char *row[] = { id, v[i].name, "bridge", "local", key };
		cli_table_add(&t, row);
	}
	if (!o->f.quiet)
		cli_table_print(&t);
	else
		cli_table_free(&t);
	pd_store_networks_free(v, n);
	return 0;
}

static int network_inspect(const char *root, void *vo, char **pos)
{
	(void)vo;
	if (!pos[0])
		return cli_usage_error("network inspect needs at least one network name");
	json_auto_t *all = json_array();
	int ret = 0;
	for (char **p = pos; *p; p++) {
		_cleanup_err_ struct pd_err *err = NULL;
		json_t *one = NULL;
		if (pd_networks_inspect(root, *p, &one, &err) < 0)
			ret = cli_fail(err);
		else
			json_array_append_new(all, one);
	}
	char *s = json_dumps(all, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
	printf("%s\n", s ? s : "[]");
	free(s);
	return ret;
}

static int network_rm(const char *root, void *vo, char **pos)
{
	struct network_opts *o = vo;
	if (!pos[0])
		return cli_usage_error("network rm needs at least one network name");
	int ret = 0;
	for (char **p = pos; *p; p++) {
		_cleanup_err_ struct pd_err *err = NULL;
		int r = pd_networks_remove(root, *p, &err);
		if (r == 1 && !o->f.force)
			r = pd_fail_kind(&err, PD_ERR_USAGE, 0, "no such network: %s", *p);
		if (r < 0)
			ret = cli_fail(err);
		else if (r == 0)
			cli_print_line(*p);
	}
	return ret;
}

static int network_connect(const char *root, void *vo, char **pos)
{
	struct network_opts *o = vo;
	_cleanup_err_ struct pd_err *err = NULL;
	if (!pos[0] || !pos[1] || pos[2])
		return cli_usage_error("network connect takes a network and a container");
	if (pd_networks_connect(root, pos[0], pos[1], o->ip, o->aliases, &err) < 0)
		return cli_fail(err);
	return 0;
}

static int network_disconnect(const char *root, void *vo, char **pos)
{
	struct network_opts *o = vo;
	_cleanup_err_ struct pd_err *err = NULL;
	if (!pos[0] || !pos[1] || pos[2])
		return cli_usage_error("network disconnect takes a network and a container");
	if (pd_networks_disconnect(root, pos[0], pos[1], o->f.force, &err) < 0)
		return cli_fail(err);
	return 0;
}

static void pruned(const char *name, void *data)
{
	if (!*(int *)data)
		printf("Deleted Networks:\n");
	*(int *)data += 1;
	cli_print_line(name);
}

static int network_prune(const char *root, void *vo, char **pos)
{
	(void)vo;
	_cleanup_err_ struct pd_err *err = NULL;
	if (pos[0])
		return cli_usage_error("network prune takes no arguments");
	int count = 0;
	if (pd_networks_prune(root, pruned, &count, &err) < 0)
		return cli_fail(err);
	return 0;
}

static const struct cli_subcommand subs[] = {
	{ "create", create_table, network_create,
	  "Usage: pocket-docker network create [OPTIONS] NETWORK\n\nCreate a network (a bridge of its "
	  "own; its containers find each other by name)." },
	{ "ls", ls_table, network_ls, "Usage: pocket-docker network ls [OPTIONS]\n\nList networks." },
	{ "list", ls_table, network_ls, "Usage: pocket-docker network ls [OPTIONS]\n\nList networks." },
	{ "inspect", plain_table, network_inspect,
	  "Usage: pocket-docker network inspect NETWORK...\n\nShow networks as JSON." },
	{ "rm", plain_table, network_rm,
	  "Usage: pocket-docker network rm [OPTIONS] NETWORK...\n\nRemove networks (never one a "
	  "container holds an address on)." },
	{ "remove", plain_table, network_rm,
	  "Usage: pocket-docker network rm [OPTIONS] NETWORK...\n\nRemove networks (never one a "
	  "container holds an address on)." },
	{ "connect", connect_table, network_connect,
	  "Usage: pocket-docker network connect [OPTIONS] NETWORK CONTAINER\n\nConnect a container to a "
	  "network (one more interface, eth1, eth2...; a stopped container joins at its next start)." },
	{ "disconnect", disconnect_table, network_disconnect,
	  "Usage: pocket-docker network disconnect [OPTIONS] NETWORK CONTAINER\n\nDisconnect a container "
	  "from a network it was connected to." },
	{ "prune", plain_table, network_prune,
	  "Usage: pocket-docker network prune [OPTIONS]\n\nRemove every network no container uses." },
};

int cli_network(const struct cli_global *g, int argc, char **argv)
{
	struct network_opts o = { 0 };
	return cli_run_subcommand(g, "network", subs, ARRAY_SIZE(subs), &o, opts_free, argc, argv);
}
