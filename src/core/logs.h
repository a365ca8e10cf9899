/* Container logs: one text file per container, logs/<ID>.log, in the CRI
 * log format, one record per line:
 *     2026-11-22T08:00:00.123456789Z stdout F the line
 * "F" ends a line; "P" is a partial line continued by the next record.
 * Written by the monitor only; read by `logs`.
 *
 * With a maximum size (--log-opt max-size) the file is rotated before a
 * record would take it past that size: <ID>.log becomes <ID>.log.1, .1
 * becomes .2 and so on, keeping max-file files in all (1: the log starts
 * over empty).  Every file holds whole records; `logs` reads the rotated
 * files oldest first, then the current one. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

char *pd_log_path(const char *root, const char *id);

/* The monitor's writer: the open log, its rotation policy, a buffer. */
struct pd_log_writer;

/* Open (create, append to) the log at `path`, owned by the invoking user.
 * max_size 0: never rotated; max_file 0 counts as 1.  NULL on error. */
struct pd_log_writer *pd_log_open(const char *path, uint64_t max_size, unsigned max_file,
				  struct pd_err **err);
/* Append the bytes a stream (1 stdout, 2 stderr) produced as records,
 * rotating as needed; written out before it returns.  -1 when a write
 * failed (the disk is full): those records are lost, later ones are not. */
int pd_log_write(struct pd_log_writer *w, int stream, const char *data, size_t len);
void pd_log_close(struct pd_log_writer *w);

/* Remove a container's log and its rotated files. */
void pd_log_remove(const char *root, const char *id);

struct pd_log_opts {
	bool timestamps;  /* -t */
	int64_t tail;	  /* -1: all */
	bool follow;	  /* -f */
	int follow_pidfd; /* with follow: stop when this process (the monitor) ends */
	/* --since/--until, nanoseconds since the epoch, 0: no bound.  Records
	 * stamped before since or after until are left out (both bounds
	 * included, as Docker's); a follower stops once the clock passes
	 * until.  With tail, the last `tail` records are chosen first. */
	int64_t since_ns, until_ns;
};

/* Print the log at `path` (with the rotated files before it): stdout
 * records to out_fd, stderr records to err_fd.  A follower moves on to the
 * new file when the log is rotated under it. */
int pd_log_print(const char *path, const struct pd_log_opts *o, int out_fd, int err_fd, struct pd_err **err);
/* RFC 3339 with nanoseconds, UTC. */
void pd_format_time(int64_t ns, char *buf, size_t len);
