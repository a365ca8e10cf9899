#!/usr/bin/env python3
"""Merge hyperfine JSON exports (one per round), print a table of medians and
ratios, check targets, and replace one section of BENCHMARKS.md.

Used by the bench/*.sh scripts; every option is explained in --help.
"""
import argparse
import datetime
import json
import os
import statistics
import sys

INTRO = """# Benchmarks

pocket-docker exists to be fast and small; these numbers are measured, not claimed.
Every section below is written by a script in `bench/` (run them all with `make bench` or
`bash bench/run` as root on Debian 12); each section says when and on which machine it ran.
Times are medians over all runs; the runtimes are measured in the same run, in rounds that
alternate between them, on the same busybox root filesystem.
"""


def load_times(paths):
    """name -> list of seconds, over every round."""
    times = {}
    for p in paths:
        with open(p) as f:
            data = json.load(f)
        for r in data["results"]:
            times.setdefault(r["command"], []).extend(r["times"])
    return times


def fmt_ms(s):
    return f"{s * 1000:.2f}"


def sections(text):
    """(name, body) of every bench section, in file order."""
    out = []
    pos = 0
    while True:
        i = text.find("<!-- bench:", pos)
        if i < 0:
            return out
        j = text.find(" -->", i)
        name = text[i + len("<!-- bench:"):j]
        end = f"<!-- /bench:{name} -->"
        k = text.find(end, j)
        if k < 0:
            return out
        out.append((name, text[j + 4:k]))
        pos = k + len(end)


def collect_targets(md):
    """Write the 'targets' section (right after the introduction) from the 'Targets:' lists
    of the other sections."""
    if not os.path.exists(md):
        return
    text = open(md).read()
    lines = ["## Targets", "",
             "Gathered from the sections below (each line names its section and when it ran).", ""]
    for name, body in sections(text):
        if name == "targets":
            continue
        when = ""
        for ln in body.splitlines():
            if ln.startswith("Run "):
                when = ln[4:].rstrip(":").split(", on")[0]
        grab = False
        for ln in body.splitlines():
            if ln.strip() == "Targets:":
                grab = True
                continue
            if grab and ln.startswith("- "):
                lines.append(f"- [{name}, {when}] {ln[2:]}")
            elif grab and ln.strip() and not ln.startswith("- "):
                grab = False
    lines.append("")
    begin, end = "<!-- bench:targets -->", "<!-- /bench:targets -->"
    block = begin + "\n" + "\n".join(lines) + end + "\n"
    if begin in text and end in text:
        pre, rest = text.split(begin, 1)
        text = pre + block + "\n" + rest.split(end, 1)[1].lstrip("\n")
    else:
        i = text.find("<!-- bench:")
        if i < 0:
            text = text.rstrip("\n") + "\n\n" + block
        else:
            text = text[:i] + block + "\n" + text[i:]
    with open(md + ".tmp", "w") as f:
        f.write(text)
    os.replace(md + ".tmp", md)
    print(f"bench: wrote section 'targets' of {md}", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--section", help="section id in BENCHMARKS.md")
    ap.add_argument("--title", help="section heading")
    ap.add_argument("--md", required=True, help="path of BENCHMARKS.md")
    ap.add_argument("--machine", help="file with the machine description")
    ap.add_argument("--collect-targets", action="store_true",
                    help="only gather the targets of every section into the 'targets' section")
    ap.add_argument("--raw", help="with --section: make FILE (markdown written by a script "
                    "that does not use this tool) the section's whole text, with the date")
    ap.add_argument("--row", action="append", default=[],
                    help="NAME|DESCRIPTION: a table row, in order (NAME as given to hyperfine -n)")
    ap.add_argument("--ratio", action="append", default=[],
                    help="LABEL|NAME: a column 'x LABEL' = row median / NAME's median")
    ap.add_argument("--check", action="append", default=[],
                    help="NAME|REF|FACTOR|TEXT: target NAME median <= FACTOR * REF median")
    ap.add_argument("--note", action="append", default=[], help="a line under the table")
    ap.add_argument("--skipped", action="append", default=[], help="NAME|WHY: a row not measured")
    ap.add_argument("--pair", action="append", default=[],
                    help="NAME|REF: a column 'x PAIR-LABEL' with NAME's median / REF's median")
    ap.add_argument("--pair-label", default="other", help="header of the --pair column")
    ap.add_argument("--abs-check", action="append", default=[],
                    help="NAME|MS|TEXT: target NAME median <= MS milliseconds")
    ap.add_argument("--tsv", action="append", default=[],
                    help="[CAPTION|]FILE: a ready table (tab-separated, header first), "
                         "after the hyperfine table")
    ap.add_argument("--target", action="append", default=[],
                    help="TEXT|met|MISSED|not measured: a target checked by the script")
    ap.add_argument("--merged", help="write the merged times here as JSON")
    ap.add_argument("json", nargs="*", help="hyperfine --export-json files")
    a = ap.parse_args()
    if a.collect_targets:
        collect_targets(a.md)
        return
    if a.raw:
        if not a.section:
            ap.error("--raw needs --section")
        with open(a.raw) as f:
            raw = f.read().rstrip()
        now = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
        lines = raw.splitlines()
        # The date goes under the script's own heading.
        if lines and lines[0].startswith("## "):
            lines[1:1] = ["", f"Run {now}, on:"]
        else:
            lines[:0] = [f"Run {now}:", ""]
        replace_section(a.md, a.section, "\n".join(lines) + "\n")
        return
    if not (a.section and a.title and a.machine):
        ap.error("--section, --title and --machine are required")

    times = load_times(a.json)
    med = {k: statistics.median(v) for k, v in times.items() if v}
    if a.merged:
        with open(a.merged, "w") as f:
            json.dump({k: {"median": med[k], "times": v} for k, v in times.items()}, f)

    ratios = [r.split("|", 1) for r in a.ratio]
    ratios = [(lbl, ref) for lbl, ref in ratios if ref in med]
    head = ["runtime", "command", "median ms", "min ms", "p90 ms", "runs"]
    head += [f"x {lbl}" for lbl, _ in ratios]
    pairs = dict(p.split("|", 1) for p in a.pair)
    if pairs:
        head.append(f"x {a.pair_label}")
    rows = []
    skipped = dict(s.split("|", 1) for s in a.skipped)
    for spec in a.row:
        name, desc = spec.split("|", 1)
        if name not in med:
            why = skipped.get(name, "not measured")
            rows.append([name, desc, "-", "-", "-", "0"] + ["-" for _ in ratios]
                        + (["-"] if pairs else []) + [why])
            continue
        t = sorted(times[name])
        p90 = t[min(len(t) - 1, int(0.9 * len(t)))]
        row = [name, desc, fmt_ms(med[name]), fmt_ms(t[0]), fmt_ms(p90), str(len(t))]
        row += [f"{med[name] / med[ref]:.2f}" for _, ref in ratios]
        if pairs:
            ref = pairs.get(name)
            row.append(f"{med[name] / med[ref]:.2f}" if ref in med else "-")
        rows.append(row)

    checks = []
    for c in a.check:
        name, ref, factor, text = c.split("|", 3)
        factor = float(factor)
        if name not in med or ref not in med:
            checks.append(f"- {text}: not measured")
            continue
        r = med[name] / med[ref]
        ok = r <= factor
        checks.append(f"- {text}: {name} / {ref} = {r:.2f} (target <= {factor:g}): "
                      f"{'**met**' if ok else '**MISSED**'}")
    for c in a.abs_check:
        name, ms, text = c.split("|", 2)
        if name not in med:
            checks.append(f"- {text}: not measured")
            continue
        ok = med[name] * 1000 <= float(ms)
        checks.append(f"- {text}: {name} median = {fmt_ms(med[name])} ms (target <= {ms} ms): "
                      f"{'**met**' if ok else '**MISSED**'}")
    for t in a.target:
        text, status = t.rsplit("|", 1)
        status = {"met": "**met**", "MISSED": "**MISSED**"}.get(status, status)
        checks.append(f"- {text}: {status}")

    # Ready-made tables.
    tsvs = []
    for spec in a.tsv:
        cap, path = spec.rsplit("|", 1) if "|" in spec else ("", spec)
        with open(path) as f:
            lines = [ln.rstrip("\n").split("\t") for ln in f if ln.strip()]
        if lines:
            tsvs.append((cap, lines))

    # Markdown table.
    def mdrow(cells):
        return "| " + " | ".join(cells) + " |"
    table = []
    if rows:
        table = [mdrow(head), mdrow(["---"] * 2 + ["---:"] * (len(head) - 2))]
    for r in rows:
        if len(r) > len(head):  # skipped row: put the reason in the command column
            r = [r[0], f"{r[1]} — *skipped: {r[-1]}*"] + r[2:len(head)]
        table.append(mdrow(r))
    for cap, lines in tsvs:
        if table:
            table.append("")
        if cap:
            table += [cap, ""]
        h = lines[0]
        table += [mdrow(h), mdrow(["---"] + ["---:"] * (len(h) - 1))]
        table += [mdrow(ln + [""] * (len(h) - len(ln))) for ln in lines[1:]]

    now = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    with open(a.machine) as f:
        machine = f.read().rstrip()
    body = [f"## {a.title}", "", f"Run {now}, on:", "", machine, ""] + table + [""]
    if checks:
        body += ["Targets:", ""] + checks + [""]
    if a.note:
        body += ["Notes:", ""] + [f"- {n}" for n in a.note] + [""]

    # Console: a plain aligned table.
    def console(tab, left):
        widths = [max(len(r[i]) if i < len(r) else 0 for r in tab) for i in range(len(tab[0]))]
        for r in tab:
            print("  ".join(c.ljust(widths[i]) if i < left else c.rjust(widths[i])
                            for i, c in enumerate(r[:len(widths)])))
    print()
    if rows:
        console([head] + [r[:len(head)] for r in rows], 2)
    for r in rows:
        if len(r) > len(head):
            print(f"  ({r[0]} skipped: {r[-1]})")
    for cap, lines in tsvs:
        print()
        if cap:
            print(cap.replace("**", "").replace("`", ""))
        console(lines, 2)
    if checks:
        print()
        print("\n".join(c.replace("**", "") for c in checks))
    print()

    replace_section(a.md, a.section, "\n".join(body))


def replace_section(md, section, body):
    """BENCHMARKS.md: replace this section (or append it), keep the others."""
    begin, end = f"<!-- bench:{section} -->", f"<!-- /bench:{section} -->"
    block = begin + "\n" + body + end + "\n"
    text = open(md).read() if os.path.exists(md) else INTRO
    if begin in text and end in text:
        pre, rest = text.split(begin, 1)
        post = rest.split(end, 1)[1].lstrip("\n")
        text = pre + block + ("\n" + post if post else "")
    else:
        text = text.rstrip("\n") + "\n\n" + block
    with open(md + ".tmp", "w") as f:
        f.write(text)
    os.replace(md + ".tmp", md)
    print(f"bench: wrote section '{section}' of {md}", file=sys.stderr)


if __name__ == "__main__":
    main()
