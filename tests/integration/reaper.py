#!/usr/bin/env python3
"""Run one integration test as a child subreaper, with a timeout.

    reaper.py --timeout SECONDS --leftovers FILE [--grace SECONDS] -- COMMAND...

The test runs in its own session.  Because this process is a child
subreaper (PR_SET_CHILD_SUBREAPER), every process the test starts that
outlives its parent -- a detached monitor, a container init, a background
job -- is reparented here instead of to PID 1.  After the test's main process
has exited, whatever is still alive under us after GRACE seconds is a
leftover: it is written to FILE (one line "pid comm cmdline" each), then
killed, since the test started it.

Exit status: the test's own; 124 when it timed out (and "timeout" is written
to FILE.timeout).
"""
import argparse
import ctypes
import os
import signal
import sys
import time

PR_SET_CHILD_SUBREAPER = 36


def children_of(me):
    kids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2:].split()
        if int(fields[1]) == me and fields[0] != "Z":
            kids.append(int(entry))
    return kids


def describe(pid):
    try:
        with open(f"/proc/{pid}/comm") as f:
            comm = f.read().strip()
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmdline = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return f"{pid} (gone)"
    return f"{pid} {comm} {cmdline}"


def reap_all():
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--timeout", type=float, required=True)
    ap.add_argument("--grace", type=float, default=3.0)
    ap.add_argument("--leftovers", required=True)
    ap.add_argument("command", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    cmd = args.command[1:] if args.command[:1] == ["--"] else args.command
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        sys.stderr.write("reaper: prctl(PR_SET_CHILD_SUBREAPER) failed\n")
        return 125
    open(args.leftovers, "w").close()

    main_pid = os.fork()
    if main_pid == 0:
        os.setsid()
        for s in (signal.SIGINT, signal.SIGQUIT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(s, signal.SIG_DFL)
        # Start the test with only stdin, stdout and stderr open, so a test
        # of fd leaks sees only the fds it opened itself.
        os.closerange(3, 1 << 16)
        try:
            os.execvp(cmd[0], cmd)
        finally:
            os._exit(127)

    deadline = time.monotonic() + args.timeout
    status = None
    timed_out = False
    term_sent = None
    while status is None:
        try:
            pid, st = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == main_pid:
            status = os.waitstatus_to_exitcode(st)
            break
        if pid != 0:
            continue
        now = time.monotonic()
        if not timed_out and now > deadline:
            timed_out = True
            term_sent = now
            try:
                os.killpg(main_pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        elif timed_out and now - term_sent > 3:
            try:
                os.killpg(main_pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.02)
    if timed_out:
        with open(args.leftovers + ".timeout", "w") as f:
            f.write("timeout\n")
        status = 124
    if status is None:
        status = 125
    elif status < 0:
        status = 128 - status

    # Give orphans a moment to finish on their own (a monitor tearing down).
    grace_end = time.monotonic() + args.grace
    me = os.getpid()
    while True:
        reap_all()
        kids = children_of(me)
        if not kids or time.monotonic() > grace_end:
            break
        time.sleep(0.05)

    reported = set()
    kill_end = time.monotonic() + 10
    with open(args.leftovers, "a") as out:
        while kids and time.monotonic() < kill_end:
            for pid in kids:
                if pid not in reported:
                    out.write(describe(pid) + "\n")
                    reported.add(pid)
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.05)
            reap_all()
            kids = children_of(me)
    return status


if __name__ == "__main__":
    sys.exit(main())
