#!/bin/bash
# The `run` options Docker users reach for after the basics: labels (and
# ps's label filter and column), ulimits, the OOM score, extra groups,
# namespaced sysctls, the id file, the stop timeout, the memory
# reservation, the size of /dev/shm, the platform and the pull policy.
# Each is checked from inside a real container and in `inspect`; each bad
# value exits 125 with one line.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# assert_usage TEXT: the last command exited 125 with one
# "pocket-docker: " line on stderr that contains TEXT.
assert_usage() {
	assert_exit 125 "a refused value"
	assert_error_line "$1"
	assert_contains "$ERR" "$1" "error message"
}

# inspect_field CONTAINER PYTHON-EXPR: print an expression of the record d.
inspect_field() {
	pd inspect "$1"
	assert_ok
	echo "$OUT" | python3 -c "import json,sys; d=json.load(sys.stdin)[0]; v=$2; print(json.dumps(v) if not isinstance(v, str) else v)"
}

test_labels() {
	need_busybox
	printf '# team labels\n\ntier=backend\n  owner=alice\nflag\n' >"$T_TMP/labels"
	pd run -d --name lab -l a=1 --label b=x=y -l empty --label-file "$T_TMP/labels" -l a=2 \
		--rootfs "$BUSYBOX_DIR" sleep 30
	assert_ok
	assert_eq '{"a": "2", "b": "x=y", "empty": "", "tier": "backend", "owner": "alice", "flag": ""}' \
		"$(inspect_field lab 'd["Config"]["Labels"]')" "Config.Labels"
	pd inspect --format '{{index .Config.Labels "tier"}}' lab
	assert_out backend "index .Config.Labels"
	pd run -d --name plain --rootfs "$BUSYBOX_DIR" sleep 30
	assert_ok
	assert_eq '{}' "$(inspect_field plain 'd["Config"]["Labels"]')" "no labels: an empty object"
	pd ps --format '{{.Names}}' --filter label=tier
	assert_out lab "label=KEY"
	pd ps --format '{{.Names}}' --filter label=tier=backend
	assert_out lab "label=KEY=VALUE"
	pd ps --format '{{.Names}}' --filter label=tier=frontend
	assert_out "" "label=KEY=VALUE of another value"
	pd ps --format '{{.Names}}' --filter label=empty=
	assert_out lab "label=KEY= matches the empty value"
	pd ps --format '{{.Names}}' --filter label=tie
	assert_out "" "a key's prefix is not the key"
	# Two label filters: both must hold (Docker's rule for one key).
	pd ps --format '{{.Names}}' --filter label=a=2 --filter label=owner=alice
	assert_out lab "two label filters"
	pd ps --format '{{.Names}}' --filter label=a=2 --filter label=owner=bob
	assert_out "" "two label filters, one false"
	pd ps --format '{{.Names}}:{{.Labels}}' --filter name=lab
	assert_out 'lab:a=2,b=x=y,empty=,tier=backend,owner=alice,flag=' "ps {{.Labels}}"
	pd ps --format '{{.Names}}:{{.Labels}}' --filter name=plain
	assert_out 'plain:' "ps {{.Labels}} without labels"
	pd rm -f lab plain
	assert_ok
}

test_labels_bad() {
	need_busybox
	pd run --rm -l =v --rootfs "$BUSYBOX_DIR" true
	assert_usage "invalid label '=v'"
	pd run --rm --label-file "$T_TMP/nonexistent" --rootfs "$BUSYBOX_DIR" true
	assert_usage "open label file '$T_TMP/nonexistent'"
	printf 'ok=1\n=bad\n' >"$T_TMP/bad"
	pd run --rm --label-file "$T_TMP/bad" --rootfs "$BUSYBOX_DIR" true
	assert_usage "line 2"
	pd ps -a -q
	assert_out "" "a refused run leaves no container"
}

run_tests "$@"
