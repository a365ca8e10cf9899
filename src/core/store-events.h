/* The events table (store-events.c): what core/events.c reads and writes.
 * Internal to core/; everything else goes through core/events.h. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/store.h"

/* The table keeps the newest PD_EVENTS_KEEP events: every
 * PD_EVENTS_TRIM_EVERY-th insert deletes those older than that, so it
 * holds at most PD_EVENTS_KEEP + PD_EVENTS_TRIM_EVERY - 1 rows. */
#define PD_EVENTS_KEEP	     10000
#define PD_EVENTS_TRIM_EVERY 64

/* One row.  Strings are owned by the row (pd_store_event_clear). */
struct pd_store_event {
	int64_t seq; /* insertion order; grows by one per event */
	int64_t time_ns;
	char *type;	  /* "container", "image" */
	char *action;	  /* "die", "health_status: healthy", "pull", ... */
	char *id;	  /* the actor: a container's full id, an image's id or name */
	char *attributes; /* a JSON object of strings */
};
void pd_store_event_clear(struct pd_store_event *e);
void pd_store_events_free(struct pd_store_event *v, size_t n);

/* Insert `n` rows (their seq is ignored) in one transaction. */
int pd_store_events_insert(struct pd_store *s, const struct pd_store_event *v, size_t n, struct pd_err **err);
/* Insert one container event whose attributes are the record `id`'s
 * labels, image and name, with `extra` (a JSON object of strings, or
 * NULL) over them.  Nothing when there is no such record. */
int pd_store_event_of_record(struct pd_store *s, const char *id, const char *action, int64_t time_ns,
			     const char *extra, struct pd_err **err);
/* Up to `max` rows with seq > after, oldest first. */
int pd_store_events_after(struct pd_store *s, int64_t after, size_t max, struct pd_store_event **out,
			  size_t *n, struct pd_err **err);
/* The newest row's seq (0 when the table is empty). */
int pd_store_events_last(struct pd_store *s, int64_t *seq, struct pd_err **err);
/* The container `id`'s end as events, from its record: "oom" (when
 * `oom`), "die" (exitCode=`exit_code`), and "stop" when a stop was asked.
 * For a record about to be deleted (--rm) without its exit recorded: a
 * recorded exit makes these by itself. */
int pd_store_events_exit(struct pd_store *s, const char *id, int exit_code, bool oom, int64_t time_ns,
			 struct pd_err **err);
/* PRAGMA data_version: it changes when another connection commits; a
 * follower's cheap test before it reads. */
int64_t pd_store_data_version(struct pd_store *s);
