/* Unit tests for util/str.c: shell-word splitting, sizes (parsed and
 * formatted), durations, string vectors.  Pure logic; no root, no network. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "util/cleanup.h"
#include "util/str.h"

/* Split s and compare with the expected words (NULL-terminated). */
static void check_split(const char *s, const char *const *want)
{
	_cleanup_err_ struct pd_err *err = NULL;
	_cleanup_strv_ char **v = pd_shell_split(s, &err);
	assert_non_null(v);
	assert_null(err);
	size_t n = 0;
	while (want[n])
		n++;
	assert_int_equal(strv_len(v), n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(v[i], want[i]);
}

#define SPLIT(s, ...) check_split((s), (const char *const[]){ __VA_ARGS__, NULL })
#define SPLIT_NONE(s) check_split((s), (const char *const[]){ NULL })

static void check_split_fails(const char *s, const char *what)
{
	_cleanup_err_ struct pd_err *err = NULL;
	char **v = pd_shell_split(s, &err);
	assert_null(v);
	assert_non_null(err);
	assert_int_equal(err->kind, PD_ERR_USAGE);
	assert_non_null(strstr(err->msg, what));
}

static void test_split_seed_example(void **state)
{
	SPLIT("/bin/sh -c 'while true; do sleep 3600; done'", "/bin/sh", "-c",
	      "while true; do sleep 3600; done");
}

static void test_split_blanks(void **state)
{
	SPLIT_NONE("");
	SPLIT_NONE("   \t\n ");
	SPLIT("a", "a");
	SPLIT("  a  ", "a");
	SPLIT("a b\tc\nd", "a", "b", "c", "d");
	SPLIT("a    b", "a", "b");
}

static void test_split_empty_words(void **state)
{
	SPLIT("''", "");
	SPLIT("\"\"", "");
	SPLIT("a '' b", "a", "", "b");
	SPLIT("a \"\" b", "a", "", "b");
	SPLIT("'' ''", "", "");
	SPLIT("x''", "x");
	SPLIT("''x", "x");
}

static void test_split_quotes(void **state)
{
	SPLIT("'a b'", "a b");
	SPLIT("\"a b\"", "a b");
	SPLIT("a'b c'd", "ab cd");
	SPLIT("\"it's\"", "it's");
	SPLIT("'say \"hi\"'", "say \"hi\"");
	/* No expansion of any kind. */
	SPLIT("\"$HOME\" '$HOME' $HOME *", "$HOME", "$HOME", "$HOME", "*");
	/* Inside single quotes a backslash is an ordinary character. */
	SPLIT("'a\\b' 'c\\'", "a\\b", "c\\");
}

static void test_split_escapes(void **state)
{
	SPLIT("a\\ b", "a b");
	SPLIT("\\'", "'");
	SPLIT("\\\"", "\"");
	SPLIT("\\\\", "\\");
	SPLIT("\\a", "a");
	/* In double quotes only \" \\ \$ \` escape; other backslashes stay. */
	SPLIT("\"a\\\"b\"", "a\"b");
	SPLIT("\"\\\\\"", "\\");
	SPLIT("\"\\$x \\`y\\`\"", "$x `y`");
	SPLIT("\"\\n\\a\"", "\\n\\a");
}

static void test_split_line_continuation(void **state)
{
	/* A backslash-newline disappears; it neither joins nor makes words. */
	SPLIT("a \\\n b", "a", "b");
	SPLIT("a\\\nb", "ab");
	SPLIT_NONE("\\\n");
	SPLIT("\"a\\\nb\"", "ab");
}

static void test_split_errors(void **state)
{
	check_split_fails("'abc", "unterminated single quote");
	check_split_fails("echo 'abc", "unterminated single quote");
	check_split_fails("\"abc", "unterminated double quote");
	check_split_fails("\"abc\\\"", "unterminated double quote");
	check_split_fails("abc\\", "trailing backslash");
}

static void check_size(const char *s, uint64_t want)
{
	_cleanup_err_ struct pd_err *err = NULL;
	uint64_t v = 12345;
	assert_int_equal(pd_parse_size(s, &v, &err), 0);
	assert_null(err);
	assert_int_equal(v, want);
}

static void check_size_fails(const char *s)
{
	_cleanup_err_ struct pd_err *err = NULL;
	uint64_t v = 12345;
	assert_int_equal(pd_parse_size(s, &v, &err), -1);
	assert_non_null(err);
	assert_int_equal(err->kind, PD_ERR_USAGE);
	assert_int_equal(v, 12345); /* untouched on failure */
}

static void test_parse_size(void **state)
{
	check_size("0", 0);
	check_size("104857600", 104857600);
	check_size("100b", 100);
	check_size("100B", 100);
	check_size("512k", 512 * 1024);
	check_size("256m", 256ULL << 20);
	check_size("256M", 256ULL << 20);
	check_size("1g", 1ULL << 30);
	check_size("2t", 2ULL << 40);
	check_size("1.5k", 1536);
	check_size("1.5g", 3ULL << 29);
	check_size("10MiB", 10ULL << 20);
	check_size("10mb", 10ULL << 20);
	check_size("10Ki", 10240);
	check_size("0.1k", 102);
	check_size("1.25", 1);
	/* Integers are exact, even where a double is not. */
	check_size("18446744073709551615", UINT64_MAX);
	check_size("9007199254740993", 9007199254740993ULL);
}

static void test_parse_size_bad(void **state)
{
	check_size_fails("");
	check_size_fails("abc");
	check_size_fails("-1");
	check_size_fails("+1");
	check_size_fails("10x");
	check_size_fails("10 m");
	check_size_fails(" 10");
	check_size_fails("10m ");
	check_size_fails("1e3");
	check_size_fails("0x10");
	check_size_fails(".5k");
	check_size_fails("1.k");
	check_size_fails("inf");
	check_size_fails("nan");
	check_size_fails("10bb");
	check_size_fails("10ib");
	check_size_fails("10kbb");
	check_size_fails("18446744073709551616");
	check_size_fails("16777216t");
	_cleanup_err_ struct pd_err *err = NULL;
	uint64_t v;
	assert_int_equal(pd_parse_size(NULL, &v, &err), -1);
	assert_non_null(err);
}

static void check_duration(const char *s, uint64_t want)
{
	_cleanup_err_ struct pd_err *err = NULL;
	uint64_t v = 12345;
	assert_int_equal(pd_parse_duration_ms(s, &v, &err), 0);
	assert_null(err);
	assert_int_equal(v, want);
}

static void check_duration_fails(const char *s)
{
	_cleanup_err_ struct pd_err *err = NULL;
	uint64_t v = 12345;
	assert_int_equal(pd_parse_duration_ms(s, &v, &err), -1);
	assert_non_null(err);
	assert_int_equal(err->kind, PD_ERR_USAGE);
	assert_int_equal(v, 12345);
}

static void test_parse_duration(void **state)
{
	check_duration("0", 0);
	check_duration("10", 10000);
	check_duration("10s", 10000);
	check_duration("500ms", 500);
	check_duration("2m", 120000);
	check_duration("1h", 3600000);
	check_duration("1.5s", 1500);
	check_duration("0.5", 500);
	check_duration("0.29s", 290);
	check_duration("0.001", 1);
	check_duration("0.0009", 0);
	check_duration("1.0000000000000000000000001s", 1000);
	check_duration("1m30s", 90000);
	check_duration("1h1m1s1ms", 3661001);
}

static void test_parse_duration_bad(void **state)
{
	check_duration_fails("");
	check_duration_fails("s");
	check_duration_fails("abc");
	check_duration_fails("-1s");
	check_duration_fails("10x");
	check_duration_fails("10 s");
	check_duration_fails("1e3");
	check_duration_fails("0x10");
	check_duration_fails("10d");
	check_duration_fails("1m30"); /* a bare number only alone */
	check_duration_fails("0s5");
	check_duration_fails("10sec");
	check_duration_fails("99999999999999999999h");
	check_duration_fails("10000000000000s");
	/* Past the cap (int64 nanoseconds, halved): a limit cannot wrap to a
	 * deadline in the past. */
	check_duration_fails("3000000h");
	check_duration("1000000h", 3600000000000ULL);
}

static void test_parse_uint(void **state)
{
	_cleanup_err_ struct pd_err *err = NULL;
	uint64_t v = 0;
	assert_int_equal(pd_parse_uint("0", 10, &v, &err), 0);
	assert_int_equal(v, 0);
	assert_int_equal(pd_parse_uint("10", 10, &v, &err), 0);
	assert_int_equal(v, 10);
	assert_int_equal(pd_parse_uint("18446744073709551615", UINT64_MAX, &v, &err), 0);
	assert_int_equal(v, UINT64_MAX);
	assert_null(err);
	const char *bad[] = { "", "11", "-1", "+1", " 1", "1 ", "1a", "0x1", "18446744073709551616" };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		_cleanup_err_ struct pd_err *e = NULL;
		uint64_t max = bad[i][0] == '1' && bad[i][1] == '8' ? UINT64_MAX : 10;
		assert_int_equal(pd_parse_uint(bad[i], max, &v, &e), -1);
		assert_non_null(e);
	}
}

static int64_t time_arg(const char *s, int64_t now)
{
	_cleanup_err_ struct pd_err *err = NULL;
	int64_t v = -1;
	assert_int_equal(pd_parse_time_arg(s, now, &v, &err), 0);
	assert_null(err);
	return v;
}

static void test_parse_time_arg(void **state)
{
	const int64_t S = 1000000000LL, now = 1700000000 * S;
	/* Durations: now minus them. */
	assert_true(time_arg("10m", now) == now - 600 * S);
	assert_true(time_arg("1h30m", now) == now - 5400 * S);
	assert_true(time_arg("1.5s", now) == now - 1500000000LL);
	assert_true(time_arg("250ms", now) == now - 250000000LL);
	assert_true(time_arg("-1h", now) == now + 3600 * S);
	/* Unix seconds, with a fraction; "0" is the epoch. */
	assert_true(time_arg("0", now) == 0);
	assert_true(time_arg("10", now) == 10 * S);
	assert_true(time_arg("1600000000", now) == 1600000000 * S);
	assert_true(time_arg("1600000000.5", now) == 1600000000 * S + 500000000);
	assert_true(time_arg("1600000000.000000001", now) == 1600000000 * S + 1);
	assert_true(time_arg("1600000000.0000000019", now) == 1600000000 * S + 1);
	/* RFC 3339 with a zone. */
	assert_true(time_arg("2020-09-13T12:26:40Z", now) == 1600000000 * S);
	assert_true(time_arg("2020-09-13T12:26:40.25Z", now) == 1600000000 * S + 250000000);
	assert_true(time_arg("2020-09-13T14:26:40+02:00", now) == 1600000000 * S);
	assert_true(time_arg("2020-09-13T10:26:40.123456789-02:00", now) == 1600000000 * S + 123456789);
	assert_true(time_arg("2020-09-13T12:26Z", now) == 1600000000 * S - 40 * S);
	assert_true(time_arg("2020-09-13T12Z", now) == 1600000000 * S - 26 * 60 * S - 40 * S);
	assert_true(time_arg("2020-09-13Z", now) == 1599955200 * S);
	/* No zone: local time, which TZ sets. */
	setenv("TZ", "UTC", 1);
	tzset();
	assert_true(time_arg("2020-09-13T12:26:40", now) == 1600000000 * S);
	assert_true(time_arg("2020-09-13", now) == 1599955200 * S);
	setenv("TZ", "EST5", 1);
	tzset();
	assert_true(time_arg("2020-09-13T07:26:40", now) == 1600000000 * S);
	assert_true(time_arg("2020-09-13T07:26", now) == 1600000000 * S - 40 * S);
	unsetenv("TZ");
	tzset();

	const char *bad[] = { "",
			      "x",
			      "10x",
			      "1h-",
			      "-",
			      "-5",
			      "1600000000.",
			      "1600000000.x",
			      "2020-13-01",
			      "2020-02-30",
			      "2020-09-13T25:00Z",
			      "2020-09-13T12:60Z",
			      "2020-09-13T12:26:40.Z",
			      "2020-09-13T12:26:40+0200",
			      "2020-09-13 12:26:40",
			      "2020-9-13",
			      "99999999999999999999" };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		_cleanup_err_ struct pd_err *e = NULL;
		int64_t v = 7;
		if (pd_parse_time_arg(bad[i], now, &v, &e) != -1)
			fail_msg("'%s' parsed as %" PRId64, bad[i], v);
		assert_non_null(e);
		assert_int_equal(v, 7);
	}
}

static void test_strv(void **state)
{
	_cleanup_strv_ char **v = NULL;
	assert_int_equal(strv_len(NULL), 0);
	strv_push(&v, "a");
	strv_push_take(&v, strdup("b"));
	strv_push(&v, "");
	assert_int_equal(strv_len(v), 3);
	assert_string_equal(v[0], "a");
	assert_string_equal(v[1], "b");
	assert_string_equal(v[2], "");
	assert_null(v[3]);

	_cleanup_strv_ char **c = strv_copy(v);
	assert_int_equal(strv_len(c), 3);
	assert_ptr_not_equal(c[0], v[0]);
	assert_string_equal(c[1], "b");

	_cleanup_strv_ char **empty = strv_copy(NULL);
	assert_non_null(empty);
	assert_null(empty[0]);

	_cleanup_free_ char *j = strv_join(v, ", ");
	assert_string_equal(j, "a, b, ");
	_cleanup_free_ char *j1 = strv_join((char *[]){ "x", NULL }, "--");
	assert_string_equal(j1, "x");
	_cleanup_free_ char *j0 = strv_join(NULL, ",");
	assert_string_equal(j0, "");
}

static void test_prefix_suffix(void **state)
{
	assert_true(str_has_prefix("abc", ""));
	assert_true(str_has_prefix("abc", "ab"));
	assert_true(str_has_prefix("abc", "abc"));
	assert_false(str_has_prefix("abc", "abcd"));
	assert_false(str_has_prefix("abc", "b"));
	assert_true(str_has_suffix("x.tar.gz", ".tar.gz"));
	assert_true(str_has_suffix("x", ""));
	assert_false(str_has_suffix("gz", ".gz"));
	assert_false(str_has_suffix("x.tar.gz", ".tar"));
}

/* The three formatters pd_format_size replaced, as they were: its output
 * must stay byte for byte what `images`, `pull` and `stats` printed. */
static void old_images(uint64_t n, char *buf, size_t len)
{
	if (n >= 1000000000)
		snprintf(buf, len, "%.3gGB", (double)n / 1e9);
	else if (n >= 1000000)
		snprintf(buf, len, "%.3gMB", (double)n / 1e6);
	else if (n >= 1000)
		snprintf(buf, len, "%.3gkB", (double)n / 1e3);
	else
		snprintf(buf, len, "%uB", (unsigned)n);
}

static void old_progress(uint64_t n, char *buf, size_t len)
{
	if (n >= 1000000)
		snprintf(buf, len, "%.1f MB", (double)n / 1e6);
	else if (n >= 1000)
		snprintf(buf, len, "%.1f kB", (double)n / 1e3);
	else
		snprintf(buf, len, "%" PRIu64 " B", n);
}

static void old_stats(uint64_t b, char *buf, size_t len)
{
	const char *unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)b;
	size_t u = 0;
	while (v >= 1024 && u + 1 < ARRAY_SIZE(unit)) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, u ? "%.2f%s" : "%.0f%s", v, unit[u]);
}

static void check_format(uint64_t n)
{
	char got[64], want[64];
	old_images(n, want, sizeof(want));
	pd_format_size(n, PD_SIZE_SHORT, got, sizeof(got));
	assert_string_equal(got, want);
	old_progress(n, want, sizeof(want));
	pd_format_size(n, PD_SIZE_PROGRESS, got, sizeof(got));
	assert_string_equal(got, want);
	old_stats(n, want, sizeof(want));
	pd_format_size(n, PD_SIZE_BINARY, got, sizeof(got));
	assert_string_equal(got, want);
}

static void test_format_size(void **state)
{
	char b[64];
	pd_format_size(0, PD_SIZE_SHORT, b, sizeof(b));
	assert_string_equal(b, "0B");
	pd_format_size(1234567, PD_SIZE_SHORT, b, sizeof(b));
	assert_string_equal(b, "1.23MB");
	pd_format_size(5000000000ULL, PD_SIZE_SHORT, b, sizeof(b));
	assert_string_equal(b, "5GB");
	pd_format_size(999, PD_SIZE_PROGRESS, b, sizeof(b));
	assert_string_equal(b, "999 B");
	pd_format_size(1000, PD_SIZE_PROGRESS, b, sizeof(b));
	assert_string_equal(b, "1.0 kB");
	pd_format_size(5000000000ULL, PD_SIZE_PROGRESS, b, sizeof(b));
	assert_string_equal(b, "5000.0 MB");
	pd_format_size(1023, PD_SIZE_BINARY, b, sizeof(b));
	assert_string_equal(b, "1023B");
	pd_format_size(1536, PD_SIZE_BINARY, b, sizeof(b));
	assert_string_equal(b, "1.50KiB");
	pd_format_size(UINT64_MAX, PD_SIZE_BINARY, b, sizeof(b));
	assert_string_equal(b, "16777216.00TiB");
	/* Cut to the buffer, always terminated. */
	pd_format_size(1234567, PD_SIZE_SHORT, b, 4);
	assert_string_equal(b, "1.2");

	/* Every edge of every unit, and a spread in between. */
	for (uint64_t p = 1; p <= 1000000000000000000ULL; p *= 10)
		for (int64_t d = -3; d <= 3; d++)
			check_format(p + (uint64_t)d);
	for (int sh = 0; sh < 64; sh++)
		for (int64_t d = -3; d <= 3; d++)
			check_format((1ULL << sh) + (uint64_t)d);
	for (uint64_t n = 0; n < 3000000; n += 7)
		check_format(n);
	const uint64_t edges[] = { 999499,     999500,	  999949,    999950,
				   999999,     1048575,	  1048576,   1073741823,
				   1073741824, 999499999, 999500000, 9223372036854771712ULL,
				   UINT64_MAX };
	for (size_t i = 0; i < ARRAY_SIZE(edges); i++)
		check_format(edges[i]);
	uint64_t x = 88172645463325252ULL;
	for (int i = 0; i < 200000; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		check_format(x >> (x & 63));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_seed_example), cmocka_unit_test(test_split_blanks),
		cmocka_unit_test(test_split_empty_words),  cmocka_unit_test(test_split_quotes),
		cmocka_unit_test(test_split_escapes),	   cmocka_unit_test(test_split_line_continuation),
		cmocka_unit_test(test_split_errors),	   cmocka_unit_test(test_parse_size),
		cmocka_unit_test(test_parse_size_bad),	   cmocka_unit_test(test_parse_duration),
		cmocka_unit_test(test_parse_duration_bad), cmocka_unit_test(test_parse_uint),
		cmocka_unit_test(test_parse_time_arg),	   cmocka_unit_test(test_strv),
		cmocka_unit_test(test_prefix_suffix),	   cmocka_unit_test(test_format_size),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
