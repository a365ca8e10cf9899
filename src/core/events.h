/* Docker-style events without a daemon: a bounded table in the state
 * database (the newest 10,000 events; store-events.h), written where things
 * happen and read by `pocket-docker events`.
 *
 * Who writes what:
 * - The store itself, in the statement that changes a row (triggers, no
 *   call needed): container create (record inserted), start (record made
 *   running: every start, a restart policy's included), oom / die
 *   (exitCode) / stop (record made exited or restarting; stop when a stop
 *   was asked), destroy (record deleted), rename, "health_status: healthy"
 *   and "health_status: unhealthy" (the health status changed); image
 *   untag (a name deleted) and delete (an image deleted).
 * - Callers, with the functions below, for what no row change carries:
 *   kill (a signal sent), pause, unpause, restart (the `restart` command,
 *   after its start), a --rm container's end (pd_event_container_exit),
 *   image pull and import.
 *
 * Writing is best effort: the event describes something that happened
 * already, so a failure to record it is dropped, never reported and never
 * fails the caller.  Each call is one short statement (one commit).
 *
 * An event: a time (ns), a type ("container", "image"), an action (Docker's
 * names), an actor id (a container's full id; an image's id or the name
 * pulled) and attributes (string keys and values: a container's labels,
 * its image and name, then the action's own such as exitCode or signal). */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/store.h"
#include "util/error.h"

/* Record `action` for the container `id` (its full id; nothing when there
 * is no such record): its attributes are the record's labels, image and
 * name, plus `key`=`value` when key is not NULL.  For example, after the
 * `start` of an existing container nothing is needed (the store records
 * it), and after a `restart`'s start:
 *   pd_event_container(s, r.id, "restart", NULL, NULL);
 * `s` may be NULL (nothing is recorded). */
void pd_event_container(struct pd_store *s, const char *id, const char *action, const char *key,
			const char *value);
/* "kill" with signal=<number>: after a signal is sent to the container. */
void pd_event_container_kill(struct pd_store *s, const char *id, int sig);
/* A container whose record is deleted without its exit recorded (--rm):
 * "oom" (when `oom`), "die" with exitCode, and "stop" when a stop was
 * asked; call before deleting the record (the delete records "destroy"). */
void pd_event_container_exit(struct pd_store *s, const char *id, int exit_code, bool oom);
/* An image event under the state root `root` ("pull": `id` is the name as
 * pulled; "import": the image id); `name` becomes the name attribute (NULL:
 * `id`).  Opens the store for it. */
void pd_event_image(const char *root, const char *action, const char *id, const char *name);

/* ------------------------------------------------------------------ */
/* Reading. */

struct pd_event {
	int64_t seq; /* the order events were recorded in */
	int64_t time_ns;
	char *type, *action, *id;
	json_t *attributes; /* an object of strings (owned) */
};
void pd_events_free(struct pd_event *v, size_t n);

/* A reader over the state root's events: pd_events_next gives those
 * recorded after the last it gave, from the oldest kept (`past`) or from
 * those recorded after the open.  Owns a store connection. */
struct pd_events_reader;
struct pd_events_reader *pd_events_open(const char *root, bool past, struct pd_err **err);
void pd_events_close(struct pd_events_reader *r);
/* The next events (possibly none: *n = 0), oldest first.  Cheap when
 * nothing was committed since the last call (one PRAGMA): a follower can
 * call it every 100 ms. */
int pd_events_next(struct pd_events_reader *r, struct pd_event **out, size_t *n, struct pd_err **err);

/* --filter of `events`, as Docker matches them: values of one key are
 * alternatives, keys must all match.  container=ID-prefix|name,
 * event=ACTION (health_status, exec_create and exec_start match the
 * action's prefix, as Docker's do), type=container|image, image=NAME
 * (a container's image attribute, an image event's id or name; with or
 * without its tag), label=KEY or label=KEY=VALUE (the attributes). */
struct pd_event_filter {
	char **container, **event, **type, **image, **label;
};
/* Add "KEY=VALUE"; an unknown key or a missing '=' is a usage error. */
int pd_event_filter_add(struct pd_event_filter *f, const char *spec, struct pd_err **err);
bool pd_event_filter_match(const struct pd_event_filter *f, const struct pd_event *e);
void pd_event_filter_free(struct pd_event_filter *f);
