/* `pocket-docker ui [--listen ADDR:PORT]`: a web dashboard of one state
 * root, served by this process until SIGINT or SIGTERM.  Runs in the CLI
 * with the caller's privileges; a rootless user sees their own state root.
 *
 * The server is libmicrohttpd with a thread per connection (a listening
 * thread asleep in poll while no one is connected, the main thread in
 * sigwait: no timer runs while the page is closed).  The page itself
 * (index.html, app.js, app.css and Debian's xterm.js) is built into the
 * binary (ui-assets.S) and speaks only the JSON API of ui-api.c.
 *
 * Who may ask: anyone who can reach the port could drive the containers
 * (and so the host, as root), so
 *   - it listens on 127.0.0.1 unless --listen says otherwise;
 *   - every request carries the random token printed at start: in the
 *     query the first time (answered with a redirect that sets it as an
 *     HttpOnly, SameSite=Strict cookie and drops it from the address), then
 *     the cookie, or `Authorization: Bearer TOKEN` (curl); else 401;
 *   - the Host header must name the address we listen on (a DNS
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
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
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

enum MHD_Result ui_send(struct ui_req *q, unsigned status, struct MHD_Response *r)
{
	MHD_add_response_header(r, "Content-Security-Policy", csp);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	MHD_add_response_header(r, "Cross-Origin-Opener-Policy", "same-origin");
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
	return !strcmp(host, s->host) || (s->alt_host[0] && !strcmp(host, s->alt_host));
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
	{ "listen", 0, true, set_listen, "ADDR:PORT to listen on (default 127.0.0.1 and a free port)" },
	{ "help", 0, false, set_help, "show this help" },
	{ 0 },
};

/* "ADDR:PORT", ":PORT" (loopback) or "PORT"; IPv4. */
static int parse_listen(const char *s, struct sockaddr_in *sa, struct pd_err **err)
{
	*sa = (struct sockaddr_in){ .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	const char *colon = s ? strrchr(s, ':') : NULL;
	const char *port = colon ? colon + 1 : s;
	if (colon && colon > s) {
		_cleanup_free_ char *addr = xstrndup(s, (size_t)(colon - s));
		if (inet_pton(AF_INET, addr, &sa->sin_addr) != 1)
			return pd_fail_kind(err, PD_ERR_USAGE, 0, "--listen: '%s' is not an IPv4 address",
					    addr);
	}
	uint64_t p = 0;
	if (port && *port && pd_parse_uint(port, 65535, &p, err) < 0) {
		pd_err_prefix(err, "--listen");
		return -1;
	}
	sa->sin_port = htons((uint16_t)p);
	return 0;
}

static int ui_main(const struct cli_global *g, int argc, char **argv, struct pd_err **err)
{
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
	struct sockaddr_in sa;
	if (parse_listen(listen, &sa, err) < 0 || mhd_load(err) < 0)
		return -1;
	struct ui_server s = { .root_arg = (char *)g->root };
	s.root = pd_state_root(g->root, err);
	if (!s.root)
		return -1;
	unsigned char raw[32];
	if (getrandom(raw, sizeof(raw), 0) != sizeof(raw))
		return pd_fail(err, errno, "read random bytes for the token");
	for (size_t k = 0; k < sizeof(raw); k++)
		snprintf(s.token + 2 * k, 3, "%02x", raw[k]);

	/* Signals the main thread waits for: blocked before any thread
	 * starts, so every thread inherits the mask; SIGPIPE ignored (a
	 * child's pipe closing must not end the server).  ui_spawn resets
	 * both in its children. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	struct MHD_Daemon *d =
	    MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL,
			     0, NULL, NULL, handle, &s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
			     MHD_OPTION_NOTIFY_COMPLETED, request_done, NULL, MHD_OPTION_CONNECTION_LIMIT,
			     64U, MHD_OPTION_PER_IP_CONNECTION_LIMIT, 32U, MHD_OPTION_END);
	if (!d) {
		char a[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &sa.sin_addr, a, sizeof(a));
		return pd_fail(err, errno, "listen on %s:%u", a, ntohs(sa.sin_port));
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	unsigned port = info ? info->port : ntohs(sa.sin_port);
	char addr[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &sa.sin_addr, addr, sizeof(addr));
	snprintf(s.cookie, sizeof(s.cookie), "pd_ui_%u", port);
	snprintf(s.host, sizeof(s.host), "%s:%u", addr, port);
	s.any_host = sa.sin_addr.s_addr == htonl(INADDR_ANY);
	if (ntohl(sa.sin_addr.s_addr) == INADDR_LOOPBACK)
		snprintf(s.alt_host, sizeof(s.alt_host), "localhost:%u", port);
	else
		fprintf(stderr,
			"pocket-docker: ui: listening on %s, not loopback: anyone who can reach it and "
			"learns the token controls the containers\n",
			addr);
	printf("pocket-docker ui: serving state root '%s'\n", s.root);
	printf("http://%s/?token=%s\n", s.host, s.token);
	fflush(stdout);

	int sig = 0;
	sigwait(&set, &sig);
	ui_exec_end_all();
	/* Connections blocked in a stream end with the process. */
	MHD_quiesce_daemon(d);
	free(s.root);
	return 0;
}

int cli_ui(const struct cli_global *g, int argc, char **argv)
{
	_cleanup_err_ struct pd_err *err = NULL;
	if (ui_main(g, argc, argv, &err) < 0)
		return cli_fail(err);
	return 0;
}
