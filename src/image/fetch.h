/* HTTP(S) and file:// transfers through libcurl, which is opened on first
 * use (see util/dl.h: its dependency tree costs ~10 ms per process, and
 * `run` never needs it).
 *
 * Two forms: a small request answered in memory (manifests, tokens), and
 * downloads into files, run in parallel on one curl multi handle (layers).
 * Neither interprets the status: a 404 is a completed transfer, the caller
 * judges it.  Redirects are followed to http and https only (never to
 * file://), and an Authorization header is never sent to another host. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"
#include "util/sha256.h"

/* A request body (push): `len` bytes from memory, or from `fd` at `off`
 * (read with pread; the fd is the caller's). */
struct pd_http_body {
	const void *mem;
	int fd; /* used when mem is NULL */
	uint64_t off, len;
};

struct pd_http_req {
	const char *url;
	char *const *headers; /* "Name: value", NULL-terminated; may be NULL */
	const char *userpwd;  /* "user:password" for basic auth, or NULL */
	bool head;	      /* HEAD instead of GET */
	/* "POST", "PUT", "PATCH" (pd_http_get only): redirects are not
	 * followed, the Location header is handed back.  NULL: GET or HEAD. */
	const char *method;
	const struct pd_http_body *body; /* may be NULL: an empty body */
};

/* The final response (after redirects).  Strings are owned; NULL when the
 * header was absent. */
struct pd_http_resp {
	long status; /* 0 for file:// */
	char *body;  /* NUL-terminated; at most the caller's max_body bytes */
	size_t body_len;
	char *content_type;
	char *www_authenticate;
	char *docker_content_digest;
	char *location;		 /* a method's answer (uploads) */
	uint64_t content_length; /* 0 when unknown */
};
void pd_http_resp_free(struct pd_http_resp *r);

/* Perform `req`, keeping up to max_body bytes of the body (more is an
 * error: a manifest or token is small, a huge one is hostile). */
int pd_http_get(const struct pd_http_req *req, size_t max_body, struct pd_http_resp *resp,
		struct pd_err **err);

/* One download into a file.  The caller fills the first block; the fetcher
 * fills the rest.  With offset > 0 the transfer asks for the rest only
 * (HTTP Range, with If-Range when a validator is given): a 206 appends, a
 * 200 (the server ignored the range, or the resource changed) truncates the
 * file and starts over, resetting `sha`. */
struct pd_download {
	struct pd_http_req req;
	int fd;		       /* written with pwrite; not closed */
	uint64_t offset;       /* bytes already in fd, already fed to sha */
	const char *if_range;  /* ETag or Last-Modified of the partial data, or NULL */
	struct pd_sha256 *sha; /* fed every byte written; may be NULL */
	uint64_t max_bytes;    /* 0: no limit */
	uint64_t expect_size;  /* 0: unknown; otherwise more is refused at once */
	const char *what;      /* for messages and progress */

	long status;	    /* final HTTP status (0 for file://) */
	uint64_t done;	    /* bytes in the file now */
	uint64_t total;	    /* expected size of the whole file, 0 if unknown */
	char *validator;    /* ETag (or Last-Modified) of this response */
	struct pd_err *err; /* this transfer's failure, if any (owned) */
	bool resumable;	    /* err is a broken transfer: the data so far is good */
	void *priv;	    /* the fetcher's own */
};
void pd_download_clear(struct pd_download *d);

/* Called at most ten times a second while downloads run, and once at the
 * end (final = true).  Reads only. */
typedef void (*pd_progress_fn)(struct pd_download *const *d, size_t n, bool final, void *data);

/* Run every download, at most `parallel` at a time.  A download whose
 * final status is not 200/206 (or 0 for file://) fails with a message
 * naming the status.  Returns 0 when all succeeded; otherwise -1, with *err
 * a copy of the first failure (each d[i]->err holds its own). */
int pd_fetch_all(struct pd_download **d, size_t n, unsigned parallel, pd_progress_fn progress, void *data,
		 struct pd_err **err);

/* The URL with any "user:password@" removed, for messages and records. */
char *pd_url_redact(const char *url);
