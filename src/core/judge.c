/* Judge mode: the verdict of a run and its report (see judge.h).  Pure
 * functions over what the monitor gathered; runs in the monitor, with no
 * privileges of its own.
 *
 * The verdict follows isolate's order of causes: a runtime failure first,
 * then the limits (what the monitor killed for, then a limit found
 * exceeded after a run that ended within one check of it), then the
 * kernel's OOM killer, then how the command itself ended. */
#include "core/judge.h"

#include <inttypes.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "util/cleanup.h"
#include "util/str.h"

static const char *const verdict_names[] = {
	[PD_VERDICT_OK] = "ok",
	[PD_VERDICT_NONZERO_EXIT] = "nonzero-exit",
	[PD_VERDICT_SIGNALED] = "signaled",
	[PD_VERDICT_TIMEOUT] = "timeout",
	[PD_VERDICT_CPU_TIME] = "cpu-time",
	[PD_VERDICT_OOM] = "oom",
	[PD_VERDICT_OUTPUT_LIMIT] = "output-limit",
	[PD_VERDICT_RUNTIME_ERROR] = "runtime-error",
};

const char *pd_verdict_name(enum pd_verdict v)
{
	return (unsigned)v < sizeof(verdict_names) / sizeof(verdict_names[0]) ? verdict_names[v] : "unknown";
}

static uint64_t timeval_ns(struct timeval tv)
{
	return (uint64_t)tv.tv_sec * 1000000000ULL + (uint64_t)tv.tv_usec * 1000ULL;
}

/* CPU time of the run: the group's, or the init's and its reaped children's. */
static uint64_t cpu_ns(const struct pd_run_facts *f)
{
	return f->has_usage ? f->usage.cpu_ns : timeval_ns(f->ru.ru_utime) + timeval_ns(f->ru.ru_stime);
}

enum pd_verdict pd_judge_verdict(const struct pd_run_facts *f, const struct pd_judge *lim, char *msg,
				 size_t msg_len)
{
	msg[0] = '\0';
	if (!f->started) {
		snprintf(msg, msg_len, "%s", f->error ? f->error : "the container did not start");
		return PD_VERDICT_RUNTIME_ERROR;
	}
	uint64_t cpu = cpu_ns(f);
	bool cpu_over = lim->cpu_time_ms && cpu > lim->cpu_time_ms * 1000000ULL;
	bool wall_over = lim->timeout_ms && f->wall_ns > lim->timeout_ms * 1000000ULL;
	bool out_over = lim->output_limit && f->output_bytes > lim->output_limit;
	enum pd_limit_hit hit = f->hit;
	if (hit == PD_HIT_NONE)
		hit = cpu_over	  ? PD_HIT_CPU_TIME
		      : wall_over ? PD_HIT_TIMEOUT
		      : out_over  ? PD_HIT_OUTPUT
				  : PD_HIT_NONE;
	switch (hit) {
	case PD_HIT_TIMEOUT:
		snprintf(msg, msg_len, "wall clock limit of %" PRIu64 " ms exceeded", lim->timeout_ms);
		return PD_VERDICT_TIMEOUT;
	case PD_HIT_CPU_TIME:
		snprintf(msg, msg_len, "CPU time limit of %" PRIu64 " ms exceeded", lim->cpu_time_ms);
		return PD_VERDICT_CPU_TIME;
	case PD_HIT_OUTPUT:
		snprintf(msg, msg_len, "output limit of %" PRIu64 " bytes exceeded", lim->output_limit);
		return PD_VERDICT_OUTPUT_LIMIT;
	case PD_HIT_NONE: break;
	}
	if (f->oom) {
		snprintf(msg, msg_len, "out of memory: killed by the kernel's OOM killer");
		return PD_VERDICT_OOM;
	}
	if (WIFSIGNALED(f->wait_status)) {
		int sig = WTERMSIG(f->wait_status);
		const char *name = sigabbrev_np(sig);
		snprintf(msg, msg_len, "killed by signal %d (SIG%s)", sig, name ? name : "?");
		return PD_VERDICT_SIGNALED;
	}
	if (WEXITSTATUS(f->wait_status)) {
		snprintf(msg, msg_len, "exited with status %d", WEXITSTATUS(f->wait_status));
		return PD_VERDICT_NONZERO_EXIT;
	}
	return PD_VERDICT_OK;
}

static json_t *seconds(uint64_t ns)
{
	/* Milliseconds are what judges compare; microseconds are kept. */
	return json_real((double)(ns / 1000) / 1e6);
}

char *pd_judge_report(const struct pd_run_facts *f, const struct pd_judge *lim)
{
	char msg[512];
	enum pd_verdict v = pd_judge_verdict(f, lim, msg, sizeof(msg));
	int code = 0;
	json_t *sig = json_null();
	if (!f->started) {
		code = f->start_exit;
	} else if (WIFSIGNALED(f->wait_status)) {
		code = 128 + WTERMSIG(f->wait_status);
		json_decref(sig);
		sig = json_integer(WTERMSIG(f->wait_status));
	} else {
		code = WEXITSTATUS(f->wait_status);
	}
	uint64_t user = f->has_usage ? f->usage.cpu_user_ns : timeval_ns(f->ru.ru_utime);
	uint64_t sys = f->has_usage ? f->usage.cpu_system_ns : timeval_ns(f->ru.ru_stime);
	json_t *mem = json_null();
	if (f->has_usage && f->usage.has_mem_peak) {
		json_decref(mem);
		mem = json_integer((json_int_t)f->usage.mem_peak);
	} else if (f->started && !f->has_usage && f->ru.ru_maxrss > 0) {
		json_decref(mem);
		mem = json_integer((json_int_t)f->ru.ru_maxrss * 1024);
	}
	json_t *pids = f->has_usage && f->usage.has_pids_peak ? json_integer((json_int_t)f->usage.pids_peak)
							      : json_null();
	json_t *o = json_object();
	json_object_set_new(o, "id", json_string(f->id ? f->id : ""));
	json_object_set_new(o, "verdict", json_string(pd_verdict_name(v)));
	json_object_set_new(o, "exit_code", json_integer(code));
	json_object_set_new(o, "signal", sig);
	json_object_set_new(o, "wall_time", seconds(f->started ? f->wall_ns : 0));
	json_object_set_new(o, "cpu_time", seconds(f->started ? cpu_ns(f) : 0));
	json_object_set_new(o, "user_time", seconds(f->started ? user : 0));
	json_object_set_new(o, "system_time", seconds(f->started ? sys : 0));
	json_object_set_new(o, "memory_peak", mem);
	json_object_set_new(o, "output_bytes", json_integer((json_int_t)f->output_bytes));
	json_object_set_new(o, "pids_peak", pids);
	/* The message may quote a path from the user: valid UTF-8 always. */
	_cleanup_free_ char *safe = str_escape(msg);
	json_object_set_new(o, "message", json_string(safe));
	char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
	json_decref(o);
	if (!s)
		abort();
	return s;
}
