/* Health checks.  Runs as a child of the monitor (which kills it when the
 * container ends; PR_SET_PDEATHSIG covers the monitor's own death), with the
 * caller's privileges.  Each check is an `exec` of the health command into
 * the container (same namespaces, user, capabilities, no_new_privs); its
 * output is kept (the last 4 KiB) with the exit code, as Docker keeps them,
 * and the last five results are stored as State.Health. */
#include "core/health.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/exec.h"
#include "core/query.h"
#include "core/logs.h"
#include "core/relay.h"
#include "core/store.h"
#include "util/cleanup.h"
#include "util/proc.h"
#include "util/xalloc.h"

#define HEALTH_OUTPUT_MAX 4096
#define HEALTH_LOG_KEEP	  5

struct probe {
	int64_t start_ns, end_ns;
	int exit_code; /* -1: timed out or could not run */
	char output[HEALTH_OUTPUT_MAX + 1];
};

static void sleep_ms(uint64_t ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Read what the check printed, keeping the last HEALTH_OUTPUT_MAX bytes;
 * false once its output ended (it may still run: its exit ends the wait). */
static bool collect(int fd, struct probe *p, size_t *len)
{
	char buf[4096];
	ssize_t n = relay_read(fd, buf, sizeof(buf));
	if (n <= 0)
		return n < 0;
	if ((size_t)n >= HEALTH_OUTPUT_MAX) {
		memcpy(p->output, buf + n - HEALTH_OUTPUT_MAX, HEALTH_OUTPUT_MAX);
		*len = HEALTH_OUTPUT_MAX;
	} else {
		if (*len + (size_t)n > HEALTH_OUTPUT_MAX) {
			size_t drop = *len + (size_t)n - HEALTH_OUTPUT_MAX;
			memmove(p->output, p->output + drop, *len - drop);
			*len -= drop;
		}
		memcpy(p->output + *len, buf, (size_t)n);
		*len += (size_t)n;
	}
	p->output[*len] = '\0';
	return true;
}

static void run_probe(struct pd_store *s, const char *id, const struct pd_health *h,
		      const struct pd_seccomp *seccomp, struct probe *p)
{
	memset(p, 0, sizeof(*p));
	p->exit_code = -1;
	p->start_ns = pd_now_ns();
	struct pd_record r;
	_cleanup_err_ struct pd_err *err = NULL;
	if (pd_store_find(s, id, &r, &err) < 0) {
		snprintf(p->output, sizeof(p->output), "%s", err->msg);
		return;
	}
	_cleanup_close_ int pidfd = pd_pidfd_open_checked(r.pid, r.pid_start);
	int pipefd[2];
	if (pidfd < 0 || pipe2(pipefd, O_CLOEXEC) < 0) {
		snprintf(p->output, sizeof(p->output), "container is not running");
		pd_record_free(&r);
		return;
	}
	/* The timeout covers the whole check, the exec's setup included: the
	 * setup reads the container's own files (its /etc/passwd for the
	 * user), which the container controls and can make hang. */
	int64_t deadline = pd_mono_ns() + (int64_t)h->timeout_ms * 1000000;
	struct pd_exec_opts o = { .argv = h->test, .seccomp = seccomp, .deadline_ns = deadline };
	int stdio[3] = { -1, pipefd[1], pipefd[1] };
	struct pd_config ctr;
	pid_t helper =
	    pd_record_config(&r, &ctr, &err) < 0 ? -1 : pd_exec_start(&r, &ctr, pidfd, &o, stdio, NULL, &err);
	pd_config_free(&ctr);
	pd_record_free(&r);
	close(pipefd[1]);
	_cleanup_close_ int out = pipefd[0];
	if (helper < 0) {
		/* A check that cannot run is a failed check, never a pass. */
		snprintf(p->output, sizeof(p->output), "%s",
			 err ? err->msg : "the health check could not run");
		p->end_ns = pd_now_ns();
		return;
	}
	_cleanup_close_ int hfd = (int)syscall(SYS_pidfd_open, helper, 0);
	size_t len = 0;
	bool done = false, out_open = true;
	while (!done) {
		int64_t left = (deadline - pd_mono_ns()) / 1000000;
		if (left <= 0)
			break;
		struct pollfd pf[2] = { { out_open ? out : -1, POLLIN, 0 }, { hfd, POLLIN, 0 } };
		if (poll(pf, 2, (int)left) < 0 && errno != EINTR)
			break;
		if (pf[0].revents)
			out_open = collect(out, p, &len);
		if (pf[1].revents)
			done = true;
	}
	int status = 0;
	pid_t waited;
	if (!done) {
		kill(helper, SIGKILL);
		while (waitpid(helper, &status, 0) < 0 && errno == EINTR)
			;
		snprintf(p->output, sizeof(p->output), "Health check exceeded timeout (%llums)",
			 (unsigned long long)h->timeout_ms);
	} else {
		while ((waited = waitpid(helper, &status, 0)) < 0 && errno == EINTR)
			;
		/* No status (the helper was reaped elsewhere) proves nothing:
		 * the check stays failed (-1). */
		if (waited == helper)
			p->exit_code = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
	}
	p->end_ns = pd_now_ns();
}

static json_t *probe_json(const struct probe *p)
{
	char a[64], b[64];
	pd_format_time(p->start_ns, a, sizeof(a));
	pd_format_time(p->end_ns, b, sizeof(b));
	return json_pack("{s:s, s:s, s:i, s:s}", "Start", a, "End", b, "ExitCode", p->exit_code, "Output",
			 p->output);
}

static void record(struct pd_store *s, const char *id, const char *status, unsigned streak, json_t *log)
{
	json_t *h = json_pack("{s:s, s:i, s:O}", "Status", status, "FailingStreak", (int)streak, "Log", log);
	char *text = json_dumps(h, JSON_COMPACT);
	if (text)
		pd_store_set_health(s, id, text, pd_err_ignore(unreportable));
	free(text);
	json_decref(h);
}

void health_main(const char *root, const char *id, const struct pd_health *h,
		 const struct pd_seccomp *seccomp)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	struct pd_store *s = pd_store_open(root, pd_err_ignore(unreportable));
	if (!s)
		_exit(1);
	json_t *log = json_array();
	const char *status = "starting";
	unsigned streak = 0;
	bool ever_healthy = false;
	int64_t started = pd_mono_ns();
	record(s, id, status, streak, log);
	for (;;) {
		sleep_ms(h->interval_ms);
		/* No probe while paused (an exec is refused then): the status
		 * stays as it was, as Docker's does. */
		struct pd_record cur;
		if (pd_container_lookup(root, id, &cur, pd_err_ignore(gone)) == 0) {
			bool paused = cur.paused;
			pd_record_free(&cur);
			if (paused)
				continue;
		}
		struct probe p;
		run_probe(s, id, h, seccomp, &p);
		json_array_append_new(log, probe_json(&p));
		while (json_array_size(log) > HEALTH_LOG_KEEP)
			json_array_remove(log, 0);
		bool in_start = (uint64_t)((pd_mono_ns() - started) / 1000000) < h->start_period_ms;
		if (p.exit_code == 0) {
			streak = 0;
			ever_healthy = true;
			status = "healthy";
		} else if (!(in_start && !ever_healthy)) {
			/* Failures during the start period do not count until the
			 * first success, as in Docker. */
			if (++streak >= h->retries)
				status = "unhealthy";
		}
		record(s, id, status, streak, log);
		if (!strcmp(status, "unhealthy") && h->restart_unhealthy) {
			struct pd_record r;
			if (pd_store_find(s, id, &r, pd_err_ignore(gone)) == 0) {
				int fd = pd_pidfd_open_checked(r.pid, r.pid_start);
				if (fd >= 0) {
					syscall(SYS_pidfd_send_signal, fd, SIGKILL, NULL, 0);
					close(fd);
				}
				pd_record_free(&r);
			}
		}
		/* Between probes this process only sleeps: give back what the
		 * probe (and the monitor before the fork) left resident.  Not
		 * for probes a second apart or less: that would be busy work. */
		if (h->interval_ms >= 1000)
			pd_proc_release_memory();
	}
}
