/* Stored registry credentials (`login`, `logout`), in Docker's client
 * config file: $DOCKER_CONFIG/config.json, else ~/.docker/config.json of
 * the user running the command ($HOME, as Docker's client: under sudo,
 * whatever HOME sudo leaves, normally root's).  The file holds
 *   {"auths": {"HOST[:PORT]": {"auth": base64("user:password")}}}
 * (docker.io under "https://index.docker.io/v1/", as Docker writes it);
 * every other key of the file is kept as it was.  `pull` and `push` use
 * the entry of the image's registry when no credentials are given. */
#pragma once
#include <stdbool.h>

#include "util/error.h"

/* The config file's path (caller frees). */
char *pd_auth_config_path(struct pd_err **err);

/* Check `user` and `password` against the registry `server` (a host[:port];
 * NULL or "" for docker.io): GET /v2/ with the basic or the token flow.
 * `insecure`: plain http to a registry not on loopback.  On success store
 * them, replacing the file atomically (a new 0600 file renamed over it);
 * on failure nothing is written.  A config file that is a symbolic link is
 * refused (never followed nor replaced).  *key_out (caller frees) is the
 * entry's name. */
int pd_auth_login(const char *server, const char *user, const char *password, bool insecure, char **key_out,
		  struct pd_err **err);

/* Remove the entry of `server` (same names as login).  *removed says
 * whether there was one; a missing file is no entry. */
int pd_auth_logout(const char *server, bool *removed, char **key_out, struct pd_err **err);

/* The stored credentials for registry `domain`: 1 with *user and *password
 * set (the caller frees and should wipe the password), 0 when there are
 * none (no file, or no entry), -1 on error (a file that is not JSON). */
int pd_auth_lookup(const char *domain, char **user, char **password, struct pd_err **err);
