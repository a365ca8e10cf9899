#!/usr/bin/env python3
"""Every dropped error says why (src/util/error.h, pd_err_ignore).

Finds each function of ours whose last parameter is `struct pd_err **`,
then every call of one in src/ that passes a bare NULL there instead of
`err` or `pd_err_ignore(WORD)`.  Prints them as FILE:LINE FUNCTION and
exits 1; silent and 0 when there are none.  Run by `make lint`.
"""
import glob
import os
import re
import sys

os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
files = sorted(glob.glob("src/**/*.[ch]", recursive=True))
decl = re.compile(r"\b([a-z_][a-z0-9_]*)\s*\(([^;{)]*(?:\([^)]*\)[^;{)]*)*)struct pd_err \*\*\s*\w*\s*\)", re.S)
names = set()
for f in files:
    with open(f) as fh:
        for m in decl.finditer(fh.read()):
            names.add(m.group(1))
call = re.compile(r"\b(" + "|".join(sorted(names)) + r")\s*\(") if names else None


def call_text(lines, i, start):
    """The text of the call that starts at lines[i][start:], up to its
    closing parenthesis (it may span lines)."""
    text, j = lines[i][start:], i
    while text.count("(") > text.count(")") and j + 1 < len(lines):
        j += 1
        text += " " + lines[j].strip()
    depth = 0
    for k, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return text[: k + 1]
    return text


found = []
for f in files:
    if not f.endswith(".c"):
        continue
    with open(f) as fh:
        lines = fh.read().split("\n")
    for i, line in enumerate(lines):
        for m in call.finditer(line) if call else []:
            text = call_text(lines, i, m.start())
            inner = text[text.index("(") + 1 : -1]
            # The last argument at depth 0.
            depth, last = 0, 0
            for k, ch in enumerate(inner):
                if ch in "([{":
                    depth += 1
                elif ch in ")]}":
                    depth -= 1
                elif ch == "," and depth == 0:
                    last = k + 1
            if "," in inner and inner[last:].strip() == "NULL":
                found.append("%s:%d %s" % (f, i + 1, m.group(1)))
for x in found:
    print("dropped-errors: %s passes NULL for its error: say why with pd_err_ignore(WORD)" % x)
sys.exit(1 if found else 0)
