/* A container's config as an OCI runtime spec (see spec.c). */
#pragma once
#include "core/config.h"
#include "util/error.h"

/* The config.json that describes `c` (after pd_config_defaults), indented
 * JSON text the caller frees; NULL with *err when a --device node cannot
 * be read or the recorded seccomp profile is not JSON.  Fields the spec
 * has no place for are annotations named "org.pocket-docker.*". */
char *pd_config_oci_spec(const struct pd_config *c, struct pd_err **err);
