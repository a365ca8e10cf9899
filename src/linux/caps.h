/* Capabilities of the container's processes. */
#pragma once
#include <stdint.h>

#include "util/error.h"

/* Docker's default set: CHOWN DAC_OVERRIDE FSETID FOWNER MKNOD NET_RAW SETGID
 * SETUID SETFCAP SETPCAP NET_BIND_SERVICE SYS_CHROOT KILL AUDIT_WRITE. */
/* Drop every other capability from the bounding set and clear the ambient
 * set; must run before the user switch (it needs CAP_SETPCAP). */
int caps_drop_bounding(uint64_t keep, struct pd_err **err);
/* After the user switch: for uid 0 permitted = effective = the default set;
 * inheritable stays empty for everyone (a file with inheritable caps must
 * not gain anything, the CVE-2022-29162 class). */
int caps_apply(uint64_t caps, struct pd_err **err);
/* The default set as a bitmask (bit N = capability N), for seccomp rules
 * that depend on capabilities. */
uint64_t caps_default_mask(void);
/* Every capability this kernel knows, as a mask. */
uint64_t caps_all_mask(void);
/* "NET_ADMIN", "cap_net_admin", "ALL" (-2); -1 when unknown. */
int caps_from_name(const char *name);
