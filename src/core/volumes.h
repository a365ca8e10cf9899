/* Named and anonymous volumes (Docker's local driver): `volume create`,
 * `ls`, `inspect`, `rm`, `prune`, and their preparation before a
 * container starts.  A volume is a directory <root>/volumes/NAME/_data and
 * a row of the state database; it is in use while any container's record
 * names it (running or not).  Runs in the CLI with the caller's
 * privileges (and in a --rm container's monitor, to remove its anonymous
 * volumes). */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "core/config.h"
#include "core/store-volumes.h"
#include "core/store.h"

/* `volume create`: the volume `name` (NULL: a generated 64-hex name) with
 * labels ("KEY=VALUE") and the local driver's options ("type=tmpfs",
 * "device=PATH", "o=OPTS").  Creating one that exists with the same
 * options does nothing (as Docker); other options are a usage error.  The
 * name made or found in *out (caller frees). */
int pd_volume_create(const char *root, const char *name, char *const *labels, char *const *opts, char **out,
		     struct pd_err **err);
/* The driver options' one check: keys type (tmpfs or none), device and o;
 * a tmpfs takes o=size=SIZE,mode=OCTAL; type none takes an absolute
 * device directory outside the state root and o=bind (real root only: the
 * caller's own directory is a plain -v).  A usage error otherwise. */
int pd_volume_opts_check(char *const *opts, const char *root, struct pd_err **err);

/* Every volume (pd_store_volumes_free). */
int pd_volume_list(const char *root, struct pd_store_volume **out, size_t *n, struct pd_err **err);
/* One volume as `volume inspect` shows it (Docker's keys: CreatedAt,
 * Driver, Labels, Mountpoint, Name, Options, Scope); caller owns it. */
json_t *pd_volume_json(const char *root, const struct pd_store_volume *v);
/* Whether `v` passes one `--filter KEY=VALUE` of `volume ls` / `prune`
 * (dangling=true|false, name=SUBSTRING, label=KEY[=VALUE],
 * label!=KEY[=VALUE], driver=local); an unknown key is a usage error. */
int pd_volume_filter_match(const struct pd_store_volume *v, const char *filter, bool *match,
			   struct pd_err **err);
/* 0 with *out, or a usage error "no such volume". */
int pd_volume_get(const char *root, const char *name, struct pd_store_volume *out, struct pd_err **err);
/* Remove a volume and its data; refused (usage error naming the container)
 * while in use.  1 when there is no such volume (nothing done). */
int pd_volume_remove(const char *root, const char *name, struct pd_err **err);
/* `volume prune`: remove unused volumes, anonymous ones only unless
 * `all`, among those passing every filter in `filters` (NULL: none);
 * each name removed is reported (error NULL), each failure too. */
typedef void (*pd_volume_report_fn)(const char *name, const struct pd_err *e, void *data);
int pd_volume_prune(const char *root, bool all, char *const *filters, pd_volume_report_fn report, void *data,
		    struct pd_err **err);

/* Before a start (or `create`), in the CLI: every named or anonymous
 * volume of cfg made (created when missing, seeded from the image's
 * content at its destination in `lowers`, top first, unless nocopy) and
 * recorded as used by cfg->id; the image's Volumes (cfg->image_id) get
 * anonymous volumes, kept across starts; --volumes-from adds the other
 * container's volumes.  cfg's mounts are then what the init mounts (a
 * volume's data directory, or a tmpfs for a tmpfs volume); cfg->id's
 * record must exist.  Does nothing, and opens nothing, for a config with
 * no volume, no image and no --volumes-from. */
int pd_volumes_prepare(struct pd_store *s, const char *root, struct pd_config *cfg, char *const *lowers,
		       struct pd_err **err);
/* `rm -v` and --rm: remove the anonymous volumes made for container `id`
 * (its record gone already); one another container uses stays.
 * Failures are reported through *err after trying every one. */
int pd_volumes_remove_anonymous(const char *root, const char *id, struct pd_err **err);
/* Whether a prepared config has anonymous volumes (so --rm has some to
 * remove: nothing is opened for one without). */
bool pd_volumes_has_anonymous(const struct pd_config *cfg);
