/* struct pd_config: everything that describes one container, built by the
 * CLI from flags and consumed by core/ and linux/.  Owns all its strings. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "linux/cgroup.h"
#include "net/net.h"
#include "util/error.h"

struct pd_volume {
	char *src;  /* absolute host path, must exist */
	char *dest; /* absolute path inside the container, no ".." */
	bool readonly;
};

enum pd_restart {
	PD_RESTART_NO = 0,
	PD_RESTART_ON_FAILURE,
	PD_RESTART_ALWAYS,
	PD_RESTART_UNLESS_STOPPED,
};

struct pd_health {
	char **test;              /* the command (exec form); NULL: no health check */
	uint64_t interval_ms;     /* default 30 s */
	uint64_t timeout_ms;      /* default 30 s */
	uint64_t start_period_ms; /* default 0 */
	unsigned retries;         /* default 3 */
	bool restart_unhealthy;   /* --health-restart: kill an unhealthy container so --restart acts */
};

struct pd_config {
	char id[65];
	char *name;
	char *hostname;
	char *rootfs_arg;  /* what the user gave to --rootfs */
	char *image_id;    /* the image rootfs_arg names ("sha256:..."), or NULL */
	char *stop_signal; /* the image's StopSignal ("SIGQUIT", "3"), or NULL */
	char **argv;       /* command and arguments */
	char **env;        /* KEY=VALUE, after defaults */
	char *workdir;     /* NULL: the user's home or "/" */
	char *user;        /* "UID[:GID]" or a name; NULL: root */
	struct pd_volume *volumes;
	size_t n_volumes;
	bool remove;       /* --rm */
	bool init;         /* --init */
	bool interactive;  /* -i */
	bool tty;          /* -t */
	unsigned short tty_rows, tty_cols; /* initial window size with -t */
	bool rootless;     /* not running as real root */
	struct pd_limits limits;
	enum pd_restart restart;
	unsigned restart_max; /* on-failure:MAX, 0 = no maximum */
	struct pd_health health;
	char *seccomp;     /* NULL: the default profile; "unconfined"; or a JSON profile's path */
	char *seccomp_json; /* that profile's text, read once by `run`: restarts and `exec`
			     * compile this, never the file again (a container could rewrite a
			     * profile that sits in one of its volumes) */
	uint64_t caps;     /* the capability set (bounding, and effective for root) */
	bool privileged;   /* all capabilities, no seccomp, no masked paths, host devices */
	bool read_only;    /* the rootfs read-only */
	char **tmpfs;      /* "PATH[:size=..,mode=..]" */
	char **devices;    /* "HOST[:CONTAINER]" */
	bool no_new_privs_off; /* --security-opt no-new-privileges=false */
	struct pd_netcfg net; /* --network, --publish, --dns, --add-host */
	uint64_t log_max_size; /* --log-opt max-size: rotate the log at this size; 0 never */
	unsigned log_max_file; /* --log-opt max-file: log files kept in all; 0 means 1 */
};

/* Parse "no", "on-failure[:MAX]", "always", "unless-stopped". */
int pd_restart_parse(const char *s, enum pd_restart *policy, unsigned *max, struct pd_err **err);
const char *pd_restart_name(enum pd_restart p);
/* Parse one --log-opt "max-size=SIZE[,max-file=N]" into c->log_max_size and
 * c->log_max_file (Docker's json-file options); a usage error for an
 * unknown key, a bad size or a max-file below 1. */
int pd_log_opt_parse(struct pd_config *c, const char *spec, struct pd_err **err);
/* Parse --cpus "0.5" into a quota and period. */
int pd_cpus_parse(const char *s, struct pd_limits *l, struct pd_err **err);

void pd_config_init(struct pd_config *c);
void pd_config_free(struct pd_config *c);

/* Fill c->id with 64 random hex characters. */
int pd_config_new_id(struct pd_config *c, struct pd_err **err);

/* Parse "HOST:CONTAINER[:ro|rw]" into a volume; HOST is made absolute against
 * the current directory and must exist; CONTAINER must be absolute, may not
 * contain ".." and may not be '/'.  The result owns its strings. */
int pd_volume_parse(const char *spec, struct pd_volume *out, struct pd_err **err);

/* Refuse (usage error) a volume whose source is the state root, contains it
 * or lies inside it, compared by device and inode along the real paths, so
 * symlinks and bind-mount aliases count.  `state_root` is the path the
 * runtime will use (pd_state_root_path); it need not exist yet. */
int pd_volumes_check_state_root(const struct pd_config *c, const char *state_root, struct pd_err **err);

/* A container path given by the user: absolute, no ".." component. */
int pd_check_container_path(const char *what, const char *path, struct pd_err **err);

/* Add "KEY=VALUE" (or "KEY", taking the value from this process's
 * environment and skipping it when unset) to env, replacing an earlier KEY. */
int pd_env_add(char ***env, const char *spec, struct pd_err **err);
/* Read an env file: KEY=VALUE or KEY per line, '#' comments, blank lines. */
int pd_env_add_file(char ***env, const char *path, struct pd_err **err);
/* Add defaults that Docker sets when absent: PATH, HOSTNAME, HOME (later). */
void pd_env_set_default(char ***env, const char *key, const char *value);
const char *pd_env_get(char *const *env, const char *key);
