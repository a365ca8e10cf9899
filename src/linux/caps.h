/* Capabilities of the container's processes. */
#pragma once
#include <stdint.h>

#include "util/error.h"

/* Docker's default set: CHOWN DAC_OVERRIDE FSETID FOWNER MKNOD NET_RAW SETGID
 * SETUID SETFCAP SETPCAP NET_BIND_SERVICE SYS_CHROOT KILL AUDIT_WRITE. */
/* Drop every other capability from the bounding set and clear the ambient
 * set; must run before the user switch (it needs CAP_SETPCAP). */
int caps_drop_bounding(struct pd_err **err);
/* After the user switch: for uid 0 permitted = effective = the default set;
 * inheritable stays empty for everyone (a file with inheritable caps must
 * not gain anything, the CVE-2022-29162 class). */
int caps_apply(struct pd_err **err);
/* The default set as a bitmask (bit N = capability N), for seccomp rules
 * that depend on capabilities. */
uint64_t caps_default_mask(void);
