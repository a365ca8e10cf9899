/* Process identity, and the memory of long-lived processes.  A pid alone
 * is not an identity (the kernel reuses them); a pid plus its start time
 * (field 22 of /proc/PID/stat, in clock ticks since boot) is. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/error.h"

/* 0 when the process does not exist (or cannot be read). */
uint64_t pd_proc_start_time(pid_t pid);
/* True when `pid` exists, has that start time, and is not a zombie. */
bool pd_proc_is_alive(pid_t pid, uint64_t start);
/* A pidfd for pid, checked against its start time after opening (so the
 * fd surely refers to the recorded process); -1 when it is gone. */
int pd_pidfd_open_checked(pid_t pid, uint64_t start);
/* Write this process's /proc/self/oom_score_adj (inherited by its
 * children); call it while /proc is the host's. */
int pd_oom_score_adj_set(int value, struct pd_err **err);
/* Nanoseconds of CLOCK_REALTIME / CLOCK_MONOTONIC. */
int64_t pd_now_ns(void);
int64_t pd_mono_ns(void);
/* Give back what a long-lived process used once, at start: trim the heap
 * (malloc_trim), and unmap its copies of file pages it only reads (code and
 * read-only data of the binary and its libraries), keeping every page it
 * wrote; those are read back from the page cache when next touched.
 * Returns the kB of file pages dropped. */
size_t pd_proc_release_memory(void);
