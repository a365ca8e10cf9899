/* Unit tests for the relay primitives of core/relay.c: one read (data,
 * nothing now, EOF, a pty's EIO), the typed input with the detach keys
 * taken out (a sequence split across reads, a false start, a sequence
 * longer than one read), the queue that never blocks on a full pipe, the
 * copy that keeps draining when its output went away, and the drain that
 * does not wait for a writer still holding the stream open.  Pipes and a pty
 * only; no root. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/relay.h"
#include "util/fs.h"

static void make_pipe(int p[2], bool nonblock)
{
	assert_int_equal(pipe2(p, O_CLOEXEC | (nonblock ? O_NONBLOCK : 0)), 0);
}

static void put(int fd, const char *s)
{
	assert_int_equal(pd_write_all(fd, s, strlen(s)), 0);
}

static void test_read(void **state)
{
	int p[2];
	make_pipe(p, true);
	char buf[16];
	/* Nothing there yet: "again", never a block or an EOF. */
	errno = 0;
	assert_int_equal(relay_read(p[0], buf, sizeof(buf)), -1);
	assert_int_equal(errno, EAGAIN);
	put(p[1], "hello");
	assert_int_equal(relay_read(p[0], buf, sizeof(buf)), 5);
	assert_memory_equal(buf, "hello", 5);
	close(p[1]);
	assert_int_equal(relay_read(p[0], buf, sizeof(buf)), 0);
	close(p[0]);
}

/* A pty master reads EIO once the last slave fd is closed: that is the end
 * of the stream, as EOF is. */
static void test_read_pty_hangup(void **state)
{
	int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0) {
		skip();
		return;
	}
	assert_int_equal(grantpt(master), 0);
	assert_int_equal(unlockpt(master), 0);
	int slave = open(ptsname(master), O_RDWR | O_NOCTTY | O_CLOEXEC);
	assert_true(slave >= 0);
	put(slave, "x");
	close(slave);
	char buf[16];
	ssize_t n = relay_read(master, buf, sizeof(buf));
	if (n > 0) /* what was written before the hangup comes first */
		n = relay_read(master, buf, sizeof(buf));
	assert_int_equal(n, 0);
	close(master);
}

struct typed {
	enum relay_in got;
	char data[256];
	size_t len;
};

static struct typed type_in(struct relay_input *in, int wfd, const char *s)
{
	struct typed t = { 0 };
	if (s)
		put(wfd, s);
	else
		close(wfd);
	const char *data;
	t.got = relay_input_read(in, &data, &t.len);
	assert_true(t.len < sizeof(t.data));
	memcpy(t.data, data, t.len);
	return t;
}

static void test_detach_split_across_reads(void **state)
{
	int p[2];
	make_pipe(p, true);
	struct relay_input in;
	relay_input_init(&in, p[0], "\x10\x11", 64);
	struct typed t = type_in(&in, p[1], "ab\x10");
	/* The possible start of the sequence is held back... */
	assert_int_equal(t.got, RELAY_IN_DATA);
	assert_int_equal(t.len, 2);
	assert_memory_equal(t.data, "ab", 2);
	/* ...and the rest of it, in the next read, detaches. */
	t = type_in(&in, p[1],
		    "\x11"
		    "cd");
	assert_int_equal(t.got, RELAY_IN_DETACH);
	assert_int_equal(t.len, 0);
	relay_input_free(&in);
	close(p[0]);
	close(p[1]);
}

static void test_detach_false_start(void **state)
{
	int p[2];
	make_pipe(p, true);
	struct relay_input in;
	relay_input_init(&in, p[0], "\x10\x11", 64);
	struct typed t = type_in(&in, p[1], "\x10");
	assert_int_equal(t.got, RELAY_IN_DATA);
	assert_int_equal(t.len, 0);
	/* Not the sequence after all: what was held goes through, in order. */
	t = type_in(&in, p[1], "x\x10y");
	assert_int_equal(t.got, RELAY_IN_DATA);
	assert_int_equal(t.len, 4);
	assert_memory_equal(t.data, "\x10x\x10y", 4);
	/* Data before the sequence in the same read is passed on. */
	t = type_in(&in, p[1], "ls\x10\x11tail");
	assert_int_equal(t.got, RELAY_IN_DETACH);
	assert_int_equal(t.len, 2);
	assert_memory_equal(t.data, "ls", 2);
	/* Nothing now, then the end of the input. */
	const char *data;
	size_t len;
	assert_int_equal(relay_input_read(&in, &data, &len), RELAY_IN_AGAIN);
	t = type_in(&in, p[1], NULL);
	assert_int_equal(t.got, RELAY_IN_EOF);
	relay_input_free(&in);
	close(p[0]);
}

static void test_no_keys(void **state)
{
	int p[2];
	make_pipe(p, true);
	struct relay_input in;
	relay_input_init(&in, p[0], NULL, 64);
	struct typed t = type_in(&in, p[1], "\x10\x11");
	assert_int_equal(t.got, RELAY_IN_DATA);
	assert_int_equal(t.len, 2);
	relay_input_free(&in);
	close(p[0]);
	close(p[1]);
}

/* A sequence longer than one read: what it releases on a false start is
 * more than one read gave, and must fit (ASan would see it otherwise). */
static void test_long_sequence(void **state)
{
	int p[2];
	make_pipe(p, true);
	char keys[41];
	memset(keys, 'k', 40);
	keys[40] = '\0';
	struct relay_input in;
	relay_input_init(&in, p[0], keys, 8);
	size_t passed = 0;
	char typed[39 + 8 + 1];
	memset(typed, 'k', 39);
	memset(typed + 39, 'z', 8);
	typed[47] = '\0';
	put(p[1], typed);
	for (;;) {
		const char *data;
		size_t len;
		enum relay_in got = relay_input_read(&in, &data, &len);
		if (got == RELAY_IN_AGAIN)
			break;
		assert_int_equal(got, RELAY_IN_DATA);
		assert_true(len <= 8 + 40);
		passed += len;
	}
	assert_int_equal(passed, 47);
	relay_input_free(&in);
	close(p[0]);
	close(p[1]);
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Nobody reads: the writer does not block, the rest waits, in order. */
static void test_queue_full_pipe(void **state)
{
	int p[2];
	make_pipe(p, true);
	struct relay_queue q = { 0 };
	static char chunk[65536];
	size_t total = 0;
	int64_t t0 = now_ms();
	for (int i = 0; i < 16; i++) {
		memset(chunk, 'a' + i, sizeof(chunk));
		relay_queue_push(&q, chunk, sizeof(chunk));
		total += sizeof(chunk);
		assert_int_equal(relay_queue_write(p[1], &q), 0);
	}
	assert_true(now_ms() - t0 < 1000);
	assert_true(relay_queue_pending(&q) > 0);
	assert_true(relay_queue_pending(&q) < total);
	/* Drain the pipe, writing again as room appears: every byte, in order. */
	static char buf[65536];
	size_t seen = 0;
	while (seen < total) {
		ssize_t n = relay_read(p[0], buf, sizeof(buf));
		if (n < 0) {
			assert_int_equal(relay_queue_write(p[1], &q), 0);
			continue;
		}
		assert_true(n > 0);
		for (ssize_t k = 0; k < n; k++)
			assert_int_equal(buf[k], 'a' + (int)((seen + (size_t)k) / sizeof(chunk)));
		seen += (size_t)n;
		assert_int_equal(relay_queue_write(p[1], &q), 0);
	}
	assert_int_equal(relay_queue_pending(&q), 0);
	/* The reader gone: an error, not a block, and the queue is emptied. */
	relay_queue_push(&q, "x", 1);
	close(p[0]);
	assert_int_equal(relay_queue_write(p[1], &q), -1);
	assert_int_equal(relay_queue_pending(&q), 0);
	relay_queue_reset(&q);
	close(p[1]);
}

static void test_queue_head_and_consume(void **state)
{
	struct relay_queue q = { 0 };
	relay_queue_push(&q, "abc", 3);
	relay_queue_push(&q, "", 0);
	relay_queue_push(&q, "def", 3);
	assert_int_equal(relay_queue_pending(&q), 6);
	assert_memory_equal(relay_queue_head(&q), "abcdef", 6);
	relay_queue_consume(&q, 4);
	assert_memory_equal(relay_queue_head(&q), "ef", 2);
	relay_queue_push(&q, "g", 1); /* moves the rest to the front */
	assert_int_equal(relay_queue_pending(&q), 3);
	assert_memory_equal(relay_queue_head(&q), "efg", 3);
	relay_queue_consume(&q, 3);
	assert_int_equal(relay_queue_pending(&q), 0);
	assert_null(q.buf); /* given back once empty */
}

/* The copy's output went away (`| head`): the source is still drained to
 * its end, never blocked on. */
static void test_copy_output_gone(void **state)
{
	int src[2], dst[2];
	make_pipe(src, true);
	make_pipe(dst, false);
	put(src[1], "to nobody");
	assert_true(relay_copy(src[0], dst[1]));
	char buf[32];
	assert_int_equal(read(dst[0], buf, sizeof(buf)), 9);
	close(dst[0]);
	put(src[1], "dropped");
	assert_true(relay_copy(src[0], dst[1]));
	assert_true(relay_copy(src[0], dst[1])); /* nothing now */
	close(src[1]);
	assert_false(relay_copy(src[0], dst[1]));
	close(src[0]);
	close(dst[1]);
}

/* The rest of a stream whose writer may still be held open elsewhere: what
 * is there now, then back at once. */
static void test_drain_does_not_wait(void **state)
{
	int src[2], dst[2];
	make_pipe(src, false);
	make_pipe(dst, true);
	static char chunk[40000];
	memset(chunk, 'd', sizeof(chunk));
	assert_int_equal(pd_write_all(src[1], chunk, sizeof(chunk)), 0);
	int64_t t0 = now_ms();
	relay_drain(src[0], dst[1]); /* src[1] is still open */
	assert_true(now_ms() - t0 < 1000);
	static char buf[65536];
	assert_int_equal(read(dst[0], buf, sizeof(buf)), sizeof(chunk));
	close(src[1]);
	relay_drain(src[0], dst[1]); /* the end: nothing more, no wait */
	errno = 0;
	assert_int_equal(read(dst[0], buf, sizeof(buf)), -1);
	assert_int_equal(errno, EAGAIN);
	close(src[0]);
	close(dst[0]);
	close(dst[1]);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN); /* as the monitor and `exec` do */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read),
		cmocka_unit_test(test_read_pty_hangup),
		cmocka_unit_test(test_detach_split_across_reads),
		cmocka_unit_test(test_detach_false_start),
		cmocka_unit_test(test_no_keys),
		cmocka_unit_test(test_long_sequence),
		cmocka_unit_test(test_queue_full_pipe),
		cmocka_unit_test(test_queue_head_and_consume),
		cmocka_unit_test(test_copy_output_gone),
		cmocka_unit_test(test_drain_does_not_wait),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
