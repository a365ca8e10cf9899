/* Unit tests for the log writer and reader of core/logs.c (records,
 * rotation with max-size/max-file, --tail across rotated files), the
 * --log-opt parser of core/config.c and the monitor's non-blocking client
 * queue of core/attach.c.  Works in a temporary directory; no root. */
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/attach.h"
#include "core/config.h"
#include "core/logs.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

static char tmp[PATH_MAX];

static int setup(void **state)
{
	char t[] = "/tmp/pd-logs-XXXXXX";
	if (!mkdtemp(t) || !realpath(t, tmp))
		return -1;
	char *logs = xasprintf("%s/logs", tmp);
	int r = mkdir(logs, 0700);
	free(logs);
	return r;
}

static int teardown(void **state)
{
	return pd_rm_rf(tmp, NULL);
}

static int parse(const char *spec, struct pd_config *c)
{
	struct pd_err *err = NULL;
	int r = pd_log_opt_parse(c, spec, &err);
	if (r < 0) {
		assert_non_null(err);
		assert_int_equal(err->kind, PD_ERR_USAGE);
		pd_err_free(err);
	}
	return r;
}

static void test_log_opt_parse(void **state)
{
	struct pd_config c;
	pd_config_init(&c);
	assert_int_equal(parse("max-size=10m,max-file=3", &c), 0);
	assert_int_equal(c.log_max_size, 10 << 20);
	assert_int_equal(c.log_max_file, 3);
	assert_int_equal(parse("max-size=512k", &c), 0);
	assert_int_equal(c.log_max_size, 512 << 10);
	assert_int_equal(c.log_max_file, 3); /* a later --log-opt adds to the earlier */
	static const char *const bad[] = { "",
					   "max-size",
					   "max-size=",
					   "max-size=abc",
					   "max-size=0",
					   "max-size=-1",
					   "max-file=0",
					   "max-file=x",
					   "max-file=1,compress=true",
					   "labels=a" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(parse(bad[i], &c), -1);
	pd_config_free(&c);
}

static char *path_of(const char *name)
{
	return xasprintf("%s/logs/%s", tmp, name);
}

static off_t size_of(const char *name)
{
	_cleanup_free_ char *p = path_of(name);
	struct stat st;
	return stat(p, &st) == 0 ? st.st_size : -1;
}

/* Print the log (with opts) into a string the caller frees. */
static char *print_log(const char *path, int64_t tail)
{
	_cleanup_free_ char *out = path_of("printed");
	int fd = open(out, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	struct pd_log_opts o = { .tail = tail, .follow_pidfd = -1 };
	assert_int_equal(pd_log_print(path, &o, fd, fd, NULL), 0);
	off_t len = lseek(fd, 0, SEEK_END);
	char *s = xcalloc((size_t)len + 1, 1);
	assert_int_equal(pread(fd, s, (size_t)len, 0), len);
	close(fd);
	return s;
}

static void test_rotation(void **state)
{
	_cleanup_free_ char *path = path_of("c.log");
	struct pd_log_writer *w = pd_log_open(path, 4096, 3, NULL);
	assert_non_null(w);
	char line[32];
	for (int i = 1; i <= 1000; i++) {
		int n = snprintf(line, sizeof(line), "line %d\n", i);
		assert_int_equal(pd_log_write(w, i % 2 ? 1 : 2, line, (size_t)n), 0);
	}
	/* A partial line, then its end. */
	assert_int_equal(pd_log_write(w, 1, "half", 4), 0);
	assert_int_equal(pd_log_write(w, 1, "-done\n", 6), 0);
	pd_log_close(w);
	/* Three files in all, none past max-size. */
	assert_true(size_of("c.log") > 0 && size_of("c.log") <= 4096);
	assert_true(size_of("c.log.1") > 0 && size_of("c.log.1") <= 4096);
	assert_true(size_of("c.log.2") > 0 && size_of("c.log.2") <= 4096);
	assert_int_equal(size_of("c.log.3"), -1);
	assert_int_equal(size_of("c.log.tmp"), -1);

	/* All that is kept, in order: a run of consecutive lines. */
	_cleanup_free_ char *all = print_log(path, -1);
	int first = atoi(all + 5), count = 0;
	assert_true(first > 1);
	char *p = all;
	for (int i = first; i <= 1000; i++, count++) {
		int n = snprintf(line, sizeof(line), "line %d\n", i);
		assert_memory_equal(p, line, (size_t)n);
		p += n;
	}
	assert_string_equal(p, "half-done\n");

	/* --tail reaching back into a rotated file: the last 150 records
	 * (the partial line is two). */
	_cleanup_free_ char *tail = print_log(path, 150);
	assert_true(strlen(tail) < strlen(all));
	assert_string_equal(tail, all + strlen(all) - strlen(tail));
	assert_memory_equal(tail, "line 853\n", 9);
	/* More than there is: everything kept. */
	_cleanup_free_ char *more = print_log(path, 100000);
	assert_string_equal(more, all);
	/* --tail 0: nothing. */
	_cleanup_free_ char *none = print_log(path, 0);
	assert_string_equal(none, "");

	pd_log_remove(tmp, "c");
	assert_int_equal(size_of("c.log"), -1);
	assert_int_equal(size_of("c.log.1"), -1);
	assert_int_equal(size_of("c.log.2"), -1);
	assert_true(size_of("printed") >= 0); /* another name is left alone */
}

static void test_single_file_starts_over(void **state)
{
	_cleanup_free_ char *path = path_of("d.log");
	struct pd_log_writer *w = pd_log_open(path, 1000, 1, NULL);
	assert_non_null(w);
	for (int i = 0; i < 500; i++)
		assert_int_equal(pd_log_write(w, 1, "0123456789\n", 11), 0);
	pd_log_close(w);
	assert_true(size_of("d.log") > 0 && size_of("d.log") <= 1000);
	assert_int_equal(size_of("d.log.1"), -1);
}

static void test_attach_queue(void **state)
{
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	struct attach_out q = { 0 };
	static char frame[ATTACH_MAX_PAYLOAD];
	memset(frame, 'x', sizeof(frame));
	/* Nobody reads: sends never block, the rest is queued. */
	for (int i = 0; i < 64; i++) {
		frame[0] = (char)i;
		assert_int_equal(attach_out_send(sv[0], &q, ATTACH_STDOUT, frame, sizeof(frame)), 0);
	}
	assert_true(attach_out_pending(&q) > 0);
	/* Read everything, in order, flushing as room appears. */
	static char buf[ATTACH_MAX_PAYLOAD];
	for (int i = 0; i < 64; i++) {
		uint32_t type;
		assert_int_equal(attach_out_flush(sv[0], &q), 0);
		assert_int_equal(attach_recv(sv[1], &type, buf, sizeof(buf)), sizeof(buf));
		assert_int_equal(type, ATTACH_STDOUT);
		assert_int_equal(buf[0], (char)i);
	}
	assert_int_equal(attach_out_flush(sv[0], &q), 0);
	assert_int_equal(attach_out_pending(&q), 0);
	/* The peer gone: an error, not a block. */
	close(sv[1]);
	assert_int_equal(attach_out_send(sv[0], &q, ATTACH_STDOUT, "a", 1), -1);
	attach_out_reset(&q);
	close(sv[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_log_opt_parse),
		cmocka_unit_test(test_rotation),
		cmocka_unit_test(test_single_file_starts_over),
		cmocka_unit_test(test_attach_queue),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
