#!/usr/bin/env python3
"""Small helpers for the bench/*.sh scripts.

  stats.py medians JSON...          hyperfine exports -> "name<TAB>median_s<TAB>min_s<TAB>max_s<TAB>runs"
  stats.py pss PID...               sum of Pss, Rss and private memory (kB) from smaps_rollup:
                                    "pss_kb<TAB>rss_kb<TAB>private_kb<TAB>processes"
  stats.py tree PID...              PID and all its descendants, one per line
  stats.py monitors STATE_DB        "id<TAB>monitor_pid<TAB>pid" of running containers (read-only)
"""
import json
import os
import sqlite3
import statistics
import sys


def medians(paths):
    times = {}
    order = []
    for p in paths:
        with open(p) as f:
            for r in json.load(f)["results"]:
                if r["command"] not in times:
                    order.append(r["command"])
                times.setdefault(r["command"], []).extend(r["times"])
    for name in order:
        t = times[name]
        print(f"{name}\t{statistics.median(t):.6f}\t{min(t):.6f}\t{max(t):.6f}\t{len(t)}")


def rollup(pid):
    vals = {}
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 2 and parts[0].endswith(":") and parts[1].isdigit():
                    vals[parts[0][:-1]] = int(parts[1])
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    return vals


def pss(pids):
    tot = {"Pss": 0, "Rss": 0, "Private": 0}
    n = 0
    for pid in pids:
        v = rollup(pid)
        if v is None:
            continue
        n += 1
        tot["Pss"] += v.get("Pss", 0)
        tot["Rss"] += v.get("Rss", 0)
        tot["Private"] += v.get("Private_Clean", 0) + v.get("Private_Dirty", 0)
    print(f"{tot['Pss']}\t{tot['Rss']}\t{tot['Private']}\t{n}")


def children_map():
    kids = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                s = f.read()
        except OSError:
            continue
        ppid = int(s[s.rindex(")") + 2:].split()[1])
        kids.setdefault(ppid, []).append(int(d))
    return kids


def tree(pids):
    kids = children_map()
    seen = []
    todo = [int(p) for p in pids]
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.append(p)
        todo.extend(kids.get(p, []))
    for p in seen:
        print(p)


def monitors(db):
    c = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    for cid, mpid, pid in c.execute(
            "SELECT id, monitor_pid, pid FROM containers WHERE monitor_pid > 0 AND pid > 0"):
        print(f"{cid}\t{mpid}\t{pid}")


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    {"medians": medians, "pss": pss, "tree": tree, "monitors": monitors}[cmd](
        args[0] if cmd == "monitors" else args)
