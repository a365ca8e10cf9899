/* Unit tests for commit's --change instructions (core/image-share.c):
 * each Dockerfile instruction's effect on a runtime config, and the
 * refused ones.  Pure logic; no root, no network. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/image-share.h"
#include "util/cleanup.h"

static void check(const char *base, const char *change, const char *want)
{
	_cleanup_err_ struct pd_err *err = NULL;
	char *const changes[] = { (char *)change, NULL };
	_cleanup_free_ char *got = pd_commit_apply_changes(base, changes, &err);
	if (!got)
		fail_msg("'%s': %s", change, err->msg);
	assert_string_equal(got, want);
}

static void check_bad(const char *change)
{
	_cleanup_err_ struct pd_err *err = NULL;
	char *const changes[] = { (char *)change, NULL };
	_cleanup_free_ char *got = pd_commit_apply_changes(NULL, changes, &err);
	if (got)
		fail_msg("'%s' accepted: %s", change, got);
	assert_int_equal(err->kind, PD_ERR_USAGE);
	_cleanup_err_ struct pd_err *err2 = NULL;
	assert_int_equal(pd_commit_change_check(change, &err2), -1);
}

static void test_cmd_entrypoint(void **state)
{
	check(NULL, "CMD [\"/bin/cat\",\"/x\"]", "{\"Cmd\":[\"/bin/cat\",\"/x\"]}");
	check(NULL, "cmd echo hi", "{\"Cmd\":[\"/bin/sh\",\"-c\",\"echo hi\"]}");
	check("{\"Cmd\":[\"a\"]}", "ENTRYPOINT [\"/e\"]", "{\"Cmd\":[\"a\"],\"Entrypoint\":[\"/e\"]}");
}

static void test_env_label(void **state)
{
	check("{\"Env\":[\"PATH=/bin\",\"A=1\"]}", "ENV A=2 B=\"x y\"",
	      "{\"Env\":[\"PATH=/bin\",\"A=2\",\"B=x y\"]}");
	check(NULL, "ENV K some value", "{\"Env\":[\"K=some value\"]}");
	check(NULL, "LABEL a=b c=d", "{\"Labels\":{\"a\":\"b\",\"c\":\"d\"}}");
}

static void test_others(void **state)
{
	check(NULL, "EXPOSE 80 53/udp", "{\"ExposedPorts\":{\"53/udp\":{},\"80/tcp\":{}}}");
	check(NULL, "VOLUME /data", "{\"Volumes\":{\"/data\":{}}}");
	check(NULL, "WORKDIR /srv", "{\"WorkingDir\":\"/srv\"}");
	check(NULL, "USER 1000:1000", "{\"User\":\"1000:1000\"}");
	check(NULL, "STOPSIGNAL SIGINT", "{\"StopSignal\":\"SIGINT\"}");
}

static void test_bad(void **state)
{
	check_bad("FROB x");
	check_bad("CMD");
	check_bad("CMD [\"a\", 1]");
	check_bad("ENV =x");
	check_bad("ENV K");
	check_bad("EXPOSE http");
	check_bad("EXPOSE 70000");
	check_bad("EXPOSE 80/xyz");
	check_bad("WORKDIR relative");
	check_bad("");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cmd_entrypoint),
		cmocka_unit_test(test_env_label),
		cmocka_unit_test(test_others),
		cmocka_unit_test(test_bad),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
