/* `pocket-docker ui [--listen ADDR:PORT]`: a web dashboard of one state
 * root, served until SIGINT or SIGTERM.  Runs in the CLI with the caller's
 * privileges; a rootless user sees their own state root.
 *
 * Two processes, so that a dashboard no one looks at costs almost nothing:
 *   - the listener (`ui` as started) makes the sockets (127.0.0.1 and ::1
 *     by default), prints the address and sleeps in poll.  It never loads
 *     libmicrohttpd, opens the store or builds JSON, so it keeps only what
 *     any process of our binary touches at start;
 *   - the server (our binary again, told so by UI_WORKER_ENV) is started
 *     on the first connection, with the sockets: libmicrohttpd with a
 *     thread per connection.  It exits once no connection has been open
 *     for a while (POCKET_DOCKER_UI_IDLE_MS, 5 s), freeing everything a
 *     page cost; the next connection, waiting in the socket's backlog,
 *     starts another.  The first one starts at once, to learn that it can.
 * The page itself (index.html, app.js, app.css and Debian's xterm.js) is
 * built into the binary (ui-assets.S) and speaks only the JSON API of
 * ui-api.c.
 *
 * Who may ask: anyone who can reach the port could drive the containers
 * (and so the host, as root), so
 *   - it listens on loopback unless --listen says otherwise;
 *   - every request carries the random token printed at start: in the
 *     query the first time (answered with a redirect that sets it as an
 *     HttpOnly, SameSite=Strict cookie and drops it from the address), then
 *     the cookie, or `Authorization: Bearer TOKEN` (curl); else 401.  The
 *     server learns it from its environment (readable by our uid alone,
 *     unlike the command line) and unsets it before any child starts;
 *   - the Host header must name an address we listen on (a DNS
 *     rebinding page would send its own name);
 *   - a request that changes anything is a POST (a GET of such a path is
 *     405), and a POST whose Origin is not this server's is refused (403);
 *     no CORS header is ever sent, so no other origin reads an answer;
 *   - every answer has a strict Content-Security-Policy (scripts and styles
 *     from this server only, no inline script, nothing framed), nosniff,
 *     no referrer and no caching.  The page puts what containers print
 *     into the document as text only (textContent, xterm.js), never as
 *     HTML. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/ui.h"
#include "core/container.h"
#include "util/cleanup.h"
#include "util/str.h"
#include "util/xalloc.h"

#define UI_BODY_MAX (1 << 20)

#undef MHD_start_daemon
#undef MHD_quiesce_daemon
#undef MHD_get_daemon_info
#undef MHD_lookup_connection_value
#undef MHD_create_response_from_buffer
#undef MHD_create_response_from_callback
#undef MHD_add_response_header
#undef MHD_queue_response
#undef MHD_destroy_response
PD_DL_SYM(MHD_start_daemon);
PD_DL_SYM(MHD_quiesce_daemon);
PD_DL_SYM(MHD_get_daemon_info);
PD_DL_SYM(MHD_lookup_connection_value);
PD_DL_SYM(MHD_create_response_from_buffer);
PD_DL_SYM(MHD_create_response_from_callback);
PD_DL_SYM(MHD_add_response_header);
PD_DL_SYM(MHD_queue_response);
PD_DL_SYM(MHD_destroy_response);

static int mhd_load(struct pd_err **err)
{
	static void *handle;
	static const char *const sonames[] = { "libmicrohttpd.so.12", NULL };
	static const struct pd_dl_sym syms[] = {
		PD_DL_ENTRY(MHD_start_daemon),
		PD_DL_ENTRY(MHD_quiesce_daemon),
		PD_DL_ENTRY(MHD_get_daemon_info),
		PD_DL_ENTRY(MHD_lookup_connection_value),
		PD_DL_ENTRY(MHD_create_response_from_buffer),
		PD_DL_ENTRY(MHD_create_response_from_callback),
		PD_DL_ENTRY(MHD_add_response_header),
		PD_DL_ENTRY(MHD_queue_response),
		PD_DL_ENTRY(MHD_destroy_response),
		{ NULL, NULL },
	};
	return handle ? 0 : pd_dl_open(&handle, sonames, "libmicrohttpd12", syms, err);
}
#define MHD_start_daemon		  sym_MHD_start_daemon
#define MHD_quiesce_daemon		  sym_MHD_quiesce_daemon
#define MHD_get_daemon_info		  sym_MHD_get_daemon_info
#define MHD_lookup_connection_value	  sym_MHD_lookup_connection_value
#define MHD_create_response_from_buffer	  sym_MHD_create_response_from_buffer
#define MHD_create_response_from_callback sym_MHD_create_response_from_callback
#define MHD_add_response_header		  sym_MHD_add_response_header
#define MHD_queue_response		  sym_MHD_queue_response
#define MHD_destroy_response		  sym_MHD_destroy_response

/* The assets (ui-assets.S). */
#define UI_ASSET(n) extern const char ui_asset_##n##_start[], ui_asset_##n##_end[];
UI_ASSET(index_html)
UI_ASSET(app_js)
UI_ASSET(app_css)
UI_ASSET(xterm_js)
UI_ASSET(xterm_css)
UI_ASSET(fit_js)

static const struct {
	const char *path;
	const char *type;
	const char *start, *end;
} assets[] = {
	{ "/", "text/html; charset=utf-8", ui_asset_index_html_start, ui_asset_index_html_end },
	{ "/static/app.js", "text/javascript; charset=utf-8", ui_asset_app_js_start, ui_asset_app_js_end },
	{ "/static/app.css", "text/css; charset=utf-8", ui_asset_app_css_start, ui_asset_app_css_end },
	{ "/static/xterm.js", "text/javascript; charset=utf-8", ui_asset_xterm_js_start,
	  ui_asset_xterm_js_end },
	{ "/static/xterm.css", "text/css; charset=utf-8", ui_asset_xterm_css_start, ui_asset_xterm_css_end },
	{ "/static/fit.js", "text/javascript; charset=utf-8", ui_asset_fit_js_start, ui_asset_fit_js_end },
};

/* xterm.js (3.x) sets styles through the CSSOM and adds a <style> of its
 * own; scripts stay 'self' only. */
static const char csp[] = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
			  "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; "
			  "frame-ancestors 'none'";

/* No Cross-Origin-Opener-Policy: a window that another site opens on the
 * dashboard is sent no cookie (SameSite=Strict) and gets a 401 (tested in
 * the browser), and the page opens no window of its own, so the policy
 * would guard nothing here.  It cost the page a browser process of its
 * own, swapped in on every navigation from a page without it (100-200 ms
 * of the containers page's load on this machine: bench/ui.sh). */
enum MHD_Result ui_send(struct ui_req *q, unsigned status, struct MHD_Response *r)
{
	MHD_add_response_header(r, "Content-Security-Policy", csp);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	MHD_add_response_header(r, "Cross-Origin-Resource-Policy", "same-origin");
	enum MHD_Result ret = MHD_queue_response(q->conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

enum MHD_Result ui_send_text(struct ui_req *q, unsigned status, const char *type, const char *text,
			     size_t len)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)text, MHD_RESPMEM_MUST_COPY);
	MHD_add_response_header(r, "Content-Type", type);
	return ui_send(q, status, r);
}

enum MHD_Result ui_send_json(struct ui_req *q, unsigned status, json_t *v)
{
	_cleanup_free_ char *s = json_dumps(v, JSON_COMPACT);
	json_decref(v);
	if (!s)
		return ui_send_text(q, 500, "application/json", "{\"error\":\"encoding\"}", 20);
	return ui_send_text(q, status, "application/json", s, strlen(s));
}

enum MHD_Result ui_send_error(struct ui_req *q, unsigned status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	_cleanup_free_ char *msg = NULL;
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	return ui_send_json(q, status, json_pack("{s:s}", "error", msg ? msg : "error"));
}

/* Constant-time: the comparison takes as long whatever prefix matches. */
static bool token_ok(const struct ui_server *s, const char *t)
{
	if (!t || strlen(t) != strlen(s->token))
		return false;
	unsigned char d = 0;
	for (size_t i = 0; s->token[i]; i++)
		d |= (unsigned char)(t[i] ^ s->token[i]);
	return d == 0;
}

static bool host_ok(const struct ui_server *s, const char *host)
{
	if (!host)
		return false;
	/* Listening on every address: any name may lead here; the token
	 * (its cookie is kept per host name) is the guard. */
	if (s->any_host)
		return true;
	for (size_t i = 0; i < s->n_hosts; i++)
		if (!strcmp(host, s->hosts[i]))
			return true;
	return false;
}

/* Not the token: a 401 that says how to get in. */
static enum MHD_Result unauthorized(struct ui_req *q)
{
	static const char msg[] = "401: open the address with ?token= that `pocket-docker ui` printed\n";
	return ui_send_text(q, 401, "text/plain; charset=utf-8", msg, sizeof(msg) - 1);
}

/* A first visit with ?token=: set the cookie, then go to the same path
 * without the token (out of the history and the address bar). */
static enum MHD_Result token_redirect(struct ui_req *q)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	_cleanup_free_ char *cookie =
	    xasprintf("%s=%s; Path=/; HttpOnly; SameSite=Strict", q->srv->cookie, q->srv->token);
	MHD_add_response_header(r, "Set-Cookie", cookie);
	/* A path of this server only: "//host/" or "/\\host/" would send
	 * the browser to another site (an open redirect). */
	const char *u = q->url;
	bool own = u[0] == '/' && u[1] != '/' && u[1] != '\\' && !str_has_prefix(u, "/api/");
	MHD_add_response_header(r, "Location", own ? u : "/");
	return ui_send(q, 303, r);
}

static enum MHD_Result serve_asset(struct ui_req *q)
{
	for (size_t i = 0; i < ARRAY_SIZE(assets); i++)
		if (!strcmp(q->url, assets[i].path)) {
			size_t len = (size_t)(assets[i].end - assets[i].start);
			struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)assets[i].start,
										 MHD_RESPMEM_PERSISTENT);
			MHD_add_response_header(r, "Content-Type", assets[i].type);
			return ui_send(q, 200, r);
		}
	static const char msg[] = "404: not found\n";
	return ui_send_text(q, 404, "text/plain; charset=utf-8", msg, sizeof(msg) - 1);
}

/* A request's body, gathered over the handler's calls. */
struct body {
	char *data;
	size_t len;
	bool too_big;
};

static void request_done(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode t)
{
	struct body *b = *con_cls;
	if (b) {
		free(b->data);
		free(b);
		*con_cls = NULL;
	}
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
			      const char *version, const char *upload_data, size_t *upload_data_size,
			      void **con_cls)
{
	const struct ui_server *s = cls;
	struct body *b = *con_cls;
	if (!b) {
		*con_cls = xcalloc(1, sizeof(struct body));
		return MHD_YES;
	}
	if (*upload_data_size) {
		if (b->len + *upload_data_size > UI_BODY_MAX) {
			b->too_big = true;
		} else {
			b->data = xrealloc(b->data, b->len + *upload_data_size + 1);
			memcpy(b->data + b->len, upload_data, *upload_data_size);
			b->len += *upload_data_size;
			b->data[b->len] = 0;
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	struct ui_req q = { .conn = conn,
			    .srv = s,
			    .method = method,
			    .url = url,
			    .body = b->data ? b->data : "",
			    .body_len = b->len };
	if (!host_ok(s, MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Host")))
		return ui_send_text(&q, 421, "text/plain", "421: wrong Host\n", 16);
	const char *qtok = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "token");
	const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
	const char *ctok = MHD_lookup_connection_value(conn, MHD_COOKIE_KIND, s->cookie);
	bool is_get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
	if (qtok && token_ok(s, qtok) && is_get)
		return token_redirect(&q);
	if (!(auth && str_has_prefix(auth, "Bearer ") && token_ok(s, auth + 7)) && !token_ok(s, ctok))
		return unauthorized(&q);
	if (!is_get) {
		/* A browser sends Origin with every POST; a page of another
		 * origin (a CSRF attempt) is refused here.  curl sends none. */
		const char *origin = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin");
		const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Host");
		if (origin && (!str_has_prefix(origin, "http://") || strcmp(origin + 7, host) != 0))
			return ui_send_error(&q, 403, "cross-origin request refused");
		if (strcmp(method, "POST") != 0)
			return ui_send_error(&q, 405, "only GET and POST");
		if (b->too_big)
			return ui_send_error(&q, 413, "request body too large");
	}
	if (str_has_prefix(url, "/api/"))
		return ui_api(&q);
	if (!is_get)
		return ui_send_error(&q, 405, "only GET here");
	return serve_asset(&q);
}

/* --- the server process (the worker) --- */

static pthread_mutex_t conns_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned conns; /* open connections, every daemon's */

static void conn_notify(void *cls, struct MHD_Connection *c, void **socket_context,
			enum MHD_ConnectionNotificationCode toe)
{
	pthread_mutex_lock(&conns_lock);
	if (toe == MHD_CONNECTION_NOTIFY_STARTED)
		conns++;
	else if (conns)
		conns--;
	pthread_mutex_unlock(&conns_lock);
}

static unsigned conns_now(void)
{
	pthread_mutex_lock(&conns_lock);
	unsigned n = conns;
	pthread_mutex_unlock(&conns_lock);
	return n;
}

static long env_ms(const char *name, long dflt)
{
	const char *e = getenv(name);
	uint64_t v = 0;
	if (e && pd_parse_uint(e, 24ULL * 3600 * 1000, &v, pd_err_ignore(status)) == 0)
		return (long)v;
	return dflt;
}

/* What the listener hands the server in UI_WORKER_ENV (unset at once: our
 * own children must not see the token): "NFDS PORT ANY TOKEN HOST...",
 * the listening sockets at descriptors 3.. and, when STATUS_FD is not -1,
 * a pipe to say "ok" or why not once listening. */
#define UI_WORKER_ENV "POCKET_DOCKER_UI_WORKER"
#define UI_FDS_MAX    2

static int worker_setup(struct ui_server *s, const char *spec, size_t *nfds, int *status_fd,
			struct pd_err **err)
{
	_cleanup_free_ char *copy = xstrdup(spec);
	char *save = NULL;
	char *w[4 + UI_HOSTS_MAX] = { 0 };
	size_t n = 0;
	for (char *t = strtok_r(copy, " ", &save); t && n < ARRAY_SIZE(w); t = strtok_r(NULL, " ", &save))
		w[n++] = t;
	if (n < 5 || strlen(w[4]) != 64)
		return pd_fail(err, EINVAL, "the server's settings are malformed");
	*nfds = (size_t)atoi(w[0]);
	*status_fd = atoi(w[1]);
	if (*nfds < 1 || *nfds > UI_FDS_MAX)
		return pd_fail(err, EINVAL, "the server's settings are malformed");
	snprintf(s->cookie, sizeof(s->cookie), "pd_ui_%s", w[2]);
	s->any_host = !strcmp(w[3], "1");
	memcpy(s->token, w[4], 65);
	for (size_t i = 5; i < n && s->n_hosts < UI_HOSTS_MAX; i++)
		snprintf(s->hosts[s->n_hosts++], sizeof(s->hosts[0]), "%s", w[i]);
	return 0;
}

/* The server: libmicrohttpd on the sockets the listener made, until no
 * connection has been open for POCKET_DOCKER_UI_IDLE_MS (default 5 s) or
 * SIGTERM.  Its exit hands the sockets back to the listener. */
static int worker_main(const struct cli_global *g, const char *spec, struct pd_err **err)
{
	/* One malloc arena: the requests are few and short, and each arena
	 * is memory kept (64 MB of address space, its touched pages). */
	mallopt(M_ARENA_MAX, 1);
	struct ui_server s = { 0 };
	size_t nfds = 0;
	int status_fd = -1;
	if (worker_setup(&s, spec, &nfds, &status_fd, err) < 0)
		return -1;
	s.root = pd_state_root(g->root, err);
	if (!s.root)
		goto fail;
	if (mhd_load(err) < 0)
		goto fail;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	struct MHD_Daemon *d[UI_FDS_MAX] = { 0 };
	for (size_t i = 0; i < nfds; i++) {
		d[i] = MHD_start_daemon(
		    MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL, 0, NULL,
		    NULL, handle, &s, MHD_OPTION_LISTEN_SOCKET, (MHD_socket)(3 + i),
		    MHD_OPTION_NOTIFY_COMPLETED, request_done, NULL, MHD_OPTION_NOTIFY_CONNECTION,
		    conn_notify, NULL, MHD_OPTION_CONNECTION_LIMIT, 64U, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
		    32U,
		    /* Longer than a stream's 15 s ping: only a silent
		     * keep-alive connection is closed. */
		    MHD_OPTION_CONNECTION_TIMEOUT, 30U, MHD_OPTION_END);
		if (!d[i]) {
			pd_fail(err, errno, "start the HTTP server");
			goto fail;
		}
	}
	for (size_t i = 0; i < nfds; i++)
		fcntl(3 + (int)i, F_SETFD, FD_CLOEXEC);
	if (status_fd >= 0) {
		(void)!write(status_fd, "ok", 2);
		close(status_fd);
	}
	/* A second's wake-up while the server lives (a page is open, or
	 * was within the idle time); none once it has exited. */
	long idle_ms = env_ms("POCKET_DOCKER_UI_IDLE_MS", 5000), quiet = 0;
	struct timespec second = { 1, 0 };
	for (;;) {
		if (sigtimedwait(&set, NULL, &second) > 0)
			break;
		quiet = conns_now() || ui_exec_count() ? 0 : quiet + 1000;
		if (quiet >= idle_ms) {
			/* No more accepts; a connection that came meanwhile
			 * is served to its end (new ones wait in the
			 * backlog for the next server). */
			for (size_t i = 0; i < nfds; i++)
				MHD_quiesce_daemon(d[i]);
			while (conns_now() && sigtimedwait(&set, NULL, &second) < 0)
				;
			break;
		}
	}
	ui_exec_end_all();
	/* Streams still open end with the process (their children with
	 * it: ui_spawn asks for SIGTERM at our death). */
	fflush(NULL);
	_exit(0);
fail:
	if (status_fd >= 0) {
		_cleanup_free_ char *t = pd_err_text(*err);
		(void)!write(status_fd, t, strlen(t));
	}
	return -1;
}

/* --- the listener --- */

struct ui_opts {
	char *listen;
	bool help;
};

static int set_listen(void *o, const char *a, struct pd_err **err)
{
	free(((struct ui_opts *)o)->listen);
	((struct ui_opts *)o)->listen = xstrdup(a);
	return 0;
}

static int set_help(void *o, const char *a, struct pd_err **err)
{
	((struct ui_opts *)o)->help = true;
	return 0;
}

static const struct cli_opt ui_table[] = {
	{ "listen", 0, true, set_listen,
	  "ADDR:PORT or [IPV6]:PORT to listen on (default 127.0.0.1 and ::1, a free port)" },
	{ "help", 0, false, set_help, "show this help" },
	{ 0 },
};

struct listener {
	int fd;
	struct sockaddr_storage sa;
	socklen_t len;
};

/* "ADDR:PORT", "[IPV6]:PORT", "[IPV6]", "ADDR", ":PORT" or "PORT"; no
 * address: loopback (*dflt).  Port 0: a free one. */
static int parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len, bool *dflt,
			struct pd_err **err)
{
	struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
	memset(ss, 0, sizeof(*ss));
	*dflt = false;
	_cleanup_free_ char *addr = NULL;
	const char *port = NULL;
	if (!s || !*s) {
		*dflt = true;
	} else if (s[0] == '[') {
		const char *end = strchr(s, ']');
		if (!end || (end[1] && end[1] != ':'))
			return pd_fail_kind(err, PD_ERR_USAGE, 0, "--listen: '%s': want [IPV6]:PORT", s);
		addr = xstrndup(s + 1, (size_t)(end - s - 1));
		port = end[1] ? end + 2 : NULL;
	} else if (strchr(s, ':') != strrchr(s, ':')) {
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "--listen: '%s': put an IPv6 address in brackets ([::1]:PORT)", s);
	} else if (strchr(s, ':')) {
		const char *colon = strchr(s, ':');
		if (colon > s)
			addr = xstrndup(s, (size_t)(colon - s));
		else
			*dflt = true;
		port = colon + 1;
	} else if (strspn(s, "0123456789") == strlen(s)) {
		*dflt = true;
		port = s;
	} else {
		addr = xstrdup(s);
	}
	uint64_t p = 0;
	if (port && *port && pd_parse_uint(port, 65535, &p, err) < 0) {
		pd_err_prefix(err, "--listen");
		return -1;
	}
	if (*dflt || (addr && inet_pton(AF_INET, addr, &v4->sin_addr) == 1)) {
		v4->sin_family = AF_INET;
		if (*dflt)
			v4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		v4->sin_port = htons((uint16_t)p);
		*len = sizeof(*v4);
	} else if (addr && inet_pton(AF_INET6, addr, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)p);
		*len = sizeof(*v6);
	} else {
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "--listen: '%s' is not an IP address", addr);
	}
	return 0;
}

static unsigned sa_port(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET6 ? ntohs(((const struct sockaddr_in6 *)ss)->sin6_port)
					 : ntohs(((const struct sockaddr_in *)ss)->sin_port);
}

/* "1.2.3.4:P" or "[::1]:P". */
static void sa_text(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "";
	if (ss->ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr, a, sizeof(a));
		snprintf(buf, len, "[%s]:%u", a, sa_port(ss));
	} else {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, a, sizeof(a));
		snprintf(buf, len, "%s:%u", a, sa_port(ss));
	}
}

static bool sa_is_loopback(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET6)
		return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)ss)->sin6_addr);
	return (ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr) >> 24) == 127;
}

static bool sa_is_any(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET6)
		return IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)ss)->sin6_addr);
	return ((const struct sockaddr_in *)ss)->sin_addr.s_addr == htonl(INADDR_ANY);
}

/* A listening socket on `l->sa` (its port filled in when 0). */
static int listen_on(struct listener *l, struct pd_err **err)
{
	char text[80];
	_cleanup_close_ int fd = socket(l->sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	if (fd < 0)
		return pd_fail(err, errno, "make a socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* [::] is IPv6 only: 0.0.0.0 is asked for apart. */
	if (l->sa.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	sa_text(&l->sa, text, sizeof(text));
	if (bind(fd, (struct sockaddr *)&l->sa, l->len) < 0 || listen(fd, 64) < 0)
		return pd_fail(err, errno, "listen on %s", text);
	if (getsockname(fd, (struct sockaddr *)&l->sa, &l->len) < 0)
		return pd_fail(err, errno, "read the address of %s", text);
	l->fd = take_fd(&fd);
	return 0;
}

/* Start the server on the sockets; `status_fd`: see UI_WORKER_ENV. */
static pid_t worker_spawn(const char *root, const char *spec, const struct listener *l, size_t n,
			  int status_fd)
{
	_cleanup_free_ char *env =
	    xasprintf("%s=%d %d %s", UI_WORKER_ENV, (int)n, status_fd >= 0 ? 3 + (int)n : -1, spec);
	char *argv[] = { "pocket-docker", "--root", (char *)root, "ui", NULL };
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	/* This process has no other thread: any call is safe here.  The
	 * sockets go to 3.. (dup2 clears their CLOEXEC), everything else is
	 * closed. */
	int high[UI_FDS_MAX + 1];
	for (size_t i = 0; i < n; i++)
		high[i] = fcntl(l[i].fd, F_DUPFD_CLOEXEC, 64);
	high[n] = status_fd >= 0 ? fcntl(status_fd, F_DUPFD_CLOEXEC, 64) : -1;
	for (size_t i = 0; i <= n; i++)
		if (high[i] >= 0 && dup2(high[i], 3 + (int)i) < 0)
			_exit(127);
	syscall(SYS_close_range, 4U + (unsigned)(n - (status_fd < 0)), ~0U, 0U);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	putenv(env);
	execv("/proc/self/exe", argv);
	_exit(127);
}

/* Idle, the listener needs a few pages of code: poll, read and the loop
 * below.  Unmap from it (MADV_DONTNEED) the pages of the files it mapped
 * and ran once at start (our binary, libc, the loader, SQLite...): they
 * stay in the page cache, shared with every other process, and the few
 * the loop runs are mapped back at its first wake-up.  Only a mapping
 * with no page of its own (Anonymous: 0, never written: not the
 * relocated RELRO, not data) is touched; such a page reads back the same
 * from its file.  Best effort: without /proc nothing is unmapped. */
static void drop_startup_pages(void)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/smaps", "re");
	if (!f)
		return;
	char line[512];
	unsigned long start = 0, end = 0;
	bool file = false;
	struct {
		unsigned long start, end;
	} drop[128];
	size_t n = 0;
	while (fgets(line, sizeof(line), f)) {
		char perms[8], path[2] = "";
		unsigned long a, b;
		if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %1s", &a, &b, perms, path) >= 3 &&
		    strchr(line, '-') < strchr(line, ' ')) {
			start = a;
			end = b;
			/* Read-only private views of a file (r-xp, r--p). */
			file = path[0] == '/' && perms[0] == 'r' && perms[1] == '-' && perms[3] == 'p';
			continue;
		}
		unsigned long anon = 1;
		if (file && sscanf(line, "Anonymous: %lu", &anon) == 1) {
			if (anon == 0 && n < ARRAY_SIZE(drop)) {
				drop[n].start = start;
				drop[n].end = end;
				n++;
			}
			file = false;
		}
	}
	for (size_t i = 0; i < n; i++)
		madvise((void *)drop[i].start, drop[i].end - drop[i].start, MADV_DONTNEED);
}

/* A server that failed left its connections in the backlog: refuse them
 * (rather than start one server after another). */
static void refuse_pending(const struct listener *l, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int c;
		struct pollfd p = { l[i].fd, POLLIN, 0 };
		while (poll(&p, 1, 0) == 1 && (c = accept4(l[i].fd, NULL, NULL, SOCK_CLOEXEC)) >= 0)
			close(c);
	}
}

static int ui_main(const struct cli_global *g, int argc, char **argv, struct pd_err **err)
{
	const char *spec = getenv(UI_WORKER_ENV);
	if (spec) {
		_cleanup_free_ char *copy = xstrdup(spec);
		unsetenv(UI_WORKER_ENV);
		return worker_main(g, copy, err);
	}
	struct ui_opts o = { 0 };
	int i = 1;
	if (cli_parse(ui_table, &o, argc, argv, &i, err) < 0)
		return -1;
	_cleanup_free_ char *listen = o.listen;
	if (o.help) {
		printf("Usage: pocket-docker ui [--listen ADDR:PORT]\n\n"
		       "Serve a web dashboard of the containers until interrupted.\n");
		cli_print_options(ui_table);
		return 0;
	}
	if (i < argc)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "ui takes no arguments");
	struct listener l[UI_FDS_MAX] = { { .fd = -1 }, { .fd = -1 } };
	size_t n = 1;
	bool dflt;
	if (parse_listen(listen, &l[0].sa, &l[0].len, &dflt, err) < 0)
		return -1;
	_cleanup_free_ char *root = pd_state_root(g->root, err);
	if (!root || listen_on(&l[0], err) < 0)
		return -1;
	unsigned port = sa_port(&l[0].sa);
	if (dflt) {
		/* ::1 too, on the same port.  Best effort: a host without
		 * IPv6 (or with that port taken on ::1) is served on
		 * 127.0.0.1 alone, as before. */
		struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&l[1].sa;
		*v6 = (struct sockaddr_in6){ .sin6_family = AF_INET6,
					     .sin6_port = htons((uint16_t)port),
					     .sin6_addr = IN6ADDR_LOOPBACK_INIT };
		l[1].len = sizeof(*v6);
		if (listen_on(&l[1], pd_err_ignore(status)) == 0)
			n = 2;
	}

	unsigned char raw[32];
	char token[65];
	if (getrandom(raw, sizeof(raw), 0) != sizeof(raw))
		return pd_fail(err, errno, "read random bytes for the token");
	for (size_t k = 0; k < sizeof(raw); k++)
		snprintf(token + 2 * k, 3, "%02x", raw[k]);
	/* The Host headers a request may carry: each address, and
	 * localhost when on loopback. */
	char first[80], text[80];
	sa_text(&l[0].sa, first, sizeof(first));
	_cleanup_free_ char *spec_out =
	    xasprintf("%u %d %s %s", port, sa_is_any(&l[0].sa) ? 1 : 0, token, first);
	for (size_t k = 1; k < n; k++) {
		sa_text(&l[k].sa, text, sizeof(text));
		char *t = xasprintf("%s %s", spec_out, text);
		free(spec_out);
		spec_out = t;
	}
	if (sa_is_loopback(&l[0].sa)) {
		char *t = xasprintf("%s localhost:%u", spec_out, port);
		free(spec_out);
		spec_out = t;
	} else {
		fprintf(stderr,
			"pocket-docker: ui: listening on %s, not loopback: anyone who can reach it and "
			"learns the token controls the containers\n",
			first);
	}

	/* Signals arrive through a descriptor; SIGCHLD says the server
	 * ended. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	_cleanup_close_ int sfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (sfd < 0)
		return pd_fail(err, errno, "signalfd");

	/* The first server starts now: it says whether it can (is
	 * libmicrohttpd installed?) before the address is printed. */
	int sp[2];
	if (pipe2(sp, O_CLOEXEC) < 0)
		return pd_fail(err, errno, "pipe");
	pid_t worker = worker_spawn(root, spec_out, l, n, sp[1]);
	close(sp[1]);
	char status[1024];
	ssize_t got = 0, r;
	while ((r = read(sp[0], status + got, sizeof(status) - 1 - (size_t)got)) > 0 ||
	       (r < 0 && errno == EINTR))
		got += r > 0 ? r : 0;
	close(sp[0]);
	status[got] = 0;
	if (worker < 0 || strcmp(status, "ok") != 0) {
		if (worker > 0)
			waitpid(worker, NULL, 0);
		return pd_fail(err, 0, "start the server: %s", got ? status : "it died");
	}
	printf("pocket-docker ui: serving state root '%s'", root);
	for (size_t k = 1; k < n; k++) {
		sa_text(&l[k].sa, text, sizeof(text));
		printf(", also on %s", text);
	}
	printf("\nhttp://%s/?token=%s\n", first, token);
	fflush(stdout);
	explicit_bzero(token, sizeof(token));
	drop_startup_pages();

	/* Asleep in poll: on the signals while a server runs, on the
	 * sockets too while none does (the first connection starts one). */
	for (;;) {
		struct pollfd p[1 + UI_FDS_MAX] = { { .fd = sfd, .events = POLLIN } };
		size_t np = 1;
		for (size_t k = 0; k < n && worker <= 0; k++)
			p[np++] = (struct pollfd){ .fd = l[k].fd, .events = POLLIN };
		if (poll(p, np, -1) < 0 && errno != EINTR)
			return pd_fail(err, errno, "poll");
		if (p[0].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) != sizeof(si))
				continue;
			if (si.ssi_signo != SIGCHLD)
				break;
			int st = 0;
			if (worker > 0 && waitpid(worker, &st, WNOHANG) == worker) {
				worker = 0;
				if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
					refuse_pending(l, n);
				drop_startup_pages();
			}
			continue;
		}
		for (size_t k = 1; k < np && worker <= 0; k++)
			if (p[k].revents & POLLIN)
				worker = worker_spawn(root, spec_out, l, n, -1);
	}
	if (worker > 0) {
		kill(worker, SIGTERM);
		waitpid(worker, NULL, 0);
	}
	for (size_t k = 0; k < n; k++)
		close(l[k].fd);
	return 0;
}

int cli_ui(const struct cli_global *g, int argc, char **argv)
{
	_cleanup_err_ struct pd_err *err = NULL;
	if (ui_main(g, argc, argv, &err) < 0)
		return cli_fail(err);
	return 0;
}
