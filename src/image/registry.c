/* Registry client (see registry.h).
 *
 * Runs in the CLI, as root or not.  Credentials come from a file or from
 * stdin (cli/pull.c), never from argv, so they do not show in ps; they are
 * sent only to the registry and to its token realm, and curl drops them on
 * a redirect to another host (fetch.c).  Tokens are kept in memory only.
 * Messages show the registry's answer cut short and stripped of control
 * characters (fetch.c), never a credential or a token. */
#include "image/registry.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image/fetch.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/sha256.h"
#include "util/str.h"
#include "util/xalloc.h"

#define MANIFEST_MAX (4u << 20)
#define TOKEN_MAX    (1u << 20)

int pd_registry_open(struct pd_registry *r, const struct pd_ref *ref, bool insecure, const char *username,
		     const char *password, struct pd_err **err)
{
	*r = (struct pd_registry){ 0 };
	r->ref.domain = xstrdup(ref->domain);
	r->ref.path = xstrdup(ref->path);
	r->ref.tag = ref->tag ? xstrdup(ref->tag) : NULL;
	r->ref.digest = ref->digest ? xstrdup(ref->digest) : NULL;
	bool plain = insecure || pd_ref_is_loopback(ref);
	r->base = xasprintf("%s://%s", plain ? "http" : "https", pd_ref_api_host(ref));
	r->username = username ? xstrdup(username) : NULL;
	r->password = password ? xstrdup(password) : NULL;
	return 0;
}

static void free_secret(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

void pd_registry_close(struct pd_registry *r)
{
	pd_ref_free(&r->ref);
	free(r->base);
	free(r->username);
	free_secret(r->password);
	free_secret(r->userpwd);
	free_secret(r->headers[0]);
	free(r->mount_from);
	*r = (struct pd_registry){ 0 };
}

char *pd_registry_blob_url(const struct pd_registry *r, const char *digest)
{
	return xasprintf("%s/v2/%s/blobs/%s", r->base, r->ref.path, digest);
}

char *const *pd_registry_headers(const struct pd_registry *r)
{
	return r->headers;
}

const char *pd_registry_userpwd(const struct pd_registry *r)
{
	return r->userpwd;
}

static char *url_escape(const char *s)
{
	char *out = xmalloc(strlen(s) * 3 + 1), *o = out;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    strchr("-._~", c))
			*o++ = (char)c;
		else
			o += sprintf(o, "%%%02X", c);
	}
	*o = '\0';
	return out;
}

static char *credentials(const struct pd_registry *r)
{
	return r->username ? xasprintf("%s:%s", r->username, r->password ? r->password : "") : NULL;
}

/* The scopes a token is asked for: the challenge's, this repository's
 * (pull, or pull and push), and the mount source's (pull).  None for a
 * login's ping (no repository). */
static char *token_scopes(const struct pd_registry *r, const struct pd_challenge *c)
{
	_cleanup_strv_ char **v = NULL;
	/* A challenge names several scopes separated by spaces (a mount's
	 * target and source): each is a scope parameter of its own. */
	for (const char *p = c->scope; p && *p;) {
		size_t n = strcspn(p, " ");
		if (n)
			strv_push_take(&v, xstrndup(p, n));
		p += n + strspn(p + n, " ");
	}
	if (r->ref.path && *r->ref.path)
		strv_push_take(&v,
			       xasprintf("repository:%s:%s", r->ref.path, r->push ? "pull,push" : "pull"));
	if (r->mount_from)
		strv_push_take(&v, xasprintf("repository:%s:pull", r->mount_from));
	_cleanup_strv_ char **params = NULL;
	for (size_t i = 0; v && v[i]; i++) {
		bool dup = false;
		for (size_t k = 0; k < i; k++)
			dup = dup || !strcmp(v[k], v[i]);
		if (!dup) {
			_cleanup_free_ char *e = url_escape(v[i]);
			strv_push_take(&params, xasprintf("&scope=%s", e));
		}
	}
	return params ? strv_join(params, "") : xstrdup("");
}

/* Answer a Bearer challenge: ask the realm for a token. */
static int get_token(struct pd_registry *r, const struct pd_challenge *c, struct pd_err **err)
{
	_cleanup_free_ char *scopes = token_scopes(r, c);
	_cleanup_free_ char *eservice = url_escape(c->service ? c->service : "");
	_cleanup_free_ char *url =
	    xasprintf("%s%sservice=%s%s", c->realm, strchr(c->realm, '?') ? "&" : "?", eservice, scopes);
	char *creds = credentials(r);
	struct pd_http_req req = { .url = url, .userpwd = creds };
	struct pd_http_resp resp;
	int rc = pd_http_get(&req, TOKEN_MAX, &resp, err);
	free_secret(creds);
	if (rc < 0) {
		pd_err_prefix(err, "get a token");
		return -1;
	}
	int ret = 0;
	json_t *j = NULL;
	const char *tok = NULL;
	if (resp.status == 401 || resp.status == 403) {
		ret = pd_fail(err, 0, "get a token from '%s': %s (HTTP %ld)", c->realm,
			      r->username ? "bad credentials" : "access denied", resp.status);
	} else if (resp.status != 200) {
		ret = pd_fail(err, 0, "get a token from '%s': HTTP %ld", c->realm, resp.status);
	} else {
		j = json_loadb(resp.body, resp.body_len, 0, NULL);
		tok = json_string_value(json_object_get(j, "token"));
		if (!tok || !*tok)
			tok = json_string_value(json_object_get(j, "access_token"));
		/* The token goes into a header line: no line breaks. */
		if (!tok || !*tok || strpbrk(tok, "\r\n"))
			ret = pd_fail(err, 0, "get a token from '%s': the answer holds no valid token",
				      c->realm);
	}
	if (ret == 0) {
		free_secret(r->headers[0]);
		r->headers[0] = xasprintf("Authorization: Bearer %s", tok);
	}
	if (j)
		json_decref(j);
	pd_http_resp_free(&resp);
	return ret;
}

int pd_registry_send(struct pd_registry *r, const struct pd_http_req *in, size_t max,
		     struct pd_http_resp *resp, struct pd_err **err)
{
	for (int attempt = 0;; attempt++) {
		char *hdrs[6] = { 0 };
		size_t n = 0;
		if (r->headers[0])
			hdrs[n++] = r->headers[0];
		for (size_t i = 0; in->headers && in->headers[i] && n < 5; i++)
			hdrs[n++] = in->headers[i];
		struct pd_http_req req = *in;
		req.headers = hdrs;
		req.userpwd = r->userpwd;
		if (pd_http_get(&req, max, resp, err) < 0)
			return -1;
		if (resp->status != 401)
			return 0;
		if (attempt) {
			pd_http_resp_free(resp);
			return pd_fail(err, 0, "%s: authentication failed%s", r->ref.domain,
				       r->username ? " (check the credentials)" : " (log in first)");
		}
		struct pd_challenge c;
		int rc = resp->www_authenticate ? pd_challenge_parse(resp->www_authenticate, &c, err)
						: pd_fail(err, 0, "HTTP 401 without a challenge");
		pd_http_resp_free(resp);
		if (rc < 0) {
			pd_err_prefix(err, "%s", r->ref.domain);
			return -1;
		}
		if (c.bearer) {
			rc = get_token(r, &c, err);
		} else if (!r->username) {
			rc = pd_fail(err, 0,
				     "%s: authentication required (use --username and --password-stdin, "
				     "--authfile, or login)",
				     r->ref.domain);
		} else {
			free_secret(r->userpwd);
			r->userpwd = credentials(r);
		}
		pd_challenge_free(&c);
		if (rc < 0)
			return -1;
	}
}

/* GET with the current auth. */
static int get_authed(struct pd_registry *r, const char *url, char *const *extra, size_t max,
		      struct pd_http_resp *resp, struct pd_err **err)
{
	struct pd_http_req req = { .url = url, .headers = extra };
	return pd_registry_send(r, &req, max, resp, err);
}

int pd_registry_ping(struct pd_registry *r, struct pd_err **err)
{
	_cleanup_free_ char *url = xasprintf("%s/v2/", r->base);
	struct pd_http_resp resp;
	if (get_authed(r, url, NULL, TOKEN_MAX, &resp, err) < 0)
		return -1;
	long status = resp.status;
	pd_http_resp_free(&resp);
	if (status != 200)
		return pd_fail(err, 0, "%s: the registry answered HTTP %ld", r->ref.domain, status);
	return 0;
}

int pd_registry_manifest(struct pd_registry *r, const char *reference, char **body, size_t *len, char **ctype,
			 char digest[PD_DIGEST_LEN + 1], struct pd_err **err)
{
	_cleanup_free_ char *url = xasprintf("%s/v2/%s/manifests/%s", r->base, r->ref.path, reference);
	_cleanup_free_ char *accept = xasprintf("Accept: %s", pd_manifest_accept);
	char *extra[] = { accept, NULL };
	struct pd_http_resp resp;
	_cleanup_free_ char *name = xasprintf("%s/%s%s%s", r->ref.domain, r->ref.path,
					      pd_digest_valid(reference) ? "@" : ":", reference);
	if (get_authed(r, url, extra, MANIFEST_MAX, &resp, err) < 0) {
		pd_err_prefix(err, "manifest of '%s'", name);
		return -1;
	}
	int ret = 0;
	if (resp.status == 404)
		ret = pd_fail(err, 0, "manifest of '%s': not found (HTTP 404)", name);
	else if (resp.status != 200)
		ret = pd_fail(err, 0, "manifest of '%s': HTTP %ld", name, resp.status);
	struct pd_sha256 h;
	char hex[PD_SHA256_HEX_LEN + 1];
	if (ret == 0 && pd_sha256_init(&h, err) == 0) {
		pd_sha256_update(&h, resp.body, resp.body_len);
		pd_sha256_final(&h, hex);
		snprintf(digest, PD_DIGEST_LEN + 1, "sha256:%s", hex);
		const char *want = pd_digest_valid(reference) ? reference : resp.docker_content_digest;
		if (want && pd_digest_valid(want) && strcmp(want, digest))
			ret = pd_fail(err, 0, "manifest of '%s': digest mismatch: expected %s, got %s", name,
				      want, digest);
	} else if (ret == 0) {
		ret = -1;
	}
	if (ret == 0) {
		*body = take_ptr(&resp.body);
		*len = resp.body_len;
		*ctype = take_ptr(&resp.content_type);
	}
	pd_http_resp_free(&resp);
	return ret;
}

static char *b64_decode(const char *s)
{
	static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *out = xmalloc(strlen(s) + 1), *o = out;
	unsigned v = 0, bits = 0;
	for (; *s && *s != '='; s++) {
		const char *p = strchr(tbl, *s);
		if (!p || !*s) {
			free(out);
			return NULL;
		}
		v = (v << 6) | (unsigned)(p - tbl);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			*o++ = (char)((v >> bits) & 0xff);
		}
	}
	*o = '\0';
	return out;
}

int pd_registry_read_authfile(const char *path, const char *domain, char **username, char **password,
			      struct pd_err **err)
{
	size_t len;
	_cleanup_free_ char *text = pd_read_file(path, &len, err);
	if (!text)
		return -1;
	json_t *j = json_loadb(text, len, 0, NULL);
	explicit_bzero(text, len);
	json_t *auths = json_object_get(j, "auths");
	json_t *e = json_object_get(auths, domain);
	if (!e && !strcmp(domain, PD_DEFAULT_REGISTRY))
		e = json_object_get(auths, "https://index.docker.io/v1/");
	int ret = 0;
	const char *auth = json_string_value(json_object_get(e, "auth"));
	const char *u = json_string_value(json_object_get(e, "username"));
	const char *p = json_string_value(json_object_get(e, "password"));
	if (!j) {
		ret = pd_fail_kind(err, PD_ERR_USAGE, 0, "auth file '%s' is not valid JSON", path);
	} else if (auth) {
		char *dec = b64_decode(auth);
		char *colon = dec ? strchr(dec, ':') : NULL;
		if (!colon) {
			ret = pd_fail_kind(err, PD_ERR_USAGE, 0, "auth file '%s': bad 'auth' for '%s'", path,
					   domain);
		} else {
			*colon = '\0';
			*username = xstrdup(dec);
			*password = xstrdup(colon + 1);
		}
		free_secret(dec);
	} else if (u) {
		*username = xstrdup(u);
		*password = xstrdup(p ? p : "");
	} else {
		ret = pd_fail_kind(err, PD_ERR_USAGE, 0, "auth file '%s' has no credentials for '%s'", path,
				   domain);
	}
	if (j)
		json_decref(j);
	return ret;
}
