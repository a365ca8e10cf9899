/* Judge mode: how one run of a container ended, as a verdict and a report
 * of one JSON line (run --report).  Pure: the monitor gathers the facts
 * (core/monitor.c), this turns them into the verdict and the text. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>

#include "core/config.h"
#include "linux/cgroup.h"

enum pd_verdict {
	PD_VERDICT_OK,		 /* exit status 0 */
	PD_VERDICT_NONZERO_EXIT, /* exited with another status */
	PD_VERDICT_SIGNALED,	 /* killed by a signal (not by a limit of ours or the OOM killer) */
	PD_VERDICT_TIMEOUT,	 /* --timeout: wall clock */
	PD_VERDICT_CPU_TIME,	 /* --cpu-time: the group's CPU time */
	PD_VERDICT_OOM,		 /* the kernel's OOM killer acted in the group */
	PD_VERDICT_OUTPUT_LIMIT, /* --output-limit: stdout + stderr */
	PD_VERDICT_RUNTIME_ERROR /* the container did not start (125, 126, 127) */
};

/* The limit the monitor killed the container for (the first one hit). */
enum pd_limit_hit { PD_HIT_NONE, PD_HIT_TIMEOUT, PD_HIT_CPU_TIME, PD_HIT_OUTPUT };

/* What the monitor knows once a run ended. */
struct pd_run_facts {
	const char *id;
	bool started;	       /* false: the start failed (runtime error) */
	int start_exit;	       /* not started: 125, 126 or 127 */
	const char *error;     /* not started: why ("step 'NAME': message") */
	int wait_status;       /* the init's wait status */
	enum pd_limit_hit hit; /* what the monitor killed it for */
	bool oom;
	uint64_t wall_ns;	  /* from the command's start (execve) to its exit */
	bool has_usage;		  /* the group's accounting was read */
	struct pd_cg_usage usage; /* CPU time and peaks of the whole group */
	struct rusage ru;	  /* wait4's: the init and the children it reaped (no group) */
	uint64_t output_bytes;	  /* bytes read from stdout and stderr, past the limit too */
};

/* The verdict's name in the report ("ok", "nonzero-exit", ...). */
const char *pd_verdict_name(enum pd_verdict v);

/* The verdict, in this order: runtime-error; the limit the monitor killed
 * for; the limits exceeded although the run ended first (CPU time or wall
 * clock past the limit, output past it: the overshoot of one check); oom;
 * signaled; nonzero-exit; ok.  `msg` gets one line saying why ("" for ok). */
enum pd_verdict pd_judge_verdict(const struct pd_run_facts *f, const struct pd_judge *lim, char *msg,
				 size_t msg_len);

/* The report: one JSON object on one line, no newline (caller frees).
 * Keys: id, verdict, exit_code (as `run` exits: 128+N for signal N),
 * signal (N or null), wall_time, cpu_time, user_time, system_time
 * (seconds), memory_peak (bytes or null), output_bytes, pids_peak (or
 * null), message.  Without the group's accounting the times and the peak
 * come from wait4's rusage (the init and what it reaped), pids_peak is
 * null. */
char *pd_judge_report(const struct pd_run_facts *f, const struct pd_judge *lim);
