/* A client of one repository on an OCI distribution registry (the Docker
 * registry HTTP API v2): authentication, manifests, blob URLs.
 *
 * Auth: the first request goes out anonymous; a 401 with a Bearer challenge
 * is answered with a token from the challenge's realm (sent the user's
 * credentials, if any, as basic auth), a Basic challenge with the
 * credentials themselves.  https always, except with `insecure` or for a
 * loopback registry (localhost, 127.0.0.0/8, [::1]), which use plain http. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "image/blobs.h"
#include "image/manifest.h"
#include "util/error.h"

struct pd_registry {
	struct pd_ref ref;
	char *base; /* "https://host[:port]" */
	char *username, *password;
	char *userpwd;	  /* "user:password" once Basic was asked for */
	char *headers[2]; /* "Authorization: Bearer ..." once a token was issued */
	bool push;	  /* tokens are asked for pull and push */
	char *mount_from; /* ...and for pull of this repository (a mount) */
};

/* Prepare a client for `ref` (copied).  Credentials may be NULL. */
int pd_registry_open(struct pd_registry *r, const struct pd_ref *ref, bool insecure, const char *username,
		     const char *password, struct pd_err **err);
void pd_registry_close(struct pd_registry *r);
#define _cleanup_registry_ __attribute__((cleanup(pd_registry_close)))

/* Fetch the manifest named by `reference` (a tag or a digest), verified:
 * its sha256 must equal the digest asked for, or the registry's
 * Docker-Content-Digest.  *body and *ctype are the caller's to free. */
int pd_registry_manifest(struct pd_registry *r, const char *reference, char **body, size_t *len, char **ctype,
			 char digest[PD_DIGEST_LEN + 1], struct pd_err **err);

/* Send `req` (its headers are extra ones, at most 4) with the client's
 * auth: on a 401, answer the challenge once and send it again.  A request
 * with a body must be able to send it twice (pd_http_body is read from
 * the start each time).  *resp is the caller's to free; the status is not
 * judged but for a second 401, which is an error. */
int pd_registry_send(struct pd_registry *r, const struct pd_http_req *req, size_t max,
		     struct pd_http_resp *resp, struct pd_err **err);

/* Check the credentials against the registry: GET /v2/ answered 200 (after
 * the token or basic challenge).  A refusal is an error saying so. */
int pd_registry_ping(struct pd_registry *r, struct pd_err **err);

/* Fill a blob request (URL owned by the caller, headers by r). */
char *pd_registry_blob_url(const struct pd_registry *r, const char *digest);
char *const *pd_registry_headers(const struct pd_registry *r);
const char *pd_registry_userpwd(const struct pd_registry *r);

/* Read the credentials for `domain` from a Docker config.json-style file
 * ({"auths": {"HOST": {"auth": base64("user:password")}}} or username and
 * password fields).  Both outputs are the caller's. */
int pd_registry_read_authfile(const char *path, const char *domain, char **username, char **password,
			      struct pd_err **err);
