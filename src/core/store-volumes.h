/* Volumes in the state database (store-volumes.c): one row per volume,
 * and one per (volume, container) that uses it, removed with the
 * container's row.  Internal to core/ (core/volumes.c is its user). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/store.h"

/* One volume's row.  Strings are owned by the struct. */
struct pd_store_volume {
	char *name;
	int64_t created_ns;
	char *labels;  /* a JSON object of strings ("{}" when none) */
	char *options; /* a JSON object of strings: the driver options */
	bool anonymous;
	char *owner;  /* an anonymous volume's container (its id), or NULL */
	char *target; /* where that container mounts it, or NULL */
	char **users; /* ids of the containers whose records use it (NULL: none) */
};
void pd_store_volume_free(struct pd_store_volume *v);
void pd_store_volumes_free(struct pd_store_volume *v, size_t n);

/* Called inside the transaction that writes (or deletes) a volume's row:
 * `created` says the row is new.  A failure rolls the transaction back. */
typedef int (*pd_store_volume_fn)(const char *name, bool created, void *data, struct pd_err **err);

/* In one BEGIN IMMEDIATE transaction: the row `v` unless one of that name
 * exists, a use by `container_id` when not NULL, then `fn`.  Parallel
 * callers queue on the database lock: one of them creates, the others
 * find it made.  1 when the row existed, 0 when it was made here. */
int pd_store_volume_claim(struct pd_store *s, const struct pd_store_volume *v, const char *container_id,
			  pd_store_volume_fn fn, void *data, struct pd_err **err);
/* 0 with *out (freed by the caller), 1 when there is no such volume. */
int pd_store_volume_get(struct pd_store *s, const char *name, struct pd_store_volume *out,
			struct pd_err **err);
/* The anonymous volume made for `owner` at `target`: 0 with *name (the
 * caller frees), 1 when there is none. */
int pd_store_volume_anon_find(struct pd_store *s, const char *owner, const char *target, char **name,
			      struct pd_err **err);
/* Names of the anonymous volumes made for `owner` (a vector the caller
 * frees; empty when none). */
int pd_store_volume_anon_of(struct pd_store *s, const char *owner, char ***names, struct pd_err **err);
/* Every volume, by name, with its users. */
int pd_store_volume_list(struct pd_store *s, struct pd_store_volume **out, size_t *n, struct pd_err **err);
/* In one transaction: refuse (PD_ERR_USAGE, naming a container) when a
 * container's record uses the volume, else delete its row and call `fn`
 * (created false).  1 when there is no such volume, 0 when deleted. */
int pd_store_volume_delete(struct pd_store *s, const char *name, pd_store_volume_fn fn, void *data,
			   struct pd_err **err);
