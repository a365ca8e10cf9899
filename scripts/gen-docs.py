#!/usr/bin/env python3
"""Make pocket-docker's man pages and bash completion from the binary itself.

    python3 scripts/gen-docs.py BINARY OUTDIR

writes OUTDIR/completion/pocket-docker (bash completion) and OUTDIR/man/*.1:
pocket-docker.1, pocket-docker-CMD.1 for every command,
pocket-docker-GROUP.1 for every management command, and
pocket-docker-GROUP-SUB.1 for each of its subcommands (most are other
names of a command: the same page under that name).

The only source is the built binary, so the pages and the completion cannot
drift from `--help`:
  * `pocket-docker __commands` (hidden) prints the command table of
    src/main.c: commands, groups, subcommands, summaries;
  * `pocket-docker --help` gives the synopsis and the global options;
  * `pocket-docker CMD --help` gives the usage lines, the description and the
    Options section, which cli_print_options() prints from the very table the
    option parser uses (src/cli/opts.c).
An Options line this script cannot read is an error, never skipped: a change
of that format must change this script too.

What a flag's value is (a file, a host path, a signal) is read from its help
text (see value_kind()); what a command's arguments are (containers, images,
files) from its usage line (see arg_kinds()).  Nothing here names a command
or a flag.

Every command runs with a fresh, empty state root, stdin /dev/null and a
timeout: a command that does not know --help acts on nothing.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

PROG = "pocket-docker"

# cli_print_options(): "  -d, --detach ...", "      --name VALUE ...",
# "      --network [VALUE] ...".  The left column is padded to 28 columns;
# a longer one is followed by one space.
OPT_RE = re.compile(r"^  (?:-(?P<short>[^\s-]), |    )--(?P<long>[A-Za-z0-9][A-Za-z0-9_.-]*)"
                    r"(?P<arg> VALUE| \[VALUE\])?(?: +(?P<help>\S.*))?$")
# main.c's usage(): "  --root DIR   state root ...", "  --version    print ...".
GLOBAL_OPT_RE = re.compile(r"^  (?P<long>--[A-Za-z0-9][A-Za-z0-9_.-]*)(?: (?P<arg>[A-Z][A-Z_]*))?"
                           r"(?: +(?P<help>\S.*))?$")


class GenError(Exception):
    pass


class Docs:
    def __init__(self, binary):
        self.binary = binary
        self.root = tempfile.mkdtemp(prefix="gen-docs-")

    def close(self):
        shutil.rmtree(self.root, ignore_errors=True)

    def run(self, *args):
        """stdout of `BINARY --root EMPTY ARGS...`."""
        try:
            p = subprocess.run([self.binary, "--root", self.root, *args], stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
        except subprocess.TimeoutExpired:
            raise GenError(f"'{' '.join(args)}' did not finish in 30s")
        return p.returncode, p.stdout.decode("utf-8", "replace")


# ---------------------------------------------------------------------------
# Reading the binary's help.

def parse_table(text):
    """`__commands` output as (commands, groups): commands a list of
    {name, summary}; groups a list of {name, summary, subs: [{name, alias,
    summary}]} (alias: the command the subcommand is another name for)."""
    commands, groups = [], []
    for line in text.splitlines():
        f = line.split("\t")
        if f[0] == "command" and len(f) == 3:
            commands.append({"name": f[1], "summary": f[2]})
        elif f[0] == "group" and len(f) == 3:
            groups.append({"name": f[1], "summary": f[2], "subs": []})
        elif f[0] == "sub" and len(f) == 5 and groups and groups[-1]["name"] == f[1]:
            groups[-1]["subs"].append({"name": f[2], "alias": None if f[3] == "-" else f[3],
                                       "summary": f[4]})
        else:
            raise GenError(f"__commands: cannot read line {line!r}")
    if not commands:
        raise GenError("__commands listed no command")
    return commands, groups


def parse_help(text, what):
    """A command's --help as {usage: [lines], description: [paragraphs],
    options: [{short, long, arg (None, "required", "optional"), help}]}.
    None when the text is no help at all (a command without --help)."""
    lines = text.splitlines()
    if not lines or not lines[0].startswith("Usage: "):
        return None
    usage = [lines[0][len("Usage: "):].strip()]
    i = 1
    while i < len(lines) and lines[i].strip().startswith(PROG + " "):
        usage.append(lines[i].strip())
        i += 1
    desc, para, options = [], [], []
    section = None
    for line in lines[i:]:
        if section is None and line == "Options:":
            section = "options"
            continue
        if section == "options":
            if not line.strip():
                continue
            m = OPT_RE.match(line)
            if not m:
                raise GenError(f"{what} --help: cannot read option line {line!r}")
            arg = {None: None, " VALUE": "required", " [VALUE]": "optional"}[m.group("arg")]
            options.append({"short": m.group("short"), "long": m.group("long"), "arg": arg,
                            "help": (m.group("help") or "").strip()})
            continue
        if line.strip():
            para.append(line.strip())
        elif para:
            desc.append(" ".join(para))
            para = []
    if para:
        desc.append(" ".join(para))
    return {"usage": usage, "description": desc, "options": options}


def parse_main_help(text):
    """`pocket-docker --help` as {usage, description, globals: [{long, arg,
    help}]}."""
    lines = text.splitlines()
    if not lines or not lines[0].startswith("Usage: "):
        raise GenError("--help: no Usage line")
    out = {"usage": [lines[0][len("Usage: "):].strip()], "description": [], "globals": []}
    section = "description"
    for line in lines[1:]:
        if not line.strip():
            continue
        if not line.startswith(" ") and line.endswith(":"):
            section = line[:-1].lower()
            continue
        if section == "description":
            out["description"].append(line.strip())
        elif section == "global options":
            m = GLOBAL_OPT_RE.match(line)
            if not m:
                raise GenError(f"--help: cannot read global option line {line!r}")
            out["globals"].append({"short": None, "long": m.group("long")[2:],
                                   "arg": "required" if m.group("arg") else None,
                                   "argname": m.group("arg"), "help": m.group("help") or ""})
    return out


def value_kind(opt):
    """What completes a flag's value, read from its help text: "file" (it
    names a FILE, a file, a directory or a tarball on this host), "host" (a
    HOST path before a ':'), "signal" (the flag is about a signal), "dir"
    (a global option whose value is a DIR), or "value" (anything else: no
    completion)."""
    if not opt["arg"]:
        return None
    h = opt["help"]
    if opt.get("argname") == "DIR":
        return "dir"
    if "signal" in opt["long"].split("-"):
        return "signal"
    if re.search(r"\bHOST\[?:", h):
        return "host"
    if (re.search(r"\bFILE\b|(?<![-\w])file\b|\btarball\b", h)
            or re.search(r"\bdirectory\b(?! inside)", h)):
        return "file"
    return "value"


def arg_kinds(usage, name):
    """The kinds of the positional arguments of the command NAME (its words:
    ["pocket-docker", "run"]) from its first usage line: a list of
    "container", "image", "file" or "none", the last one followed by "..."
    when it repeats.  (A group's subcommand that is another name for a
    command prints that command's usage: "pocket-docker ps".)"""
    words = usage.split()
    words = words[len(name):] if words[:len(name)] == name else words[2:]
    kinds = []
    skip = 0  # inside a bracketed flag with its value: [--name NAME[:TAG]]
    for w in words:
        if skip > 0:
            skip += w.count("[") - w.count("]")
            continue
        if w == "|":
            break
        if w.lstrip("[").startswith("-"):
            skip = w.count("[") - w.count("]")
            continue
        name = w.strip("[]")
        repeats = name.endswith("...")
        name = name.rstrip(".").strip("[]")
        if name == "OPTIONS":
            continue
        base = re.split(r"[\[:|@]", name)[0]
        kind = {"CONTAINER": "container", "IMAGE": "image", "FILE": "file",
                "PATH": "file"}.get(base, "none")
        kinds.append(kind + ("..." if repeats else ""))
        if repeats:
            break
    return kinds


def collect(docs):
    rc, text = docs.run("__commands")
    if rc != 0:
        raise GenError(f"__commands exited {rc}")
    commands, groups = parse_table(text)
    rc, text = docs.run("--help")
    main = parse_main_help(text)
    rc, text = docs.run("--version")
    version = text.split("\n")[0].split()[-1] if text.strip() else ""
    for c in commands:
        rc, text = docs.run(c["name"], "--help")
        c["help"] = parse_help(text, c["name"])
    for g in groups:
        rc, text = docs.run(g["name"], "--help")
        if rc != 0:
            raise GenError(f"{g['name']} --help exited {rc}")
        for s in g["subs"]:
            rc, text = docs.run(g["name"], s["name"], "--help")
            s["help"] = parse_help(text, g["name"] + " " + s["name"])
    return main, commands, groups, version


# ---------------------------------------------------------------------------
# Man pages.

def roff(s):
    """Text for a roff text line: backslashes, minus signs, quotes, and a
    leading '.' or '\\'' that would make the line a request."""
    s = s.replace("\\", "\\e").replace("-", "\\-").replace("'", "\\(aq").replace("`", "\\(ga")
    if s.startswith(".") or s.startswith("'"):
        s = "\\&" + s
    return s


def roff_synopsis(line, words):
    """A usage line with its first WORDS words (the command) in bold."""
    parts = line.split(" ")
    return "\\fB" + roff(" ".join(parts[:words])) + "\\fR" + (
        " " + roff(" ".join(parts[words:])) if len(parts) > words else "")


def roff_option(o):
    head = []
    if o["short"]:
        head.append("\\fB\\-" + roff(o["short"]) + "\\fR, ")
    head.append("\\fB\\-\\-" + roff(o["long"]) + "\\fR")
    argname = roff(o.get("argname") or "VALUE")
    if o["arg"] == "required":
        head.append(" \\fI" + argname + "\\fR")
    elif o["arg"] == "optional":
        head.append("[=\\fI" + argname + "\\fR]")
    return ".TP\n" + "".join(head) + "\n" + roff(o["help"] or "(no description)") + "\n"


def page(name, summary, date, version, sections):
    # .nh, .ad l: no hyphenation, no justification (page names and flags
    # are long words).
    out = [f'.\\" {name}(1): generated by scripts/gen-docs.py from {PROG}\'s own help; do not edit.',
           f'.TH "{roff(name.upper())}" "1" "{date}" "{roff(PROG + " " + version)}" "User Commands"',
           ".nh", ".ad l", ".SH NAME", roff(name) + " \\- " + roff(summary)]
    for title, body in sections:
        if body:
            out.append(".SH " + title)
            out.append(body.rstrip("\n"))
    return "\n".join(out) + "\n"


def entry(name, summary):
    """A list entry: a page's name, then its summary."""
    return f".TP\n\\fB{roff(name)}\\fR(1)\n{roff(summary)}\n"


def see_also(names):
    return ",\n".join("\\fB" + roff(n) + "\\fR(1)" for n in names) + "\n"


def command_page(words, summary, h, aliases, date, version):
    """The page of the command WORDS (["pocket-docker", "run"]); h its parsed
    --help, or None for a command without one; aliases other names of it."""
    name = "-".join(words)
    if h:
        synopsis = ".nf\n" + "\n".join(roff_synopsis(u, len(words)) for u in h["usage"]) + "\n.fi\n"
        desc = "\n.PP\n".join(roff(p) for p in h["description"]) or roff(summary)
        options = "".join(roff_option(o) for o in h["options"])
    else:
        synopsis = "\\fB" + roff(" ".join(words)) + "\\fR\n"
        desc, options = roff(summary), ""
    if aliases:
        desc += "\n.PP\n" + roff("The same command: ") + ", ".join(
            "\\fB" + roff(a) + "\\fR" for a in aliases) + ".\n"
    return page(name, summary, date, version,
                [("SYNOPSIS", synopsis), ("DESCRIPTION", desc + "\n"), ("OPTIONS", options),
                 ("SEE ALSO", see_also([PROG]))])


def write_man(mandir, main, commands, groups, version, date):
    pages = {}
    aliases = {}
    for g in groups:
        for s in g["subs"]:
            if s["alias"]:
                aliases.setdefault(s["alias"], []).append(f"{PROG} {g['name']} {s['name']}")

    summary = (main["description"][0] if main["description"] else PROG).rstrip(".")
    pages[PROG] = page(PROG, summary, date, version, [
        ("SYNOPSIS", ".nf\n" + "\n".join(roff_synopsis(u, 1) for u in main["usage"]) + "\n.fi\n"),
        ("DESCRIPTION", "\n.PP\n".join(roff(d) for d in main["description"]) + "\n"),
        ("COMMANDS", "".join(entry(f"{PROG}-{c['name']}", c["summary"]) for c in commands)),
        ("MANAGEMENT COMMANDS", "".join(entry(f"{PROG}-{g['name']}", g["summary"]) for g in groups)),
        ("GLOBAL OPTIONS", "".join(roff_option(o) for o in main["globals"]))])

    for c in commands:
        pages[f"{PROG}-{c['name']}"] = command_page([PROG, c["name"]], c["summary"], c["help"],
                                                     aliases.get(c["name"]), date, version)
    for g in groups:
        subs = ""
        for s in g["subs"]:
            words = [PROG, g["name"], s["name"]]
            subs += entry("-".join(words), s["summary"])
            h = s["help"]
            if h and s["alias"]:
                # The command's usage lines, under this name.
                h = dict(h, usage=[" ".join(words + u.split(" ")[2:]) if u.split(" ")[:2] == [PROG, s["alias"]]
                                   else u for u in h["usage"]])
            pages["-".join(words)] = command_page(words, s["summary"], h,
                                                  [f"{PROG} {s['alias']}"] if s["alias"] else None,
                                                  date, version)
        pages[f"{PROG}-{g['name']}"] = page(f"{PROG}-{g['name']}", g["summary"], date, version, [
            ("SYNOPSIS", f"\\fB{roff(PROG + ' ' + g['name'])}\\fR COMMAND [OPTIONS]\n"),
            ("DESCRIPTION", roff(g["summary"]) + ".\n"),
            ("COMMANDS", subs), ("SEE ALSO", see_also([PROG]))])

    shutil.rmtree(mandir, ignore_errors=True)
    os.makedirs(mandir)
    for name, text in pages.items():
        with open(os.path.join(mandir, name + ".1"), "w", encoding="utf-8") as f:
            f.write(text)


# ---------------------------------------------------------------------------
# Bash completion.

def sh_quote(s):
    return "'" + s.replace("'", "'\\''") + "'"


def spec_line(key, h):
    """One case branch of _pocket_docker_spec for KEY ("run", "container
    ls"): opts (every flag), vopts (FLAG:KIND for flags that take a value,
    KIND "opt-" prefixed when the value is optional), args."""
    opts, vopts = [], []
    for o in (h["options"] if h else []):
        names = ["--" + o["long"]] + (["-" + o["short"]] if o["short"] else [])
        opts += names
        if o["arg"]:
            k = value_kind(o)
            vopts += [f"{n}:{'opt-' if o['arg'] == 'optional' else ''}{k}" for n in names]
    args = arg_kinds(h["usage"][0], [PROG] + key.split()) if h else []
    return (f"\t{sh_quote(key)})\n\t\topts={sh_quote(' '.join(opts))}\n"
            f"\t\tvopts={sh_quote(' '.join(vopts))}\n\t\targs={sh_quote(' '.join(args))} ;;\n")


COMPLETION = r'''# shellcheck shell=bash
# bash completion for pocket-docker.
# Generated by scripts/gen-docs.py from the binary's own __commands and
# --help output; do not edit.

# _pocket_docker_spec KEY sets, in the caller's scope, for the command KEY
# ("run", "container ls"): opts (its flags), vopts (FLAG:KIND for each flag
# that takes a value; KIND opt-K when the value is optional) and args (the
# kinds of its positional arguments, the last one "..." when it repeats).
# It fails for a command it does not know.
_pocket_docker_spec() {
	case $1 in
@SPECS@	*) return 1 ;;
	esac
}

_pocket_docker_commands=@COMMANDS@
_pocket_docker_groups=@GROUPS@
_pocket_docker_global_opts=@GLOBAL_OPTS@
_pocket_docker_global_vopts=@GLOBAL_VOPTS@

_pocket_docker_subcommands() {
	case $1 in
@SUBS@	esac
}

# _pocket_docker_vkind FLAG VOPTS: prints the kind of FLAG's value, or fails
# when FLAG takes none.
_pocket_docker_vkind() {
	local v
	for v in $2; do
		if [ "${v%:*}" = "$1" ]; then
			printf '%s\n' "${v##*:}"
			return 0
		fi
	done
	return 1
}

_pocket_docker_files() {
	if declare -F _filedir >/dev/null; then
		_filedir "$@"
	elif [ "${1-}" = -d ]; then
		mapfile -t COMPREPLY < <(compgen -d -- "$cur")
	else
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
	fi
}

# _pocket_docker_complete KIND: COMPREPLY for a word of KIND (a flag's
# value or a positional argument).
_pocket_docker_complete() {
	local kind=${1%...} line name id
	kind=${kind#opt-}
	COMPREPLY=()
	case $kind in
	file) _pocket_docker_files ;;
	dir) _pocket_docker_files -d ;;
	host)
		# HOST[:CONTAINER...]: the host path only.
		[[ $cur == *:* ]] || _pocket_docker_files
		;;
	signal)
		# bash's names (SIGKILL...), not its pseudo-signals (EXIT, ERR...)
		# or unnamed numbers.
		local sigs
		sigs=$(compgen -A signal | grep -E '^SIG[A-Z]+[0-9]*$')
		if [[ $cur == SIG* ]]; then
			mapfile -t COMPREPLY < <(compgen -W "$sigs" -- "$cur")
		else
			mapfile -t COMPREPLY < <(compgen -W "${sigs//SIG/}" -- "$cur")
		fi
		;;
	container)
		# Names; ids too once a prefix is typed.
		local words=()
		while read -r name id; do
			words+=("$name")
			[ -n "$cur" ] && [ -n "$id" ] && words+=("$id")
		done < <("$_pocket_docker_bin" "${_pocket_docker_globals[@]}" ps -a \
			--format '{{.Names}} {{.ID}}' 2>/dev/null)
		mapfile -t COMPREPLY < <(compgen -W "${words[*]}" -- "$cur")
		;;
	image)
		local words=()
		while read -r line; do
			case $line in *'<none>'*) continue ;; esac
			words+=("$line")
		done < <("$_pocket_docker_bin" "${_pocket_docker_globals[@]}" images \
			--format '{{.Repository}}:{{.Tag}}' 2>/dev/null)
		mapfile -t COMPREPLY < <(compgen -W "${words[*]}" -- "$cur")
		declare -F __ltrim_colon_completions >/dev/null && __ltrim_colon_completions "$cur"
		;;
	esac
	return 0
}

_pocket_docker() {
	local cur prev words cword split=false
	if declare -F _init_completion >/dev/null; then
		_init_completion -s -n : || return
	else
		words=("${COMP_WORDS[@]}")
		cword=$COMP_CWORD
		cur=${words[cword]}
		prev=${words[cword - 1]}
	fi
	COMPREPLY=()
	local _pocket_docker_bin=${words[0]} _pocket_docker_globals=()
	# The binary as typed (./pocket-docker, a path), with ~ expanded.
	# shellcheck disable=SC2088
	[[ $_pocket_docker_bin == '~/'* ]] && _pocket_docker_bin=$HOME/${_pocket_docker_bin#'~/'}
	command -v "$_pocket_docker_bin" >/dev/null 2>&1 || _pocket_docker_bin=pocket-docker

	# Global options, up to the command.  Those with a value (the state
	# root) are passed on to the ps and images that list names.
	local i=1 w kind
	while [ "$i" -lt "$cword" ]; do
		w=${words[i]}
		case $w in
		--*=*)
			_pocket_docker_globals+=("$w")
			;;
		-*)
			if _pocket_docker_vkind "$w" "$_pocket_docker_global_vopts" >/dev/null; then
				if [ $((i + 1)) -eq "$cword" ]; then
					_pocket_docker_complete "$(_pocket_docker_vkind "$w" "$_pocket_docker_global_vopts")"
					return 0
				fi
				local v=${words[i + 1]}
				# shellcheck disable=SC2088
				[[ $v == '~/'* ]] && v=$HOME/${v#'~/'}
				_pocket_docker_globals+=("$w" "$v")
				i=$((i + 1))
			fi
			;;
		*) break ;;
		esac
		i=$((i + 1))
	done
	if [ "$split" = true ] && [ "$i" -eq "$cword" ]; then
		kind=$(_pocket_docker_vkind "$prev" "$_pocket_docker_global_vopts") &&
			_pocket_docker_complete "$kind"
		return 0
	fi
	if [ "$i" -eq "$cword" ]; then
		if [[ $cur == -* ]]; then
			mapfile -t COMPREPLY < <(compgen -W "$_pocket_docker_global_opts" -- "$cur")
		else
			mapfile -t COMPREPLY < <(compgen -W "$_pocket_docker_commands $_pocket_docker_groups" -- "$cur")
		fi
		return 0
	fi

	local key=${words[i]}
	i=$((i + 1))
	local subs
	if subs=$(_pocket_docker_subcommands "$key"); then
		if [ "$i" -eq "$cword" ]; then
			if [[ $cur == -* ]]; then
				mapfile -t COMPREPLY < <(compgen -W "--help" -- "$cur")
			else
				mapfile -t COMPREPLY < <(compgen -W "$subs" -- "$cur")
			fi
			return 0
		fi
		key="$key ${words[i]}"
		i=$((i + 1))
	fi
	local opts vopts args
	_pocket_docker_spec "$key" || return 0

	if [ "$split" = true ]; then
		kind=$(_pocket_docker_vkind "$prev" "$vopts") && _pocket_docker_complete "$kind"
		return 0
	fi
	# The flags come first (the parser stops at the first argument or at
	# "--"); a flag that takes a value takes the next word (an optional
	# value: unless it starts with '-').
	local first=-1 want=
	for ((; i < cword; i++)); do
		w=${words[i]}
		if [ -n "$want" ]; then
			local was=$want
			want=
			[[ $was == opt-* && $w == -* ]] || continue
		fi
		case $w in
		--)
			first=$((i + 1))
			break
			;;
		--*=*) ;;
		--*) want=$(_pocket_docker_vkind "$w" "$vopts") ;;
		-?*)
			# Short flags together (-it); the first that takes a value
			# takes the rest of the word, or the next word.
			local j c
			for ((j = 1; j < ${#w}; j++)); do
				c=${w:j:1}
				if kind=$(_pocket_docker_vkind "-$c" "$vopts"); then
					[ $((j + 1)) -eq ${#w} ] && want=$kind
					break
				fi
			done
			;;
		*)
			first=$i
			break
			;;
		esac
	done
	if [ "$first" -lt 0 ]; then
		if [ -n "$want" ] && ! [[ $want == opt-* && $cur == -* ]]; then
			_pocket_docker_complete "$want"
			return 0
		fi
		if [[ $cur == -* ]]; then
			mapfile -t COMPREPLY < <(compgen -W "$opts" -- "$cur")
			return 0
		fi
		if [ -z "$args" ] && [ -z "$cur" ]; then
			mapfile -t COMPREPLY < <(compgen -W "$opts" -- "$cur")
			return 0
		fi
		first=$cword
	fi
	# The positional argument number cword - first.
	local n=$((cword - first)) a
	for a in $args; do
		if [ "$n" -eq 0 ] || [[ $a == *... ]]; then
			_pocket_docker_complete "$a"
			return 0
		fi
		n=$((n - 1))
	done
	return 0
}
complete -F _pocket_docker pocket-docker
'''


def write_completion(path, main, commands, groups):
    specs = ""
    for c in commands:
        specs += spec_line(c["name"], c["help"])
    for g in groups:
        for s in g["subs"]:
            specs += spec_line(g["name"] + " " + s["name"], s["help"])
    subs = "".join(f"\t{sh_quote(g['name'])}) echo {sh_quote(' '.join(s['name'] for s in g['subs']))} ;;\n"
                   for g in groups) + "\t*) return 1 ;;\n"
    gopts = ["--" + o["long"] for o in main["globals"]]
    gvopts = [f"--{o['long']}:{value_kind(o)}" for o in main["globals"] if o["arg"]]
    text = (COMPLETION.replace("@SPECS@", specs).replace("@SUBS@", subs)
            .replace("@COMMANDS@", sh_quote(" ".join(c["name"] for c in commands)))
            .replace("@GROUPS@", sh_quote(" ".join(g["name"] for g in groups)))
            .replace("@GLOBAL_OPTS@", sh_quote(" ".join(gopts)))
            .replace("@GLOBAL_VOPTS@", sh_quote(" ".join(gvopts))))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(path + ".tmp", path)


def main():
    if len(sys.argv) != 3:
        print("usage: gen-docs.py BINARY OUTDIR", file=sys.stderr)
        return 2
    binary, outdir = os.path.abspath(sys.argv[1]), sys.argv[2]
    # A reproducible date: SOURCE_DATE_EPOCH, else the last commit's.
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if not epoch:
        try:
            epoch = subprocess.run(["git", "log", "-1", "--format=%ct"], capture_output=True,
                                   cwd=os.path.dirname(os.path.abspath(__file__)),
                                   text=True).stdout.strip()
        except OSError:
            epoch = ""
    date = time.strftime("%Y-%m-%d", time.gmtime(int(epoch) if epoch else time.time()))
    docs = Docs(binary)
    try:
        main_help, commands, groups, version = collect(docs)
    except GenError as e:
        print(f"gen-docs: {e}", file=sys.stderr)
        return 1
    finally:
        docs.close()
    write_man(os.path.join(outdir, "man"), main_help, commands, groups, version, date)
    write_completion(os.path.join(outdir, "completion", PROG), main_help, commands, groups)
    return 0


if __name__ == "__main__":
    sys.exit(main())
