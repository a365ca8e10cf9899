/* Capabilities (see caps.h), with libcap.  Runs in the container's init just
 * before execve, still holding every capability of its user namespace. */
#include "linux/caps.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <stdbool.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "util/cleanup.h"

static const cap_value_t default_caps[] = {
	CAP_CHOWN,   CAP_DAC_OVERRIDE, CAP_FSETID,	     CAP_FOWNER,
	CAP_MKNOD,   CAP_NET_RAW,      CAP_SETGID,	     CAP_SETUID,
	CAP_SETFCAP, CAP_SETPCAP,      CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT,
	CAP_KILL,    CAP_AUDIT_WRITE,
};

int caps_drop_bounding(uint64_t keep, struct pd_err **err)
{
	int last = (int)cap_max_bits();
	for (cap_value_t c = 0; c < last; c++) {
		if (keep & (1ULL << c))
			continue;
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
			return pd_fail(err, errno, "drop capability %d from the bounding set", c);
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return pd_fail(err, errno, "clear ambient capabilities");
	return 0;
}

int caps_apply(uint64_t mask, struct pd_err **err)
{
	cap_t caps = cap_init();
	if (!caps)
		return pd_fail(err, errno, "allocate capability set");
	int ret = 0;
	if (geteuid() == 0) {
		cap_value_t list[64];
		int n = 0, last = (int)cap_max_bits();
		for (cap_value_t c = 0; c < last && c < 64; c++)
			if (mask & (1ULL << c))
				list[n++] = c;
		if (n && (cap_set_flag(caps, CAP_PERMITTED, n, list, CAP_SET) < 0 ||
			  cap_set_flag(caps, CAP_EFFECTIVE, n, list, CAP_SET) < 0))
			ret = pd_fail(err, errno, "build capability set");
	}
	if (ret == 0 && cap_set_proc(caps) < 0)
		ret = pd_fail(err, errno, "set capabilities");
	cap_free(caps);
	return ret;
}

uint64_t caps_default_mask(void)
{
	uint64_t m = 0;
	for (size_t i = 0; i < ARRAY_SIZE(default_caps); i++)
		m |= 1ULL << default_caps[i];
	return m;
}

uint64_t caps_all_mask(void)
{
	/* "All" is what our own bounding set still holds: a capability the
	 * host took from us cannot be given (capset would fail with EPERM).
	 * The bounding set carries into a user namespace, so this holds for
	 * rootless containers too. */
	uint64_t m = 0;
	unsigned last = cap_max_bits();
	for (unsigned c = 0; c < last && c < 64; c++)
		if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 1)
			m |= 1ULL << c;
	return m;
}

int caps_from_name(const char *name)
{
	if (!strcasecmp(name, "ALL"))
		return -2;
	char buf[64];
	snprintf(buf, sizeof(buf), "%s%s", strncasecmp(name, "CAP_", 4) ? "cap_" : "", name);
	for (char *p = buf; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	cap_value_t c;
	if (cap_from_name(buf, &c) < 0 || c >= (cap_value_t)cap_max_bits())
		return -1;
	return c;
}
