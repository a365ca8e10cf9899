/* An OCI runtime spec (config.json) as a struct pd_config: the other
 * direction of core/spec.c, so that a bundle runs on the same engine as
 * `pocket-docker run` (see oci.c for what phase 1 takes and refuses). */
#pragma once
#include "core/config.h"
#include "oci/spec.h"
#include "util/error.h"

/* Map the decoded spec `s` of the bundle directory `bundle` onto *out,
 * which is initialised first (pd_config_init; the caller frees it with
 * pd_config_free, on failure too).  root.path is made absolute against
 * `bundle`.  Every field the engine cannot honour yet is a usage error
 * (PD_ERR_USAGE) naming the field and saying why: a container is never
 * run weaker than the document asks.  out->id and out->name are left to
 * the caller; no pd_config_defaults is needed (the spec's environment and
 * hostname are taken as they are). */
int pd_config_from_oci(const struct pd_oci_spec *s, const char *bundle, struct pd_config *out,
		       struct pd_err **err);

/* The process part of the above (for `exec --process`): argv, env, cwd,
 * user, terminal, capabilities, rlimits, groups, no_new_privs into *out
 * (already initialised; its earlier values are replaced). */
int pd_config_from_oci_process(const struct pd_oci_process *p, struct pd_config *out, struct pd_err **err);
/* The resources part (for `update`): the set limits into *lim; what the
 * engine cannot apply is refused by name. */
int pd_limits_from_oci(const struct pd_oci_resources *r, struct pd_limits *lim, struct pd_err **err);

/* Read `bundle`/config.json, decode it (oci/spec.h) and map it as above.
 * *out is initialised in every case (the caller frees it). */
int pd_config_from_bundle(const char *bundle, struct pd_config *out, struct pd_err **err);

/* The config.json `pocket-runc spec` writes: the default document
 * (pd_oci_spec_default), less what this phase refuses (process.rlimits),
 * so that `spec` then `run` works.  Indented JSON text; caller frees. */
char *pd_oci_runnable_spec(bool rootless, struct pd_err **err);

/* The runtime-spec's features document for this phase (indented JSON
 * text; caller frees). */
char *pd_oci_features(struct pd_err **err);

/* The spec version the decoder knows in full ("1.2.0"). */
const char *pd_oci_spec_version(void);
