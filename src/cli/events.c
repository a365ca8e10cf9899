/* `pocket-docker events [--since T] [--until T] [--filter K=V]... [--format F]`:
 * the events recorded in the state database (core/events.h), as Docker
 * prints them.  Without --until it follows new ones, reading every
 * FOLLOW_MS while sleeping in poll(2) on stdout, until SIGINT or SIGTERM
 * or until stdout's reader goes; each of those ends it with status 0. */
#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/container.h"
#include "core/events.h"
#include "util/cleanup.h"
#include "util/proc.h"
#include "util/str.h"
#include "util/template.h"
#include "util/xalloc.h"

#define FOLLOW_MS 150

struct events_opts {
	char *since, *until, *format;
	struct pd_event_filter filter;
	bool help;
};

static int set_str(char **slot, const char *a)
{
	free(*slot);
	*slot = xstrdup(a);
	return 0;
}

static int set_since(void *o, const char *a, struct pd_err **err)
{
	return set_str(&((struct events_opts *)o)->since, a);
}

static int set_until(void *o, const char *a, struct pd_err **err)
{
	return set_str(&((struct events_opts *)o)->until, a);
}

static int set_format(void *o, const char *a, struct pd_err **err)
{
	return set_str(&((struct events_opts *)o)->format, a);
}

static int set_filter(void *o, const char *a, struct pd_err **err)
{
	struct events_opts *e = o;
	/* since= and until= as filters are the flags. */
	if (str_has_prefix(a, "since="))
		return set_since(o, a + 6, err);
	if (str_has_prefix(a, "until="))
		return set_until(o, a + 6, err);
	return pd_event_filter_add(&e->filter, a, err);
}

static int set_help(void *o, const char *a, struct pd_err **err)
{
	((struct events_opts *)o)->help = true;
	return 0;
}

static const struct cli_opt events_table[] = {
	{ "filter", 'f', true, set_filter, "filter (container=, event=, type=, image=, label=)" },
	{ "format", 0, true, set_format, "a Go template, or json" },
	{ "since", 0, true, set_since, "events since a timestamp or a duration ago (10m)" },
	{ "until", 0, true, set_until, "events until a timestamp or a duration ago; then exit" },
	{ "help", 0, false, set_help, "show this help" },
	{ 0 },
};

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

/* Without SA_RESTART: the poll between reads returns at once. */
static void catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The attributes with their keys sorted, as Go prints a map. */
static json_t *sorted_attributes(json_t *attrs)
{
	size_t n = json_object_size(attrs), i = 0;
	_cleanup_free_ const char **keys = xcalloc(n ? n : 1, sizeof(char *));
	const char *k;
	json_t *v;
	json_object_foreach(attrs, k, v) keys[i++] = k;
	qsort(keys, n, sizeof(char *), cmp_str);
	json_t *o = json_object();
	for (i = 0; i < n; i++)
		json_object_set(o, keys[i], json_object_get(attrs, keys[i]));
	return o;
}

/* Docker's events.Message: with its JSON names (`json`) or its Go field
 * names (what a template's fields name). */
static json_t *message(const struct pd_event *e, bool go_names)
{
	json_t *attrs = sorted_attributes(e->attributes);
	const char *from =
	    strcmp(e->type, "container") ? NULL : json_string_value(json_object_get(attrs, "image"));
	json_t *o = json_object();
	json_object_set_new(o, go_names ? "Status" : "status", json_string(e->action));
	json_object_set_new(o, go_names ? "ID" : "id", json_string(e->id));
	if (from || go_names)
		json_object_set_new(o, go_names ? "From" : "from", json_string(from ? from : ""));
	json_object_set_new(o, "Type", json_string(e->type));
	json_object_set_new(o, "Action", json_string(e->action));
	json_object_set_new(o, "Actor", json_pack("{s:s, s:o}", "ID", e->id, "Attributes", attrs));
	json_object_set_new(o, go_names ? "Scope" : "scope", json_string("local"));
	json_object_set_new(o, go_names ? "Time" : "time", json_integer(e->time_ns / 1000000000));
	json_object_set_new(o, go_names ? "TimeNano" : "timeNano", json_integer(e->time_ns));
	return o;
}

/* "2026-12-05T01:02:03.123456789Z container die ID (exitCode=0, name=x)" */
static char *default_line(const struct pd_event *e)
{
	time_t sec = (time_t)(e->time_ns / 1000000000);
	struct tm tm;
	char when[40];
	gmtime_r(&sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	char *line = xasprintf("%s.%09lldZ %s %s %s", when, (long long)(e->time_ns % 1000000000), e->type,
			       e->action, e->id);
	json_t *attrs = sorted_attributes(e->attributes);
	const char *k;
	json_t *v;
	bool first = true;
	json_object_foreach(attrs, k, v)
	{
		char *next = xasprintf("%s%s%s=%s", line, first ? " (" : ", ", k, json_string_value(v));
		free(line);
		line = next;
		first = false;
	}
	json_decref(attrs);
	if (!first) {
		char *next = xasprintf("%s)", line);
		free(line);
		line = next;
	}
	return line;
}

struct printer {
	struct pd_tmpl *tmpl; /* NULL: the default line, or json */
	bool json;
};

/* -1 when stdout is gone (the end of the command, not an error). */
static int print_event(const struct printer *p, const struct pd_event *e, struct pd_err **err)
{
	if (p->json) {
		json_t *m = message(e, false);
		char *text = json_dumps(m, JSON_COMPACT);
		json_decref(m);
		cli_print_line(text ? text : "{}");
		free(text);
	} else if (p->tmpl) {
		json_t *m = message(e, true);
		char *text = pd_tmpl_render(p->tmpl, m, PD_TMPL_SAFE, NULL, err);
		json_decref(m);
		if (!text) {
			pd_err_prefix(err, "--format");
			return -2;
		}
		puts(text);
		free(text);
	} else {
		_cleanup_free_ char *line = default_line(e);
		cli_print_line(line);
	}
	return fflush(stdout) == 0 ? 0 : -1;
}

static int init_printer(struct printer *p, const char *format, struct pd_err **err)
{
	*p = (struct printer){ 0 };
	if (!format || !*format)
		return 0;
	bool table = false;
	_cleanup_free_ char *text = pd_tmpl_docker_text(format, &table);
	/* `{{json .}}` is Docker's JSON of the message, whose names differ from
	 * the fields a template reads (status, not .Status). */
	if (!strcmp(text, "json") || !strcmp(text, "{{json .}}")) {
		p->json = true;
		return 0;
	}
	p->tmpl = pd_tmpl_parse(text, err);
	if (!p->tmpl) {
		pd_err_prefix(err, "--format");
		return -1;
	}
	return 0;
}

/* Sleep up to `ms`, waking when stdout's reader goes (POLLERR on a pipe's
 * write end) or a signal comes.  False when stdout is gone. */
static bool nap(int ms)
{
	struct pollfd p = { .fd = STDOUT_FILENO, .events = 0 };
	int r = poll(&p, 1, ms);
	return !(r > 0 && (p.revents & (POLLERR | POLLHUP | POLLNVAL)));
}

struct window {
	int64_t since, until; /* ns; 0: none */
};

static int events_main(const struct cli_global *g, struct events_opts *o, struct pd_err **err)
{
	int64_t now = pd_now_ns();
	struct window w = { 0 };
	if (o->since && pd_parse_time_arg(o->since, now, &w.since, err) < 0) {
		pd_err_prefix(err, "--since");
		return -1;
	}
	if (o->until && pd_parse_time_arg(o->until, now, &w.until, err) < 0) {
		pd_err_prefix(err, "--until");
		return -1;
	}
	struct printer p;
	if (init_printer(&p, o->format, err) < 0)
		return -1;
	_cleanup_free_ char *root = pd_state_root(g->root, err);
	/* Docker replays the past only when given a window. */
	struct pd_events_reader *r = root ? pd_events_open(root, o->since || o->until, err) : NULL;
	if (!r) {
		pd_tmpl_free(p.tmpl);
		return -1;
	}
	catch_signals();
	int ret = 0;
	bool open = true;
	while (open && !stop_signal) {
		struct pd_event *v = NULL;
		size_t n = 0;
		if (pd_events_next(r, &v, &n, err) < 0) {
			ret = -1;
			break;
		}
		for (size_t i = 0; open && i < n; i++) {
			if ((w.since && v[i].time_ns < w.since) || (w.until && v[i].time_ns > w.until) ||
			    !pd_event_filter_match(&o->filter, &v[i]))
				continue;
			int pr = print_event(&p, &v[i], err);
			if (pr == -2)
				ret = -1;
			open = pr == 0;
		}
		pd_events_free(v, n);
		if (n)
			continue; /* more may be waiting */
		int64_t left_ms = w.until ? (w.until - pd_now_ns()) / 1000000 : FOLLOW_MS;
		if (w.until && left_ms < 0)
			break;
		open = open && nap(left_ms < FOLLOW_MS ? (int)left_ms + 1 : FOLLOW_MS);
	}
	pd_events_close(r);
	pd_tmpl_free(p.tmpl);
	return ret;
}

int cli_events(const struct cli_global *g, int argc, char **argv)
{
	struct events_opts o = { 0 };
	_cleanup_err_ struct pd_err *err = NULL;
	int i = 1;
	int ret = 0;
	if (cli_parse(events_table, &o, argc, argv, &i, &err) < 0)
		ret = cli_fail(err);
	else if (i < argc)
		ret = cli_usage_error("events takes no arguments");
	else if (o.help) {
		printf("Usage: pocket-docker events [OPTIONS]\n\nShow events: past ones with --since or "
		       "--until, then new ones until --until or interrupted.\n");
		cli_print_options(events_table);
	} else if (events_main(g, &o, &err) < 0)
		ret = cli_fail(err);
	free(o.since);
	free(o.until);
	free(o.format);
	pd_event_filter_free(&o.filter);
	return ret;
}
