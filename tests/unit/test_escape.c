/* Unit tests for str_escape() (util/str.c) and the error printer that uses
 * it: text from archives, registries and users never reaches the terminal
 * with a control byte in it.  Pure logic; no root, no network. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/cleanup.h"
#include "util/str.h"

static void check(const char *in, const char *want)
{
	_cleanup_free_ char *got = str_escape(in);
	assert_string_equal(got, want);
	assert_int_equal(str_is_printable(in), strcmp(in, want) == 0);
}

static void test_plain_text_kept(void **state)
{
	check("", "");
	check("busybox:1.36", "busybox:1.36");
	check("a b 'c' \"d\" \\e", "a b 'c' \"d\" \\e");
	/* Printable UTF-8 stays as it is. */
	check("caf\xc3\xa9 \xe2\x80\xa6 \xf0\x9f\x90\xb3", "caf\xc3\xa9 \xe2\x80\xa6 \xf0\x9f\x90\xb3");
}

static void test_c0_and_del(void **state)
{
	check("evil\x1b[31m:tag", "evil\\x1b[31m:tag");
	check("a\nb\rc\td", "a\\nb\\rc\\td");
	check("\x01\x07\x08\x7f", "\\x01\\x07\\x08\\x7f");
	check("title\x1b]0;pwned\x07", "title\\x1b]0;pwned\\x07");
}

static void test_c1_and_bad_utf8(void **state)
{
	/* U+009B is CSI on terminals that honour C1 controls. */
	check("x\xc2\x9b"
	      "2J",
	      "x\\u009b2J");
	check("\xc2\x80\xc2\x9f\xc2\xa0", "\\u0080\\u009f\xc2\xa0");
	/* A raw C1 byte, an overlong form, a surrogate, a cut sequence. */
	check("\x9b"
	      "2J",
	      "\\x9b2J");
	check("\xc0\x8a", "\\xc0\\x8a");
	check("\xed\xa0\x80", "\\xed\\xa0\\x80");
	check("ab\xe2\x80", "ab\\xe2\\x80");
}

static void test_null_is_empty(void **state)
{
	_cleanup_free_ char *got = str_escape(NULL);
	assert_string_equal(got, "");
}

/* pd_err_print: one line, escaped, whatever the message holds. */
static void test_error_printer_one_line(void **state)
{
	char path[] = "/tmp/pd-test-escape-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	int saved = dup(2);
	dup2(fd, 2);
	struct pd_err e = { .kind = PD_ERR_USAGE, .msg = (char *)"invalid reference 'a\nb\x1b[2J'" };
	pd_err_print(&e);
	pd_warn("name '%s'", "x\ny");
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	char buf[256] = { 0 };
	assert_true(pread(fd, buf, sizeof(buf) - 1, 0) > 0);
	close(fd);
	assert_string_equal(buf, "pocket-docker: invalid reference 'a\\nb\\x1b[2J'\n"
				 "pocket-docker: warning: name 'x\\ny'\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_text_kept),	       cmocka_unit_test(test_c0_and_del),
		cmocka_unit_test(test_c1_and_bad_utf8),	       cmocka_unit_test(test_null_is_empty),
		cmocka_unit_test(test_error_printer_one_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
