/* Container logs: one text file per container, logs/<ID>.log, in the CRI
 * log format, one record per line:
 *     2026-11-22T08:00:00.123456789Z stdout F the line
 * "F" ends a line; "P" is a partial line continued by the next record.
 * Written by the monitor only; read by `logs`. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

char *pd_log_path(const char *root, const char *id);

/* Append the bytes a stream produced as records (monitor). */
int pd_log_append(int fd, int stream, const char *data, size_t len);

struct pd_log_opts {
	bool timestamps; /* -t */
	int64_t tail;    /* -1: all */
	bool follow;     /* -f */
	int follow_pidfd; /* with follow: stop when this process (the monitor) ends */
};

/* Print the log: stdout records to out_fd, stderr records to err_fd. */
int pd_log_print(const char *path, const struct pd_log_opts *o, int out_fd, int err_fd, struct pd_err **err);
/* RFC 3339 with nanoseconds, UTC. */
void pd_format_time(int64_t ns, char *buf, size_t len);
