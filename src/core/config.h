/* struct pd_config: everything that describes one container, built by the
 * CLI from flags and consumed by core/ and linux/.  Owns all its strings. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/error.h"

struct pd_volume {
	char *src;  /* absolute host path, must exist */
	char *dest; /* absolute path inside the container, no ".." */
	bool readonly;
};

struct pd_config {
	char id[65];
	char *name;
	char *hostname;
	char *rootfs_arg;  /* what the user gave to --rootfs */
	char **argv;       /* command and arguments */
	char **env;        /* KEY=VALUE, after defaults */
	char *workdir;     /* NULL: the user's home or "/" */
	char *user;        /* "UID[:GID]" or a name; NULL: root */
	struct pd_volume *volumes;
	size_t n_volumes;
	bool remove;       /* --rm */
	bool init;         /* --init */
	bool interactive;  /* -i */
	bool rootless;     /* not running as real root */
};

void pd_config_init(struct pd_config *c);
void pd_config_free(struct pd_config *c);

/* Fill c->id with 64 random hex characters. */
int pd_config_new_id(struct pd_config *c, struct pd_err **err);

/* Parse "HOST:CONTAINER[:ro|rw]" into a volume; HOST is made absolute against
 * the current directory and must exist; CONTAINER must be absolute and may not
 * contain "..".  The result owns its strings. */
int pd_volume_parse(const char *spec, struct pd_volume *out, struct pd_err **err);

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
