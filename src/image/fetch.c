/* HTTP(S) and file:// transfers (see fetch.h).
 *
 * Runs in the CLI (pull, import by URL), as root or not; never in a
 * container or a monitor.  libcurl is opened with dlopen on first use.
 *
 * Threats handled here:
 *   - a redirect to file:// (reading host files into the store): redirects
 *     are limited to http and https, and at most 10 of them;
 *   - credentials leaking to a redirect target (registries send blob
 *     downloads to a CDN): curl drops a custom Authorization header and
 *     basic credentials when the host changes (no UNRESTRICTED_AUTH);
 *   - a server that sends forever: every body is bounded (max_body,
 *     max_bytes, expect_size), and a transfer stalled for 60 s is aborted;
 *   - a server that ignores Range or whose resource changed: a 206 is only
 *     appended when its Content-Range starts where the file ends, anything
 *     else restarts the file from zero.
 * Every socket curl opens is CLOEXEC (curl sets it itself). */
#include "image/fetch.h"

#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/dl.h"
#include "util/str.h"
#include "util/xalloc.h"

#define USER_AGENT	  "pocket-docker/0.2"
#define ERROR_BODY_MAX	  1024
#define PROGRESS_EVERY_NS 100000000LL

static void *curl_handle;
static PD_DL_SYM(curl_global_init);
static PD_DL_SYM(curl_easy_init);
static PD_DL_SYM(curl_easy_setopt);
static PD_DL_SYM(curl_easy_perform);
static PD_DL_SYM(curl_easy_getinfo);
static PD_DL_SYM(curl_easy_cleanup);
static PD_DL_SYM(curl_easy_strerror);
static PD_DL_SYM(curl_slist_append);
static PD_DL_SYM(curl_slist_free_all);
static PD_DL_SYM(curl_multi_init);
static PD_DL_SYM(curl_multi_add_handle);
static PD_DL_SYM(curl_multi_remove_handle);
static PD_DL_SYM(curl_multi_perform);
static PD_DL_SYM(curl_multi_poll);
static PD_DL_SYM(curl_multi_info_read);
static PD_DL_SYM(curl_multi_cleanup);
static PD_DL_SYM(curl_multi_strerror);

static int load_libcurl(struct pd_err **err)
{
	static const char *const sonames[] = { "libcurl.so.4", "libcurl-gnutls.so.4", NULL };
	static const struct pd_dl_sym syms[] = {
		PD_DL_ENTRY(curl_global_init),	    PD_DL_ENTRY(curl_easy_init),
		PD_DL_ENTRY(curl_easy_setopt),	    PD_DL_ENTRY(curl_easy_perform),
		PD_DL_ENTRY(curl_easy_getinfo),	    PD_DL_ENTRY(curl_easy_cleanup),
		PD_DL_ENTRY(curl_easy_strerror),    PD_DL_ENTRY(curl_slist_append),
		PD_DL_ENTRY(curl_slist_free_all),   PD_DL_ENTRY(curl_multi_init),
		PD_DL_ENTRY(curl_multi_add_handle), PD_DL_ENTRY(curl_multi_remove_handle),
		PD_DL_ENTRY(curl_multi_perform),    PD_DL_ENTRY(curl_multi_poll),
		PD_DL_ENTRY(curl_multi_info_read),  PD_DL_ENTRY(curl_multi_cleanup),
		PD_DL_ENTRY(curl_multi_strerror),   { NULL, NULL },
	};
	if (curl_handle)
		return 0;
	if (pd_dl_open(&curl_handle, sonames, "libcurl4", syms, err) < 0)
		return -1;
	/* Not thread-safe, but the CLI has one thread, and it runs once. */
	if (sym_curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return pd_fail(err, 0, "initialise libcurl");
	return 0;
}

void pd_http_resp_free(struct pd_http_resp *r)
{
	free(r->body);
	free(r->content_type);
	free(r->www_authenticate);
	free(r->docker_content_digest);
	free(r->location);
	*r = (struct pd_http_resp){ 0 };
}

char *pd_url_redact(const char *url)
{
	const char *scheme = strstr(url, "://");
	if (!scheme)
		return xstrdup(url);
	const char *host = scheme + 3;
	const char *end = host + strcspn(host, "/?#");
	const char *at = memchr(host, '@', (size_t)(end - host));
	if (!at)
		return xstrdup(url);
	return xasprintf("%.*s%s", (int)(host - url), url, at + 1);
}

/* Headers of the final response: each new status line (a redirect, a 100
 * Continue) starts the set over. */
struct headers {
	char *content_type, *www_authenticate, *digest, *etag, *last_modified, *content_range;
	char *location;
};

static void headers_clear(struct headers *h)
{
	free(h->content_type);
	free(h->www_authenticate);
	free(h->digest);
	free(h->etag);
	free(h->last_modified);
	free(h->content_range);
	free(h->location);
	*h = (struct headers){ 0 };
}

static void header_take(char **slot, const char *line, size_t len, size_t name_len)
{
	const char *v = line + name_len;
	size_t n = len - name_len;
	while (n && (*v == ' ' || *v == '\t'))
		v++, n--;
	while (n && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' '))
		n--;
	free(*slot);
	*slot = xstrndup(v, n);
}

static void header_line(struct headers *h, const char *line, size_t len)
{
	static const struct {
		const char *name;
		size_t off;
	} known[] = {
		{ "content-type:", offsetof(struct headers, content_type) },
		{ "www-authenticate:", offsetof(struct headers, www_authenticate) },
		{ "docker-content-digest:", offsetof(struct headers, digest) },
		{ "etag:", offsetof(struct headers, etag) },
		{ "last-modified:", offsetof(struct headers, last_modified) },
		{ "content-range:", offsetof(struct headers, content_range) },
		{ "location:", offsetof(struct headers, location) },
	};
	if (len >= 5 && !strncmp(line, "HTTP/", 5)) {
		headers_clear(h);
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(known); i++) {
		size_t nl = strlen(known[i].name);
		if (len >= nl && !strncasecmp(line, known[i].name, nl))
			header_take((char **)((char *)h + known[i].off), line, len, nl);
	}
}

static size_t on_header(char *buf, size_t size, size_t n, void *data)
{
	header_line(data, buf, size * n);
	return size * n;
}

static bool is_file_url(const char *url)
{
	return !strncasecmp(url, "file:", 5);
}

/* Options common to both forms. */
static struct curl_slist *setup_easy(CURL *h, const struct pd_http_req *req, struct pd_err **err)
{
	struct curl_slist *list = NULL;
	for (size_t i = 0; req->headers && req->headers[i]; i++)
		list = sym_curl_slist_append(list, req->headers[i]);
	sym_curl_easy_setopt(h, CURLOPT_URL, req->url);
	sym_curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https,file");
	sym_curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	sym_curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
	sym_curl_easy_setopt(h, CURLOPT_MAXREDIRS, 10L);
	sym_curl_easy_setopt(h, CURLOPT_USERAGENT, USER_AGENT);
	sym_curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 30L);
	sym_curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	sym_curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 60L);
	sym_curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	sym_curl_easy_setopt(h, CURLOPT_HTTPHEADER, list);
	if (req->head)
		sym_curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	if (req->method) {
		/* An upload's answer (201, 202) names the next URL in Location:
		 * the caller reads it, curl must not go there itself. */
		sym_curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
		sym_curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
		/* Every method is sent as an upload of a known size (0 for
		 * none); curl then sends Content-Length and the method asked. */
		sym_curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
		sym_curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE,
				     (curl_off_t)(req->body ? req->body->len : 0));
		list = sym_curl_slist_append(list, "Expect:");
		sym_curl_easy_setopt(h, CURLOPT_HTTPHEADER, list);
	}
	if (req->userpwd) {
		sym_curl_easy_setopt(h, CURLOPT_USERPWD, req->userpwd);
		sym_curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
	}
	(void)err;
	return list;
}

/* ---- in-memory requests ---- */

struct membuf {
	char *p;
	size_t len, max;
	bool overflow;
};

static size_t on_mem_body(char *buf, size_t size, size_t n, void *data)
{
	struct membuf *m = data;
	size_t len = size * n;
	if (len > m->max - m->len) {
		m->overflow = true;
		return 0;
	}
	m->p = xrealloc(m->p, m->len + len + 1);
	memcpy(m->p + m->len, buf, len);
	m->len += len;
	m->p[m->len] = '\0';
	return len;
}

/* A request body, read from memory or with pread. */
struct body_reader {
	const struct pd_http_body *b;
	uint64_t pos;
	int error; /* errno of a failed read */
};

static size_t on_read_body(char *buf, size_t size, size_t n, void *data)
{
	struct body_reader *r = data;
	if (!r->b)
		return 0;
	uint64_t left = r->b->len - r->pos;
	size_t want = size * n < left ? size * n : (size_t)left;
	if (want == 0)
		return 0;
	if (r->b->mem) {
		memcpy(buf, (const char *)r->b->mem + r->pos, want);
		r->pos += want;
		return want;
	}
	ssize_t got;
	do
		got = pread(r->b->fd, buf, want, (off_t)(r->b->off + r->pos));
	while (got < 0 && errno == EINTR);
	if (got <= 0) {
		r->error = got < 0 ? errno : EIO;
		return CURL_READFUNC_ABORT;
	}
	r->pos += (uint64_t)got;
	return (size_t)got;
}

static void curl_cleanupp(CURL **h)
{
	if (*h)
		sym_curl_easy_cleanup(*h);
}

int pd_http_get(const struct pd_http_req *req, size_t max_body, struct pd_http_resp *resp,
		struct pd_err **err)
{
	*resp = (struct pd_http_resp){ 0 };
	if (load_libcurl(err) < 0)
		return -1;
	_cleanup_(curl_cleanupp) CURL *h = sym_curl_easy_init();
	if (!h)
		return pd_fail(err, ENOMEM, "start a transfer");
	_cleanup_free_ char *shown = pd_url_redact(req->url);
	struct membuf m = { .max = max_body };
	struct headers hd = { 0 };
	struct curl_slist *list = setup_easy(h, req, err);
	sym_curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_mem_body);
	sym_curl_easy_setopt(h, CURLOPT_WRITEDATA, &m);
	sym_curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	sym_curl_easy_setopt(h, CURLOPT_HEADERDATA, &hd);
	struct body_reader br = { .b = req->body };
	if (req->method) {
		sym_curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read_body);
		sym_curl_easy_setopt(h, CURLOPT_READDATA, &br);
	}
	CURLcode rc = sym_curl_easy_perform(h);
	sym_curl_slist_free_all(list);
	if (rc != CURLE_OK) {
		free(m.p);
		headers_clear(&hd);
		if (br.error)
			return pd_fail(err, br.error, "'%s': read the body to send", shown);
		if (m.overflow)
			return pd_fail(err, 0, "'%s': response larger than %zu bytes", shown, max_body);
		return pd_fail(err, 0, "'%s': %s", shown, sym_curl_easy_strerror(rc));
	}
	curl_off_t cl = -1;
	sym_curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
	sym_curl_easy_getinfo(h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
	resp->content_length = cl > 0 ? (uint64_t)cl : 0;
	resp->body = m.p ? m.p : xstrdup("");
	resp->body_len = m.len;
	resp->content_type = take_ptr(&hd.content_type);
	resp->www_authenticate = take_ptr(&hd.www_authenticate);
	resp->docker_content_digest = take_ptr(&hd.digest);
	resp->location = take_ptr(&hd.location);
	headers_clear(&hd);
	return 0;
}

/* ---- downloads ---- */

struct xfer {
	CURL *h;
	struct curl_slist *list;
	struct headers hd;
	char *range_header;
	bool started; /* the first body byte was seen: the status is known */
	bool discard; /* an error response: keep its start for the message */
	char *error_body;
	size_t error_len;
};

void pd_download_clear(struct pd_download *d)
{
	free(d->validator);
	d->validator = NULL;
	pd_err_freep(&d->err);
}

/* Fail this download (first failure wins): "'<what>': <message>". */
__attribute__((format(printf, 3, 4))) static int fail_dl(struct pd_download *d, int errnum, const char *fmt,
							 ...)
{
	if (d->err)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	_cleanup_free_ char *msg = NULL;
	if (vasprintf(&msg, fmt, ap) < 0)
		abort();
	va_end(ap);
	_cleanup_free_ char *shown = pd_url_redact(d->req.url);
	return pd_fail(&d->err, errnum, "'%s': %s", d->what ? d->what : shown, msg);
}

/* Content-Range: bytes START-END/TOTAL.  Returns START, or -1. */
static int64_t range_start(const char *cr, uint64_t *total)
{
	if (!cr || strncasecmp(cr, "bytes ", 6))
		return -1;
	char *end;
	errno = 0;
	unsigned long long start = strtoull(cr + 6, &end, 10);
	if (errno || *end != '-')
		return -1;
	const char *slash = strchr(end, '/');
	if (slash && slash[1] != '*')
		*total = strtoull(slash + 1, NULL, 10);
	return (int64_t)start;
}

/* The first body byte: decide between append, restart and error. */
static int begin_body(struct pd_download *d, struct xfer *x)
{
	x->started = true;
	sym_curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &d->status);
	bool file = is_file_url(d->req.url);
	if (!file && d->status != 200 && d->status != 206) {
		x->discard = true;
		return 0;
	}
	free(d->validator);
	d->validator = x->hd.etag	     ? xstrdup(x->hd.etag)
		       : x->hd.last_modified ? xstrdup(x->hd.last_modified)
					     : NULL;
	curl_off_t cl = -1;
	sym_curl_easy_getinfo(x->h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
	if (d->status == 206) {
		uint64_t total = 0;
		if (range_start(x->hd.content_range, &total) != (int64_t)d->offset)
			return fail_dl(d, 0, "the server answered a different range (%s)",
				       x->hd.content_range ? x->hd.content_range : "none");
		d->total = total ? total : cl > 0 ? d->offset + (uint64_t)cl : 0;
		return 0;
	}
	/* A whole body: what the file held is not part of it. */
	if (d->offset) {
		if (ftruncate(d->fd, 0) < 0)
			return fail_dl(d, errno, "truncate the partial download");
		d->offset = 0;
		d->done = 0;
		if (d->sha) {
			struct pd_err *e = NULL;
			if (pd_sha256_init(d->sha, &e) < 0) {
				d->err = e;
				return -1;
			}
		}
	}
	d->total = cl > 0 ? (uint64_t)cl : 0;
	return 0;
}

static size_t on_file_body(char *buf, size_t size, size_t n, void *data)
{
	struct pd_download *d = data;
	struct xfer *x = d->priv;
	size_t len = size * n;
	if (!x->started && begin_body(d, x) < 0)
		return 0;
	if (x->discard) {
		size_t keep = ERROR_BODY_MAX - x->error_len < len ? ERROR_BODY_MAX - x->error_len : len;
		x->error_body = xrealloc(x->error_body, x->error_len + keep + 1);
		memcpy(x->error_body + x->error_len, buf, keep);
		x->error_len += keep;
		x->error_body[x->error_len] = '\0';
		return len;
	}
	uint64_t limit = d->expect_size ? d->expect_size : d->max_bytes;
	if (limit && len > limit - d->done) {
		fail_dl(d, 0, "%s",
			d->expect_size ? "more data than the expected size" : "larger than the limit");
		return 0;
	}
	for (size_t off = 0; off < len;) {
		ssize_t w = pwrite(d->fd, buf + off, len - off, (off_t)(d->done + off));
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			fail_dl(d, errno, "write");
			return 0;
		}
		off += (size_t)w;
	}
	if (d->sha)
		pd_sha256_update(d->sha, buf, len);
	d->done += len;
	return len;
}

/* The message of a failed HTTP response: the registry's JSON error text is
 * kept short and on one line. */
static void http_error(struct pd_download *d, struct xfer *x)
{
	char detail[200] = "";
	if (x->error_body) {
		size_t j = 0;
		for (size_t i = 0; x->error_body[i] && j < sizeof(detail) - 4; i++) {
			unsigned char c = (unsigned char)x->error_body[i];
			detail[j++] = c < 0x20 || c == 0x7f ? ' ' : (char)c;
		}
		detail[j] = '\0';
	}
	fail_dl(d, 0, "HTTP %ld%s%s", d->status, *detail ? ": " : "", detail);
}

static int start_xfer(struct pd_download *d, struct pd_err **err)
{
	struct xfer *x = xcalloc(1, sizeof(*x));
	d->priv = x;
	d->done = d->offset;
	d->status = 0;
	d->resumable = false;
	x->h = sym_curl_easy_init();
	if (!x->h)
		return pd_fail(err, ENOMEM, "start a transfer");
	x->list = setup_easy(x->h, &d->req, err);
	if (d->offset && !is_file_url(d->req.url)) {
		x->range_header = xasprintf("Range: bytes=%" PRIu64 "-", d->offset);
		x->list = sym_curl_slist_append(x->list, x->range_header);
		if (d->if_range) {
			_cleanup_free_ char *ir = xasprintf("If-Range: %s", d->if_range);
			x->list = sym_curl_slist_append(x->list, ir);
		}
		sym_curl_easy_setopt(x->h, CURLOPT_HTTPHEADER, x->list);
	} else if (d->offset && ftruncate(d->fd, 0) == 0) {
		/* file:// is local: start over rather than resume. */
		d->offset = d->done = 0;
		if (d->sha && pd_sha256_init(d->sha, err) < 0)
			return -1;
	}
	sym_curl_easy_setopt(x->h, CURLOPT_WRITEFUNCTION, on_file_body);
	sym_curl_easy_setopt(x->h, CURLOPT_WRITEDATA, d);
	sym_curl_easy_setopt(x->h, CURLOPT_HEADERFUNCTION, on_header);
	sym_curl_easy_setopt(x->h, CURLOPT_HEADERDATA, &x->hd);
	sym_curl_easy_setopt(x->h, CURLOPT_PRIVATE, d);
	return 0;
}

static void end_xfer(struct pd_download *d)
{
	struct xfer *x = d->priv;
	if (!x)
		return;
	if (x->h)
		sym_curl_easy_cleanup(x->h);
	sym_curl_slist_free_all(x->list);
	headers_clear(&x->hd);
	free(x->range_header);
	free(x->error_body);
	free(x);
	d->priv = NULL;
}

/* After curl reports the transfer done: judge it. */
static void finish_xfer(struct pd_download *d, CURLcode rc)
{
	struct xfer *x = d->priv;
	if (!x->started) {
		/* An empty body (or a HEAD): the status is known only now. */
		sym_curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &d->status);
		if (rc == CURLE_OK && (d->status == 200 || (is_file_url(d->req.url) && d->status == 0)) &&
		    begin_body(d, x) < 0)
			return;
		if (d->status != 200 && d->status != 206 && !is_file_url(d->req.url))
			x->discard = true;
	}
	if (d->err)
		return;
	if (rc != CURLE_OK) {
		d->resumable = rc != CURLE_WRITE_ERROR;
		fail_dl(d, 0, "%s", sym_curl_easy_strerror(rc));
		return;
	}
	if (x->discard) {
		http_error(d, x);
		return;
	}
	if (d->total && d->done != d->total) {
		d->resumable = d->done < d->total;
		fail_dl(d, 0, "truncated download (%" PRIu64 " of %" PRIu64 " bytes)", d->done, d->total);
	}
}

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void multi_cleanupp(CURLM **m)
{
	if (*m)
		sym_curl_multi_cleanup(*m);
}

int pd_fetch_all(struct pd_download **d, size_t n, unsigned parallel, pd_progress_fn progress, void *data,
		 struct pd_err **err)
{
	if (load_libcurl(err) < 0)
		return -1;
	_cleanup_(multi_cleanupp) CURLM *m = sym_curl_multi_init();
	if (!m)
		return pd_fail(err, ENOMEM, "start the transfers");
	if (!parallel)
		parallel = 1;
	size_t next = 0, active = 0;
	int ret = 0;
	int64_t last = 0;
	for (;;) {
		while (active < parallel && next < n) {
			struct pd_download *dl = d[next++];
			if (start_xfer(dl, err) < 0) {
				ret = -1;
				goto out;
			}
			sym_curl_multi_add_handle(m, ((struct xfer *)dl->priv)->h);
			active++;
		}
		if (!active)
			break;
		int running = 0;
		CURLMcode mc = sym_curl_multi_perform(m, &running);
		if (mc != CURLM_OK) {
			ret = pd_fail(err, 0, "transfer: %s", sym_curl_multi_strerror(mc));
			goto out;
		}
		CURLMsg *msg;
		int queued;
		while ((msg = sym_curl_multi_info_read(m, &queued))) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			struct pd_download *dl = NULL;
			sym_curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&dl);
			CURLcode rc = msg->data.result;
			sym_curl_multi_remove_handle(m, msg->easy_handle);
			finish_xfer(dl, rc);
			end_xfer(dl);
			active--;
		}
		int64_t now = mono_ns();
		if (progress && now - last >= PROGRESS_EVERY_NS) {
			progress(d, n, false, data);
			last = now;
		}
		if (running && sym_curl_multi_poll(m, NULL, 0, 100, NULL) != CURLM_OK) {
			ret = pd_fail(err, 0, "transfer: wait for data");
			goto out;
		}
	}
out:
	for (size_t i = 0; i < n; i++) {
		if (d[i]->priv) {
			sym_curl_multi_remove_handle(m, ((struct xfer *)d[i]->priv)->h);
			end_xfer(d[i]);
		}
	}
	if (progress)
		progress(d, n, true, data);
	if (ret < 0)
		return ret;
	for (size_t i = 0; i < n; i++)
		if (d[i]->err)
			return pd_fail(err, d[i]->err->errnum, "%s", d[i]->err->msg);
	return 0;
}
