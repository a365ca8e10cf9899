/* Capabilities (see caps.h), with libcap.  Runs in the container's init just
 * before execve, still holding every capability of its user namespace. */
#include "linux/caps.h"

#include <errno.h>
#include <stdbool.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "util/cleanup.h"

static const cap_value_t default_caps[] = {
	CAP_CHOWN,  CAP_DAC_OVERRIDE, CAP_FSETID,  CAP_FOWNER, CAP_MKNOD,	    CAP_NET_RAW,    CAP_SETGID,
	CAP_SETUID, CAP_SETFCAP,      CAP_SETPCAP, CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT, CAP_KILL, CAP_AUDIT_WRITE,
};

static bool is_default(cap_value_t c)
{
	for (size_t i = 0; i < ARRAY_SIZE(default_caps); i++)
		if (default_caps[i] == c)
			return true;
	return false;
}

int caps_drop_bounding(struct pd_err **err)
{
	int last = (int)cap_max_bits();
	for (cap_value_t c = 0; c < last; c++) {
		if (is_default(c))
			continue;
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
			return pd_fail(err, errno, "drop capability %d from the bounding set", c);
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return pd_fail(err, errno, "clear ambient capabilities");
	return 0;
}

int caps_apply(struct pd_err **err)
{
	cap_t caps = cap_init();
	if (!caps)
		return pd_fail(err, errno, "allocate capability set");
	int ret = 0;
	if (geteuid() == 0) {
		if (cap_set_flag(caps, CAP_PERMITTED, ARRAY_SIZE(default_caps), default_caps, CAP_SET) < 0 ||
		    cap_set_flag(caps, CAP_EFFECTIVE, ARRAY_SIZE(default_caps), default_caps, CAP_SET) < 0)
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
