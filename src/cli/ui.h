/* `pocket-docker ui`: what its files (ui.c, ui-api.c, ui-stream.c) share.
 * ui.c owns the HTTP server (libmicrohttpd, one thread per connection),
 * the token check and the security headers; ui-api.c answers the JSON
 * endpoints; ui-stream.c the long answers (server-sent events, pulls) and
 * the processes of our own binary they read from. */
#pragma once
#include <jansson.h>
#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "util/dl.h"

/* libmicrohttpd is opened by `ui` only (ui_mhd_load), like the other
 * libraries of util/dl.h: linked, it and GnuTLS would be loaded and
 * relocated by every command.  The calls below go through its pointers. */
extern PD_DL_SYM(MHD_start_daemon);
extern PD_DL_SYM(MHD_quiesce_daemon);
extern PD_DL_SYM(MHD_get_daemon_info);
extern PD_DL_SYM(MHD_lookup_connection_value);
extern PD_DL_SYM(MHD_create_response_from_buffer);
extern PD_DL_SYM(MHD_create_response_from_callback);
extern PD_DL_SYM(MHD_add_response_header);
extern PD_DL_SYM(MHD_queue_response);
extern PD_DL_SYM(MHD_destroy_response);
#define MHD_start_daemon		  sym_MHD_start_daemon
#define MHD_quiesce_daemon		  sym_MHD_quiesce_daemon
#define MHD_get_daemon_info		  sym_MHD_get_daemon_info
#define MHD_lookup_connection_value	  sym_MHD_lookup_connection_value
#define MHD_create_response_from_buffer	  sym_MHD_create_response_from_buffer
#define MHD_create_response_from_callback sym_MHD_create_response_from_callback
#define MHD_add_response_header		  sym_MHD_add_response_header
#define MHD_queue_response		  sym_MHD_queue_response
#define MHD_destroy_response		  sym_MHD_destroy_response

#define UI_HOSTS_MAX 4

/* The server's settings, fixed once it listens. */
struct ui_server {
	char *root;	 /* the resolved state root */
	char token[65];	 /* 64 hex digits */
	char cookie[32]; /* the cookie's name: pd_ui_<port> */
	char hosts[UI_HOSTS_MAX]
		  [80]; /* the Host headers wanted: "127.0.0.1:PORT", "[::1]:PORT", "localhost:PORT" */
	size_t n_hosts;
	bool any_host; /* listening on 0.0.0.0 or [::]: any Host header */
};

/* One request as a handler sees it: method, path split off, the body
 * (POST) read whole. */
struct ui_req {
	struct MHD_Connection *conn;
	const struct ui_server *srv;
	const char *method;
	const char *url;
	const char *body;
	size_t body_len;
};

/* Queue `r` with the security headers added, then destroy it. */
enum MHD_Result ui_send(struct ui_req *q, unsigned status, struct MHD_Response *r);
/* A JSON answer (takes the reference). */
enum MHD_Result ui_send_json(struct ui_req *q, unsigned status, json_t *v);
/* {"error": msg} with `status`. */
enum MHD_Result ui_send_error(struct ui_req *q, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A text answer (copied). */
enum MHD_Result ui_send_text(struct ui_req *q, unsigned status, const char *type, const char *text,
			     size_t len);

/* The JSON API under /api/ (ui-api.c): returns MHD_NO only when the
 * connection must be dropped; an unknown path answers 404. */
enum MHD_Result ui_api(struct ui_req *q);

/* Our own binary with `--root` as given and `args` (NULL-terminated),
 * stdin from /dev/null (or the pty's slave when `pty_master` is not NULL:
 * a new terminal, the child its session leader), stdout and stderr into
 * *out_fd (a pipe, or the pty master).  Its pid, or -1 with errno. */
pid_t ui_spawn(const struct ui_server *s, char *const *args, int *out_fd, int *pty_master);
/* Run our own binary to the end: its output (stdout and stderr, at most
 * `max` bytes kept) and exit status.  -1 when it could not start. */
int ui_run_self(const struct ui_server *s, char *const *args, char **out, size_t max, int *status);

/* Long answers (ui-stream.c). */
/* GET /api/containers/events[?wait=1]: the container list as an event
 * each 2 s (wait=1: the first after 2 s too, not at once). */
enum MHD_Result ui_stream_containers(struct ui_req *q);
/* GET /api/containers/ID/logs?follow=1&tail=N: each line as an event. */
enum MHD_Result ui_stream_logs(struct ui_req *q, const char *id, bool follow, const char *tail);
/* GET /api/containers/ID/stats/events: a stats sample each second. */
enum MHD_Result ui_stream_stats(struct ui_req *q, const char *id);
/* GET /api/events?past=N&type=T&container=C&event=E&image=I&label=L: the
 * state root's events as they are recorded (after the newest N of those
 * kept, when N > 0), filtered as `events --filter` does. */
enum MHD_Result ui_stream_events(struct ui_req *q);
/* POST /api/images/pull: the pull's output as it comes (text/plain), then
 * a last line "[exit N]": the pull's exit status. */
enum MHD_Result ui_stream_pull(struct ui_req *q, const char *ref);
/* Terminals: POST /api/containers/ID/exec makes one (a session id; 404
 * when no such container, 409 when it does not run), GET
 * /api/exec/SID/events streams its output (base64), POST
 * /api/exec/SID/input and /api/exec/SID/resize feed it.  A session no
 * stream takes within 30 s (POCKET_DOCKER_UI_SESSION_IDLE_MS) ends. */
enum MHD_Result ui_exec_create(struct ui_req *q, const char *id);
enum MHD_Result ui_exec_route(struct ui_req *q, const char *rest);
/* End every terminal session (at shutdown). */
void ui_exec_end_all(void);
/* How many terminal sessions are open. */
size_t ui_exec_count(void);

/* The container list as the API gives it (a JSON array), or NULL with
 * *msg set (static). */
json_t *ui_containers_json(const struct ui_server *s, const char **msg);
