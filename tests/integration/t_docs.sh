#!/bin/bash
# The man pages and the bash completion that scripts/gen-docs.py makes from
# the binary (`make docs`): every command and every option of `--help` is in
# them (a new one cannot be left out), the pages render without a groff
# warning and keep every character of the help text, the completion
# completes commands, flags, flag values, containers and images when bash
# calls it, and `make install` puts both where man and bash-completion look.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

GEN=$REPO/scripts/gen-docs.py
BASH_COMPLETION=/usr/share/bash-completion/bash_completion

# gen_docs: the man pages and completion of $PD in $T_TMP/docs.
gen_docs() {
	need_cmd python3
	python3 "$GEN" "$PD" "$T_TMP/docs" >"$T_TMP/gen.out" 2>&1 ||
		fail "gen-docs.py failed: $(cat "$T_TMP/gen.out")"
	MAN=$T_TMP/docs/man
	COMPLETION=$T_TMP/docs/completion/pocket-docker
	[ -s "$COMPLETION" ] || fail "no completion file"
}

# section TEXT TITLE: the lines of TEXT's section TITLE ("Commands:") up to
# the next blank line.
section() {
	printf '%s\n' "$1" | awk -v t="$2" '$0 == t { on = 1; next } on && /^$/ { exit } on'
}

# help_commands: every command of `--help`, then every "GROUP SUB" of each
# management command's `GROUP --help`.
help_commands() {
	local main g
	main=$("$PD" --help) || fail "--help failed"
	section "$main" "Commands:" | awk '{ print $1 }'
	for g in $(section "$main" "Management commands:" | awk '{ print $1 }'); do
		echo "$g"
		section "$("$PD" "$g" --help)" "Commands:" | awk -v g="$g" '{ print g " " $1 }'
	done
}

# help_options CMD...: "SHORT LONG" (SHORT "-" when none) for each line of
# the Options section of `CMD... --help`.
help_options() {
	"$PD" "$@" --help | awk '
		$0 == "Options:" { on = 1; next }
		on && /^  -[^-], --/ { s = substr($1, 2, 1); l = $2; sub(/^--/, "", l); print s, l; next }
		on && /^      --/ { l = $1; sub(/^--/, "", l); print "-", l }'
}

# complete_lines LINE...: for each LINE, what the completion offers for it
# (the cursor at its end), as "LINE<TAB>REPLY" lines.  LINE is split into
# words as readline does: blanks separate them, and ':' and '=' (in
# COMP_WORDBREAKS) are words of their own.  Runs in a new non-interactive
# bash with bash-completion's helpers loaded, calling the function
# `complete -p pocket-docker` names, as bash would.
complete_lines() {
	[ -f "$BASH_COMPLETION" ] || skip "needs bash-completion ($BASH_COMPLETION)"
	cat >"$T_TMP/complete.sh" <<'EOF'
source "$1"
source "$2"
shift 2
func=$(complete -p pocket-docker | sed -n 's/.*-F \([^ ]*\) .*/\1/p')
[ -n "$func" ] || { echo "no completion function for pocket-docker" >&2; exit 1; }
for line in "$@"; do
	COMP_LINE=$line
	COMP_POINT=${#line}
	COMP_WORDS=()
	read -ra toks <<<"$line"
	for w in "${toks[@]}"; do
		while [[ $w =~ ^([^:=]*)([:=]+)(.*)$ ]]; do
			[ -n "${BASH_REMATCH[1]}" ] && COMP_WORDS+=("${BASH_REMATCH[1]}")
			COMP_WORDS+=("${BASH_REMATCH[2]}")
			w=${BASH_REMATCH[3]}
		done
		[ -n "$w" ] && COMP_WORDS+=("$w")
	done
	[[ $line == *' ' ]] && COMP_WORDS+=("")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	"$func" pocket-docker "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
	for r in "${COMPREPLY[@]}"; do
		printf '%s\t%s\n' "$line" "$r"
	done
done
EOF
	bash --norc --noprofile "$T_TMP/complete.sh" "$BASH_COMPLETION" "$COMPLETION" "$@" \
		>"$T_TMP/complete.out" 2>"$T_TMP/complete.err" || fail "completion failed: $(cat "$T_TMP/complete.err")"
	[ -s "$T_TMP/complete.err" ] && fail "completion wrote errors: $(cat "$T_TMP/complete.err")"
	cat "$T_TMP/complete.out"
}

# replies LINE: what the completion offers for LINE, one a line.
replies() {
	complete_lines "$1" | cut -f 2-
}

# render PAGE: the page as man shows it on an 80-column terminal: groff with
# man's macros and options (groff, not man, for speed: man takes a tenth of a
# second a page, groff a hundredth).
render() {
	groff -man -Tutf8 -rLL=80n -P-cbou "$MAN/$1.1" 2>/dev/null
}

# word_prefix CMD: the line before CMD's last word ("pocket-docker " for
# "run", "pocket-docker container " for "container ls").
word_prefix() {
	case $1 in
	*' '*) echo "pocket-docker ${1% *} " ;;
	*) echo "pocket-docker " ;;
	esac
}

test_every_command_has_a_page_and_completes() {
	need_cmd groff
	gen_docs
	local cmds c page n=0 lines=()
	cmds=$(help_commands)
	[ "$(printf '%s\n' "$cmds" | grep -c .)" -ge 20 ] || fail "too few commands read from --help: $cmds"
	while read -r c; do
		page=pocket-docker-${c// /-}
		[ -s "$MAN/$page.1" ] || fail "no man page $page.1 for '$c'"
		n=$((n + 1))
		lines+=("$(word_prefix "$c")" "pocket-docker $c")
	done <<<"$cmds"
	[ -s "$MAN/pocket-docker.1" ] || fail "no pocket-docker.1"
	# Every command is offered where it can be typed (a group's
	# subcommands after the group), and for its full name.
	local prefix
	while read -r c; do
		prefix=$(word_prefix "$c")
		printf '%s\t%s\n' "$prefix" "${c##* }" "pocket-docker $c" "${c##* }"
	done <<<"$cmds" >"$T_TMP/expected"
	complete_lines "${lines[@]}" >"$T_TMP/got"
	assert_eq "" "$(grep -vxF -f "$T_TMP/got" "$T_TMP/expected")" "commands the completion does not offer"
	# The main page lists every command.
	local main
	main=$(render pocket-docker)
	while read -r c; do
		assert_contains "$main" "pocket-docker-${c// /-}(1)" "pocket-docker(1) lists $c"
	done < <(printf '%s\n' "$cmds" | grep -v ' ')
	# Nothing hidden is offered.
	assert_not_contains "$(replies "pocket-docker ")" "__commands" "hidden command offered"
	echo "checked $n commands"
}

test_every_option_in_page_and_completion() {
	need_cmd groff
	gen_docs
	local cmds c s l n=0 lines=() page opts
	local -A cmd_opts=()
	cmds=$(help_commands)
	: >"$T_TMP/expected"
	while read -r c; do
		# shellcheck disable=SC2086
		cmd_opts[$c]=$(help_options $c)
		while read -r s l; do
			[ -n "$l" ] || continue
			lines+=("pocket-docker $c --$l")
			printf 'pocket-docker %s --%s\t--%s\n' "$c" "$l" "$l" >>"$T_TMP/expected"
			if [ "$s" != - ]; then
				lines+=("pocket-docker $c -$s")
				printf 'pocket-docker %s -%s\t-%s\n' "$c" "$s" "$s" >>"$T_TMP/expected"
			fi
		done <<<"${cmd_opts[$c]}"
	done <<<"$cmds"
	# Every flag, typed whole, completes to itself.
	complete_lines "${lines[@]}" >"$T_TMP/got"
	assert_eq "" "$(grep -vxF -f "$T_TMP/got" "$T_TMP/expected")" "flags the completion does not offer"
	# Every flag is in its page's OPTIONS section, as rendered.
	while read -r c; do
		page=pocket-docker-${c// /-}
		opts=$(render "$page" | awk '/^OPTIONS$/ { on = 1; next } /^[A-Z]/ { on = 0 } on')
		while read -r s l; do
			[ -n "$l" ] || continue
			n=$((n + 1))
			[[ $opts =~ (^|[[:space:],])--$l([[:space:]]|\[|$) ]] ||
				fail "$page.1 OPTIONS lacks --$l: $(_short "$opts")"
			[ "$s" = - ] || [[ $opts =~ (^|[[:space:]])-$s,\ --$l([[:space:]]|\[|$) ]] ||
				fail "$page.1 OPTIONS lacks -$s, --$l: $(_short "$opts")"
		done <<<"${cmd_opts[$c]}"
	done <<<"$cmds"
	[ "$n" -ge 50 ] || fail "too few options read from the --help outputs: $n"
	echo "checked $n options"
}

# The page keeps the help text: every option's help and the usage lines, as
# man renders them (whitespace aside), for every command.
test_pages_keep_help_text() {
	need_cmd groff
	gen_docs
	local c page help flat want line n=0
	while read -r c; do
		page=pocket-docker-${c// /-}
		flat=$(render "$page")
		flat=${flat//[[:space:]]/}
		# shellcheck disable=SC2086 # $c is "CMD" or "GROUP SUB"
		help=$("$PD" $c --help)
		while IFS= read -r line; do
			case $line in
			'  -'* | '      --'*)
				# An option: its help after the flag's name (and VALUE).
				[[ ${line#*--} =~ ^[A-Za-z0-9_.-]+( VALUE| \[VALUE\])?\ +(.*)$ ]] || continue
				want=${BASH_REMATCH[2]}
				;;
			'Usage: pocket-docker '* | '       pocket-docker '*)
				# A usage line past the command's name.
				want=${line#*pocket-docker }
				want=${want#* }
				;;
			*) continue ;;
			esac
			want=${want//[[:space:]]/}
			[ -n "$want" ] || continue
			n=$((n + 1))
			case $flat in
			*"$want"*) ;;
			*) fail "$page.1 lost the help text '$line'" ;;
			esac
		done <<<"$help"
	done < <(help_commands)
	[ "$n" -ge 50 ] || fail "too few help lines checked: $n"
	echo "checked $n help lines"
}

test_pages_render_without_warnings() {
	need_cmd man groff
	gen_docs
	local f w n
	n=$(find "$MAN" -name '*.1' | wc -l)
	[ "$n" -ge 20 ] || fail "only $n pages"
	# One man for every page; then, on a warning, one a page to name it.
	w=$(MANWIDTH=80 man --warnings -l "$MAN"/*.1 2>&1 >/dev/null)
	if [ -n "$w" ]; then
		for f in "$MAN"/*.1; do
			w=$(MANWIDTH=80 man --warnings -l "$f" 2>&1 >/dev/null)
			[ -z "$w" ] || fail "$(basename "$f"): $w"
		done
		fail "warnings from man: $w"
	fi
	# All of groff's warnings, not only man's.
	w=$(groff -man -Tutf8 -rLL=80n -ww -z "$MAN"/*.1 2>&1)
	assert_eq "" "$w" "groff -ww"
	local run
	run=$(render pocket-docker-run)
	assert_contains "$run" "pocket-docker-run - Run a command in a new container" "NAME"
	assert_contains "$run" "pocket-docker run [OPTIONS] IMAGE" "SYNOPSIS"
	assert_line "$run" "OPTIONS" "an OPTIONS section"
	assert_match "$run" "^ +-d, --detach$" "-d, --detach"
	assert_match "$run" "^ +--rootfs VALUE$" "--rootfs VALUE"
}

# Text with roff's special characters goes through unchanged: a leading '.'
# or quote (a request), backslashes (escapes), hyphens, quotes.
test_roff_escaping() {
	need_cmd man python3
	mkdir -p "$T_TMP/man"
	MAN=$T_TMP/man
	python3 - "$GEN" "$MAN/pocket-docker-x.1" <<'EOF' || fail "could not make the page"
import importlib.util, sys
spec = importlib.util.spec_from_file_location("gen_docs", sys.argv[1])
g = importlib.util.module_from_spec(spec)
spec.loader.exec_module(g)
help_text = """Usage: pocket-docker x [OPTIONS] 'NAME' "ARG"
       pocket-docker x .dot \\fB

.Starts with a dot, has a \\ backslash and \\fBno bold\\fR.
'Starts with a quote

Options:
      --dots VALUE             .leading dot
  -q, --quote                  'leading quote' and "double" and `back`
      --back [VALUE]           C:\\path\\t and \\\\ and \\(em and \\-
      --very-long-option-name-here VALUE -1 to -2, --not-an-option
"""
h = g.parse_help(help_text, "x")
assert [o["long"] for o in h["options"]] == ["dots", "quote", "back", "very-long-option-name-here"], h
assert h["options"][2]["arg"] == "optional" and h["options"][1]["short"] == "q", h
open(sys.argv[2], "w").write(g.command_page(["pocket-docker", "x"], ".summary", h, None, "2024-01-01", "1"))
EOF
	local w text flat
	w=$(MANWIDTH=80 man --warnings -l "$MAN/pocket-docker-x.1" 2>&1 >/dev/null)
	assert_eq "" "$w" "groff warnings"
	text=$(MANWIDTH=200 man -l "$MAN/pocket-docker-x.1" 2>/dev/null)
	assert_contains "$text" "pocket-docker-x - .summary" "NAME"
	assert_contains "$text" "pocket-docker x [OPTIONS] 'NAME' \"ARG\"" "usage"
	assert_contains "$text" "pocket-docker x .dot \\fB" "second usage line"
	assert_contains "$text" ".Starts with a dot, has a \\ backslash and \\fBno bold\\fR." "description"
	assert_contains "$text" "'Starts with a quote" "description's quote"
	assert_contains "$text" ".leading dot" "leading dot"
	assert_contains "$text" "'leading quote' and \"double\" and \`back\`" "quotes"
	assert_contains "$text" "C:\\path\\t and \\\\ and \\(em and \\-" "backslashes"
	assert_contains "$text" "--back[=VALUE]" "optional value"
	assert_contains "$text" "-1 to -2, --not-an-option" "long option's help"
}

test_completion_commands_and_flags() {
	gen_docs
	local r
	r=$(replies "pocket-docker ru")
	assert_line "$r" "run" "'ru' completes to run"
	r=$(replies "pocket-docker run --de")
	assert_line "$r" "--detach" "run --de"
	assert_line "$r" "--detach-keys" "run --de"
	assert_eq "" "$(printf '%s\n' "$r" | grep -v '^--de')" "run --de offers only --de*"
	r=$(replies "pocket-docker container l")
	assert_line "$r" "ls" "container l"
	assert_not_contains "$r" "run" "container l"
	r=$(replies "pocket-docker image rm --f")
	assert_eq "--force" "$r" "image rm --f"
	r=$(replies "pocket-docker --ro")
	assert_eq "--root" "$r" "global --ro"
	# Flags only before the first argument: the parser stops there.
	r=$(replies "pocket-docker run img --de")
	assert_eq "" "$r" "flags after the image"
	# A flag's value is not a flag.
	r=$(replies "pocket-docker run --name --de")
	assert_eq "" "$r" "the value of --name"
	r=$(replies "pocket-docker kill -s KI")
	assert_eq "KILL" "$r" "kill -s KI"
	r=$(replies "pocket-docker kill --signal=SIGTE")
	assert_eq "SIGTERM" "$r" "kill --signal=SIGTE"
	# Files: for --rootfs, -v's host path and --env-file; not for -v's
	# container path.
	mkdir -p "$T_TMP/some-dir"
	touch "$T_TMP/some-file"
	r=$(replies "pocket-docker run --rootfs $T_TMP/some-d")
	assert_eq "$T_TMP/some-dir" "$r" "--rootfs"
	r=$(replies "pocket-docker run -v $T_TMP/some-f")
	assert_eq "$T_TMP/some-file" "$r" "-v"
	r=$(replies "pocket-docker run --env-file=$T_TMP/some-f")
	assert_eq "$T_TMP/some-file" "$r" "--env-file="
	r=$(replies "pocket-docker run -v $T_TMP/some-dir:$T_TMP/some-f")
	assert_eq "" "$r" "-v's container path"
	r=$(replies "pocket-docker --root $T_TMP/some-")
	assert_eq "$T_TMP/some-dir" "$r" "--root: directories only"
}

test_completion_containers_and_images() {
	need_busybox
	allow_containers_left
	gen_docs
	local name=docs-$T_TAG r
	pd run --name "$name" --rootfs "$BUSYBOX_DIR" true
	assert_ok "run"
	pd ps -a -q
	local id=${OUT:0:12}
	pd import --name "docs-img-$T_TAG:v1" "$BUSYBOX_TAR"
	assert_ok "import"
	r=$(replies "$PD --root $T_ROOT stop ")
	assert_eq "$name" "$r" "stop <TAB>"
	r=$(replies "$PD --root=$T_ROOT rm -f docs")
	assert_eq "$name" "$r" "rm -f docs<TAB> (--root=)"
	r=$(replies "$PD --root $T_ROOT container inspect ${id:0:6}")
	assert_eq "$id" "$r" "an id prefix"
	# The container's name only once: rename's second word is the new name.
	r=$(replies "$PD --root $T_ROOT rename $name ")
	assert_eq "" "$r" "rename's new name"
	r=$(replies "$PD --root $T_ROOT run -e A=b -it --name x docs-i")
	assert_eq "docs-img-$T_TAG:v1" "$r" "run's image"
	# After "NAME:" bash replaces only what follows the colon.
	r=$(replies "$PD --root $T_ROOT run docs-img-$T_TAG:")
	assert_eq "v1" "$r" "the tag after ':'"
	r=$(replies "$PD --root $T_ROOT image rm ")
	assert_eq "docs-img-$T_TAG:v1" "$r" "image rm"
	# The state root from the environment, as the binary takes it.
	r=$(POCKET_DOCKER_ROOT=$T_ROOT replies "$PD stop ")
	assert_eq "$name" "$r" "stop <TAB> under POCKET_DOCKER_ROOT"
	pd rm "$name"
	assert_ok "rm"
	r=$(replies "$PD --root $T_ROOT stop ")
	assert_eq "" "$r" "stop <TAB> once removed"
}

test_make_install() {
	need_cmd make man python3
	local dest=$T_TMP/dest out
	# The binary under test as it is (-o: not rebuilt).
	out=$(make -C "$REPO" -o "$PD" BIN="$PD" DOCDIR="$T_TMP/docs" DESTDIR="$dest" PREFIX=/usr \
		install 2>&1) || fail "make install failed: $out"
	[ -x "$dest/usr/bin/pocket-docker" ] || fail "no bin/pocket-docker"
	assert_eq pocket-docker "$(readlink "$dest/usr/bin/pocket-runc")" "pocket-runc link"
	local comp=$dest/usr/share/bash-completion/completions/pocket-docker
	[ -f "$comp" ] || fail "no completion in share/bash-completion/completions"
	local n want
	n=$(find "$dest/usr/share/man/man1" -name 'pocket-docker*.1' | wc -l)
	want=$(($(help_commands | wc -l) + 1))
	assert_eq "$want" "$n" "man pages installed"
	# man finds a page by name there...
	out=$(MANWIDTH=80 man -M "$dest/usr/share/man" pocket-docker-run 2>&1) || fail "man -M: $out"
	assert_contains "$out" "pocket-docker-run - Run a command in a new container" "man pocket-docker-run"
	# ... and bash-completion loads the completion on demand from there.
	[ -f "$BASH_COMPLETION" ] || skip "needs bash-completion ($BASH_COMPLETION)"
	out=$(XDG_DATA_DIRS=$dest/usr/share bash --norc --noprofile -c \
		"source $BASH_COMPLETION; __load_completion pocket-docker && complete -p pocket-docker" 2>&1)
	assert_match "$out" "^complete -F [_a-z]+ pocket-docker$" "completion loaded by bash-completion"
}

run_tests "$@"
