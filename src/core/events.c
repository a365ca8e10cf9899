/* Events (see events.h): the calls that record what no row change carries,
 * the reader `events` follows, its filters and its time syntax.  Runs in
 * the CLI (kill, stop, pause, pull, import, events) and in the monitor (a
 * --rm container's end), with the caller's privileges.  Recording never
 * fails its caller: the thing happened; only its event may be missing. */
#include "core/events.h"

#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/store-events.h"
#include "util/cleanup.h"
#include "util/proc.h"
#include "util/str.h"
#include "util/xalloc.h"

void pd_event_container(struct pd_store *s, const char *id, const char *action, const char *key,
			const char *value)
{
	if (!s || !id)
		return;
	_cleanup_free_ char *extra = NULL;
	if (key) {
		json_t *o = json_pack("{s:s}", key, value ? value : "");
		extra = o ? json_dumps(o, JSON_COMPACT) : NULL;
		json_decref(o);
	}
	pd_store_event_of_record(s, id, action, pd_now_ns(), extra, pd_err_ignore(optional));
}

void pd_event_container_kill(struct pd_store *s, const char *id, int sig)
{
	char num[16];
	snprintf(num, sizeof(num), "%d", sig);
	pd_event_container(s, id, "kill", "signal", num);
}

void pd_event_container_exit(struct pd_store *s, const char *id, int exit_code, bool oom)
{
	if (s && id)
		pd_store_events_exit(s, id, exit_code, oom, pd_now_ns(), pd_err_ignore(optional));
}

void pd_event_image(const char *root, const char *action, const char *id, const char *name)
{
	_cleanup_store_ struct pd_store *s = pd_store_open(root, pd_err_ignore(optional));
	if (!s || !id)
		return;
	json_t *o = json_pack("{s:s}", "name", name ? name : id);
	_cleanup_free_ char *attrs = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	struct pd_store_event e = {
		.time_ns = pd_now_ns(),
		.type = (char *)"image",
		.action = (char *)action,
		.id = (char *)id,
		.attributes = attrs,
	};
	pd_store_events_insert(s, &e, 1, pd_err_ignore(optional));
}

/* ------------------------------------------------------------------ */
/* Reading. */

#define READ_BATCH 1000

struct pd_events_reader {
	struct pd_store *store;
	int64_t after;	      /* the last seq given */
	int64_t data_version; /* at the last read that found everything */
};

void pd_events_free(struct pd_event *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].type);
		free(v[i].action);
		free(v[i].id);
		json_decref(v[i].attributes);
	}
	free(v);
}

struct pd_events_reader *pd_events_open(const char *root, bool past, struct pd_err **err)
{
	struct pd_store *s = pd_store_open(root, err);
	if (!s)
		return NULL;
	struct pd_events_reader *r = xcalloc(1, sizeof(*r));
	r->store = s;
	r->data_version = -1;
	if (!past && pd_store_events_last(s, &r->after, err) < 0) {
		pd_events_close(r);
		return NULL;
	}
	return r;
}

void pd_events_close(struct pd_events_reader *r)
{
	if (!r)
		return;
	pd_store_close(r->store);
	free(r);
}

int pd_events_next(struct pd_events_reader *r, struct pd_event **out, size_t *n, struct pd_err **err)
{
	*out = NULL;
	*n = 0;
	/* data_version is per connection and changes only with another's
	 * commit: unchanged since a read that emptied the table's tail, there
	 * is nothing new. */
	int64_t dv = pd_store_data_version(r->store);
	if (dv >= 0 && dv == r->data_version)
		return 0;
	struct pd_store_event *rows = NULL;
	size_t len = 0;
	if (pd_store_events_after(r->store, r->after, READ_BATCH, &rows, &len, err) < 0)
		return -1;
	r->data_version = len < READ_BATCH ? dv : -1;
	struct pd_event *v = xcalloc(len ? len : 1, sizeof(*v));
	for (size_t i = 0; i < len; i++) {
		v[i] = (struct pd_event){
			.seq = rows[i].seq,
			.time_ns = rows[i].time_ns,
			.type = take_ptr(&rows[i].type),
			.action = take_ptr(&rows[i].action),
			.id = take_ptr(&rows[i].id),
			.attributes = json_loads(rows[i].attributes, 0, NULL),
		};
		if (!json_is_object(v[i].attributes)) {
			json_decref(v[i].attributes);
			v[i].attributes = json_object();
		}
		r->after = rows[i].seq;
	}
	pd_store_events_free(rows, len);
	*out = v;
	*n = len;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Filters. */

int pd_event_filter_add(struct pd_event_filter *f, const char *spec, struct pd_err **err)
{
	const char *eq = strchr(spec, '=');
	if (!eq)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "bad format of filter (expected name=value): '%s'",
				    spec);
	size_t klen = (size_t)(eq - spec);
	static const struct {
		const char *key;
		size_t offset;
	} keys[] = {
		{ "container", offsetof(struct pd_event_filter, container) },
		{ "event", offsetof(struct pd_event_filter, event) },
		{ "type", offsetof(struct pd_event_filter, type) },
		{ "image", offsetof(struct pd_event_filter, image) },
		{ "label", offsetof(struct pd_event_filter, label) },
	};
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (strlen(keys[i].key) == klen && !strncmp(spec, keys[i].key, klen)) {
			if (!strcmp(keys[i].key, "type") && strcmp(eq + 1, "container") &&
			    strcmp(eq + 1, "image"))
				return pd_fail_kind(err, PD_ERR_USAGE, 0,
						    "invalid filter 'type=%s' (container or image)", eq + 1);
			strv_push((char ***)((char *)f + keys[i].offset), eq + 1);
			return 0;
		}
	return pd_fail_kind(err, PD_ERR_USAGE, 0, "invalid filter '%.*s'", (int)klen, spec);
}

void pd_event_filter_free(struct pd_event_filter *f)
{
	strv_free(f->container);
	strv_free(f->event);
	strv_free(f->type);
	strv_free(f->image);
	strv_free(f->label);
	*f = (struct pd_event_filter){ 0 };
}

static const char *attr(const struct pd_event *e, const char *key)
{
	return json_string_value(json_object_get(e->attributes, key));
}

static bool any_equal(char *const *v, const char *s)
{
	for (size_t i = 0; s && v && v[i]; i++)
		if (!strcmp(v[i], s))
			return true;
	return false;
}

static bool any_prefix(char *const *v, const char *s)
{
	for (size_t i = 0; s && v && v[i]; i++)
		if (str_has_prefix(s, v[i]))
			return true;
	return false;
}

/* "repo:tag" -> "repo" (a registry's port is not a tag). */
static char *strip_tag(const char *name)
{
	const char *colon = strrchr(name, ':');
	if (!colon || strchr(colon, '/'))
		return xstrdup(name);
	return xstrndup(name, (size_t)(colon - name));
}

static bool match_image(char *const *v, const struct pd_event *e)
{
	const char *name = attr(e, strcmp(e->type, "image") ? "image" : "name");
	_cleanup_free_ char *id_repo = strip_tag(e->id);
	_cleanup_free_ char *name_repo = name ? strip_tag(name) : NULL;
	return any_equal(v, e->id) || any_equal(v, name) || any_equal(v, id_repo) || any_equal(v, name_repo);
}

static bool match_event(char *const *v, const char *action)
{
	/* Docker matches these by prefix: the action is "health_status:
	 * healthy", the filter "health_status". */
	static const char *const fuzzy[] = { "health_status", "exec_create", "exec_start" };
	for (size_t i = 0; v && v[i]; i++) {
		if (!strcmp(v[i], action))
			return true;
		for (size_t k = 0; k < ARRAY_SIZE(fuzzy); k++)
			if (!strcmp(v[i], fuzzy[k]) && str_has_prefix(action, fuzzy[k]))
				return true;
	}
	return false;
}

static bool match_labels(char *const *v, const struct pd_event *e)
{
	for (size_t i = 0; v && v[i]; i++) {
		const char *eq = strchr(v[i], '=');
		_cleanup_free_ char *key = eq ? xstrndup(v[i], (size_t)(eq - v[i])) : xstrdup(v[i]);
		const char *val = attr(e, key);
		if (val && (!eq || !strcmp(val, eq + 1)))
			return true;
	}
	return false;
}

bool pd_event_filter_match(const struct pd_event_filter *f, const struct pd_event *e)
{
	if (f->type && !any_equal(f->type, e->type))
		return false;
	if (f->event && !match_event(f->event, e->action))
		return false;
	if (f->container && !any_prefix(f->container, e->id) && !any_equal(f->container, attr(e, "name")))
		return false;
	if (f->image && !match_image(f->image, e))
		return false;
	if (f->label && !match_labels(f->label, e))
		return false;
	return true;
}
