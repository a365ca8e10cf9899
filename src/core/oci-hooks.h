/* The runtime-spec's POSIX-platform hooks (config.md "Hooks"): programs a
 * config.json names, run by the runtime at points of a container's life
 * with the container's state JSON on their stdin. */
#pragma once
#include <stddef.h>
#include <sys/types.h>

#include "oci/spec.h"
#include "util/error.h"

/* Run the hooks of `list` (may be NULL or empty: nothing to do) in order,
 * each to its end before the next, and stop at the first that fails.
 * `kind_name` is the spec's key of the list ("createRuntime",
 * pd_oci_hook_name), used in errors only; `state_json` (NULL: empty) is
 * written to each hook's stdin.  Each hook:
 * - runs `path` (absolute; a missing, non-regular or non-executable file
 *   fails before anything runs) with argv = args (argv[0] = path when args
 *   is absent or empty) and exactly the environment `env` (none when
 *   absent), in the caller's cwd, namespaces and credentials, in a process
 *   group of its own, with every signal at its default and none blocked;
 * - gets fd 0 = a pipe carrying the state JSON, then closed; a hook that
 *   never reads it, or closes it, is not an error and never blocks us
 *   (written from a poll loop; EPIPE is the end of it, with no SIGPIPE to
 *   the caller); fd 1 = /dev/null; fd 2 = a pipe of which the last 4 KiB
 *   are kept; no other fd of the caller (close-on-exec or not);
 * - fails when it exits non-zero ("hook createRuntime[0] ('/x') exited 3:
 *   LAST STDERR LINE"), dies by a signal ("... killed by signal 11
 *   (SIGSEGV): LINE"), or runs longer than `timeout` seconds when that is
 *   set: its process group is then killed with SIGKILL ("... timed out
 *   after N s").  The stderr line is escaped for a terminal.
 * The hook is reaped by pid (waitpid on that pid only) before this returns,
 * on every path; the caller must not have SIGCHLD set to SIG_IGN (the exit
 * status would be lost).  Processes a hook started and left behind when it
 * exited by itself are not its runtime's business and are left alone.
 * Errors are PD_ERR_RUNTIME (a relative path: PD_ERR_USAGE); errnum is set
 * when a system call failed (ENOENT for a missing path). */
int pd_oci_hooks_run(const struct pd_oci_hook_list *list, const char *kind_name, const char *state_json,
		     struct pd_err **err);

/* The runtime-spec's state of a container (runtime.md "State"), as compact
 * JSON: ociVersion (pd_oci_spec_version), id, status ("creating",
 * "created", "running", "stopped"), pid (left out when 0 or when status is
 * "stopped"), bundle (absolute path), and annotations when n_ann > 0
 * (ann_keys[i] -> ann_vals[i]; a later duplicate key wins; NULL entries are
 * skipped).  NULL id, status or bundle are written as "".  Bytes that are
 * not valid UTF-8 are written as U+FFFD.  The caller frees the result;
 * never NULL. */
char *pd_oci_state_json(const char *id, const char *status, pid_t pid, const char *bundle,
			const char **ann_keys, const char **ann_vals, size_t n_ann);
