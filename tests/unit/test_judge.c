/* Unit tests for core/judge.c: the verdict of a run from what the monitor
 * gathered, and the report's JSON.  Pure logic; no root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>
#include <jansson.h>

#include "core/judge.h"
#include "util/cleanup.h"

#define EXITED(code) ((code) << 8)
#define KILLED(sig)  (sig)

static struct pd_run_facts ran(int status)
{
	return (
	    struct pd_run_facts){ .id = "abc", .started = true, .wait_status = status, .wall_ns = 5000000 };
}

static enum pd_verdict verdict(const struct pd_run_facts *f, const struct pd_judge *lim, char *msg)
{
	return pd_judge_verdict(f, lim, msg, 256);
}

static void test_plain_endings(void **state)
{
	struct pd_judge none = { 0 };
	char msg[256];
	struct pd_run_facts f = ran(EXITED(0));
	assert_int_equal(verdict(&f, &none, msg), PD_VERDICT_OK);
	assert_string_equal(msg, "");
	f = ran(EXITED(3));
	assert_int_equal(verdict(&f, &none, msg), PD_VERDICT_NONZERO_EXIT);
	assert_string_equal(msg, "exited with status 3");
	f = ran(KILLED(SIGSEGV));
	assert_int_equal(verdict(&f, &none, msg), PD_VERDICT_SIGNALED);
	assert_string_equal(msg, "killed by signal 11 (SIGSEGV)");
	/* The OOM killer wins over the signal it sent. */
	f = ran(KILLED(SIGKILL));
	f.oom = true;
	assert_int_equal(verdict(&f, &none, msg), PD_VERDICT_OOM);
	/* ... and over the status of a shell whose child it killed. */
	f = ran(EXITED(137));
	f.oom = true;
	assert_int_equal(verdict(&f, &none, msg), PD_VERDICT_OOM);
}

static void test_limits_killed_for(void **state)
{
	struct pd_judge lim = { .timeout_ms = 1000, .cpu_time_ms = 500, .output_limit = 10 };
	char msg[256];
	struct pd_run_facts f = ran(KILLED(SIGKILL));
	f.hit = PD_HIT_TIMEOUT;
	f.oom = true; /* what the monitor killed for comes first */
	assert_int_equal(verdict(&f, &lim, msg), PD_VERDICT_TIMEOUT);
	assert_string_equal(msg, "wall clock limit of 1000 ms exceeded");
	f.hit = PD_HIT_CPU_TIME;
	assert_int_equal(verdict(&f, &lim, msg), PD_VERDICT_CPU_TIME);
	assert_string_equal(msg, "CPU time limit of 500 ms exceeded");
	f.hit = PD_HIT_OUTPUT;
	assert_int_equal(verdict(&f, &lim, msg), PD_VERDICT_OUTPUT_LIMIT);
	assert_string_equal(msg, "output limit of 10 bytes exceeded");
}

/* A run that ended within one check past a limit is judged by the limit,
 * as isolate does: CPU time first, then the wall clock, then the output. */
static void test_limits_found_after_the_exit(void **state)
{
	struct pd_judge lim = { .timeout_ms = 1000, .cpu_time_ms = 500, .output_limit = 10 };
	char msg[256];
	struct pd_run_facts f = ran(EXITED(0));
	f.has_usage = true;
	f.usage.cpu_ns = 500000000; /* exactly the limit: not over */
	f.wall_ns = 1000000000;
	f.output_bytes = 10;
	assert_int_equal(verdict(&f, &lim, msg), PD_VERDICT_OK);
	f.output_bytes = 11;
	assert_int_equal(verdict(&f, &lim, msg), PD_VERDICT_OUTPUT_LIMIT);
	f.wall_ns = 1000000001;
	assert_int_equal(verdict(&f, &lim, msg), PD_VERDICT_TIMEOUT);
	f.usage.cpu_ns = 500000001;
	assert_int_equal(verdict(&f, &lim, msg), PD_VERDICT_CPU_TIME);
	/* Without the group's accounting, the rusage of the init counts. */
	f = ran(EXITED(0));
	f.ru.ru_utime.tv_sec = 1;
	assert_int_equal(verdict(&f, &lim, msg), PD_VERDICT_CPU_TIME);
	/* No limit set: nothing is over. */
	struct pd_judge none = { 0 };
	assert_int_equal(verdict(&f, &none, msg), PD_VERDICT_OK);
}

static void test_runtime_error(void **state)
{
	struct pd_judge lim = { .timeout_ms = 1 };
	char msg[256];
	struct pd_run_facts f = {
		.id = "x", .started = false, .start_exit = 127, .error = "step 'find-command': no"
	};
	assert_int_equal(verdict(&f, &lim, msg), PD_VERDICT_RUNTIME_ERROR);
	assert_string_equal(msg, "step 'find-command': no");
	_cleanup_free_ char *s = pd_judge_report(&f, &lim);
	json_auto_t *o = json_loads(s, 0, NULL);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "verdict")), "runtime-error");
	assert_int_equal(json_integer_value(json_object_get(o, "exit_code")), 127);
	assert_true(json_is_null(json_object_get(o, "memory_peak")));
	assert_true(json_is_null(json_object_get(o, "pids_peak")));
	assert_true(json_real_value(json_object_get(o, "wall_time")) == 0.0);
}

static void test_report_fields(void **state)
{
	struct pd_judge lim = { .timeout_ms = 2000 };
	struct pd_run_facts f = ran(KILLED(SIGKILL));
	f.hit = PD_HIT_TIMEOUT;
	f.wall_ns = 2003456789;
	f.has_usage = true;
	f.usage = (struct pd_cg_usage){ .cpu_ns = 1500000000,
					.cpu_user_ns = 1400000000,
					.cpu_system_ns = 100000000,
					.has_mem_peak = true,
					.mem_peak = 123456789,
					.has_pids_peak = true,
					.pids_peak = 64 };
	f.output_bytes = 42;
	_cleanup_free_ char *s = pd_judge_report(&f, &lim);
	/* One line. */
	assert_null(strchr(s, '\n'));
	json_auto_t *o = json_loads(s, 0, NULL);
	assert_non_null(o);
	/* The keys, in this order. */
	const char *keys[] = { "id",	      "verdict",      "exit_code", "signal",
			       "wall_time",   "cpu_time",     "user_time", "system_time",
			       "memory_peak", "output_bytes", "pids_peak", "message" };
	const char *p = s;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		char quoted[64];
		snprintf(quoted, sizeof(quoted), "\"%s\":", keys[i]);
		const char *at = strstr(p, quoted);
		assert_non_null(at);
		p = at;
	}
	assert_int_equal(json_object_size(o), sizeof(keys) / sizeof(keys[0]));
	assert_string_equal(json_string_value(json_object_get(o, "id")), "abc");
	assert_string_equal(json_string_value(json_object_get(o, "verdict")), "timeout");
	assert_int_equal(json_integer_value(json_object_get(o, "exit_code")), 137);
	assert_int_equal(json_integer_value(json_object_get(o, "signal")), 9);
	assert_true(json_real_value(json_object_get(o, "wall_time")) == 2.003456);
	assert_true(json_real_value(json_object_get(o, "cpu_time")) == 1.5);
	assert_true(json_real_value(json_object_get(o, "user_time")) == 1.4);
	assert_true(json_real_value(json_object_get(o, "system_time")) == 0.1);
	assert_int_equal(json_integer_value(json_object_get(o, "memory_peak")), 123456789);
	assert_int_equal(json_integer_value(json_object_get(o, "output_bytes")), 42);
	assert_int_equal(json_integer_value(json_object_get(o, "pids_peak")), 64);
	assert_string_equal(json_string_value(json_object_get(o, "message")),
			    "wall clock limit of 2000 ms exceeded");
}

/* Without the group (rootless on a v1 host): wait4's rusage gives the
 * times and the largest resident set; there is no PIDs peak. */
static void test_report_without_group(void **state)
{
	struct pd_judge none = { 0 };
	struct pd_run_facts f = ran(EXITED(0));
	f.ru.ru_utime = (struct timeval){ .tv_sec = 0, .tv_usec = 250000 };
	f.ru.ru_stime = (struct timeval){ .tv_sec = 0, .tv_usec = 50000 };
	f.ru.ru_maxrss = 2048; /* KiB */
	_cleanup_free_ char *s = pd_judge_report(&f, &none);
	json_auto_t *o = json_loads(s, 0, NULL);
	assert_non_null(o);
	assert_true(json_real_value(json_object_get(o, "cpu_time")) == 0.3);
	assert_true(json_real_value(json_object_get(o, "user_time")) == 0.25);
	assert_int_equal(json_integer_value(json_object_get(o, "memory_peak")), 2048 * 1024);
	assert_true(json_is_null(json_object_get(o, "pids_peak")));
	assert_true(json_is_null(json_object_get(o, "signal")));
	assert_string_equal(json_string_value(json_object_get(o, "verdict")), "ok");
}

/* A reason quoting a path that is not UTF-8 still makes valid JSON. */
static void test_report_message_escaped(void **state)
{
	struct pd_judge none = { 0 };
	struct pd_run_facts f = { .id = "x", .started = false, .start_exit = 125, .error = "open '\xff\n'" };
	_cleanup_free_ char *s = pd_judge_report(&f, &none);
	json_auto_t *o = json_loads(s, 0, NULL);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "message")), "open '\\xff\\n'");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_endings),
		cmocka_unit_test(test_limits_killed_for),
		cmocka_unit_test(test_limits_found_after_the_exit),
		cmocka_unit_test(test_runtime_error),
		cmocka_unit_test(test_report_fields),
		cmocka_unit_test(test_report_without_group),
		cmocka_unit_test(test_report_message_escaped),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
