#!/bin/bash
# The include graph's rule (DESIGN.md, README "Layout"), checked:
#
#   main.c -> cli -> core -> image, net, linux, oci -> util
#
# A file may include headers of its own directory, of util/, and of the
# layer directly below its own; nothing else.  So cli/ never reaches past
# core/ into linux/ or image/ (one core call per command), image/, net/
# linux/ and oci/ never include one another (no sideways edge) nor core/
# (no upward edge).  Prints every offending line, then fails; silent and 0
# when the graph is clean.  Run by `make layering` (and so by CI).
set -u
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1

allowed() { # allowed FROM_DIR TO_DIR
	[ "$1" = "$2" ] && return 0
	[ "$2" = util ] && return 0
	case "$1:$2" in
	main:cli | cli:core | core:image | core:net | core:linux | core:oci) return 0 ;;
	esac
	return 1
}

rank() { case $1 in main) echo 4 ;; cli) echo 3 ;; core) echo 2 ;; util) echo 0 ;; *) echo 1 ;; esac; }
kind() {
	local a b
	a=$(rank "$1") b=$(rank "$2")
	if [ "$b" -gt "$a" ]; then echo "an upward edge"
	elif [ "$b" -eq "$a" ]; then echo "a sideways edge"
	else echo "an edge past the layer below"; fi
}

bad=0
while IFS= read -r line; do
	file=${line%%:*}
	rest=${line#*:}
	lineno=${rest%%:*}
	inc=${rest#*:}
	inc=${inc#*\"}
	inc=${inc%%\"*}
	case $file in
	src/main.c) from=main ;;
	src/*/*) from=${file#src/}; from=${from%%/*} ;;
	*) continue ;;
	esac
	case $inc in
	*/*) to=${inc%%/*} ;;
	*) to=$from ;; # a sibling header, included without its directory
	esac
	case $to in cli | core | image | net | linux | oci | util) ;; *) continue ;; esac
	if ! allowed "$from" "$to"; then
		echo "layering: $file:$lineno includes \"$inc\": $from -> $to is $(kind "$from" "$to")"
		bad=1
	fi
done < <(grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' src/*.c src/*/*.c src/*/*.h)
exit $bad
