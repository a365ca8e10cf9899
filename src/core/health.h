/* Health checks, run by a child of the monitor.  Internal to core/. */
#pragma once
#include "core/config.h"

/* Check the container `id` every interval until killed, recording
 * State.Health in the store; with h->restart_unhealthy, kill the container
 * when it turns unhealthy so the restart policy acts.  Never returns. */
struct pd_seccomp;
__attribute__((noreturn)) void health_main(const char *root, const char *id, const struct pd_health *h,
					   const struct pd_seccomp *seccomp);
