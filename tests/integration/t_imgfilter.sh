#!/bin/bash
# `images` filters (#18): -a and the intermediate images `build` leaves as
# its cache (hidden by default, shown with -a), dangling images, --filter
# dangling/label/reference/before/since, the REPOSITORY[:TAG] argument,
# --no-trunc and --digests, and bad filters (exit 125).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# bb:1 (imported busybox), then app:1 built on it (a RUN step: an unnamed
# cache image with a layer; a LABEL step: app:1, the same layers), then an
# unnamed build on bb:1 (dangling).  Sets BB_ID, APP_ID, STEP_ID, DANG_ID
# (short ids).
make_images() {
	need_root
	need_busybox
	pd import --name bb:1 "$BUSYBOX_TGZ"
	assert_ok
	mkdir -p app dang
	printf 'FROM bb:1\nRUN touch /x\nLABEL team=core tier=1\n' >app/Dockerfile
	pd build -t app:1 app
	assert_ok
	printf 'FROM bb:1\nRUN touch /y\n' >dang/Dockerfile
	pd build dang
	assert_ok
	pd images -a -q
	assert_ok
	assert_eq 4 "$(printf '%s\n' "$OUT" | grep -c .)" "four images in all"
	pd images --format '{{.ID}}' bb:1
	BB_ID=$OUT
	pd images --format '{{.ID}}' app:1
	APP_ID=$OUT
	pd images -a --filter dangling=true -q
	local all_unnamed=$OUT
	pd images --filter dangling=true -q
	DANG_ID=$OUT
	STEP_ID=$(printf '%s\n' "$all_unnamed" | grep -vx "$DANG_ID")
	assert_match "$BB_ID" '^[0-9a-f]{12}$' "bb:1's id"
	assert_match "$APP_ID" '^[0-9a-f]{12}$' "app:1's id"
	assert_match "$DANG_ID" '^[0-9a-f]{12}$' "one dangling image"
	assert_match "$STEP_ID" '^[0-9a-f]{12}$' "one intermediate image"
}

# The ids `images $@ -q` prints, sorted, on one line.
ids() {
	pd images -q "$@"
	assert_ok
	OUT=$(printf '%s\n' "$OUT" | sort | tr '\n' ' ' | sed 's/ $//')
}

sorted() {
	printf '%s\n' "$@" | sort | tr '\n' ' ' | sed 's/ $//'
}

test_intermediate_hidden_unless_all() {
	make_images
	ids
	assert_out "$(sorted "$BB_ID" "$APP_ID" "$DANG_ID")" "the build's cache step is hidden"
	ids -a
	assert_out "$(sorted "$BB_ID" "$APP_ID" "$DANG_ID" "$STEP_ID")" "-a shows it"
	ids --all
	assert_out "$(sorted "$BB_ID" "$APP_ID" "$DANG_ID" "$STEP_ID")" "--all shows it"
	pd images
	assert_ok
	assert_match "$OUT" "^<none> +<none> +$DANG_ID " "the dangling image is a <none> row"
	pd image inspect --format '{{.Id}}' "$STEP_ID"
	assert_ok "the hidden step image is still there"
	# Once app:1 is gone, nothing holds the step's layers above it: the
	# step image is dangling, and shown.
	pd rmi app:1
	assert_ok
	ids
	assert_contains "$OUT" "$STEP_ID" "an unnamed image nothing builds on is shown"
}

test_config_only_build_is_dangling() {
	make_images
	mkdir cfg
	printf 'FROM bb:1\nCMD ["/bin/true"]\n' >cfg/Dockerfile
	pd build cfg
	assert_ok
	local id=${OUT##*sha256:}
	id=${id:0:12}
	assert_match "$id" '^[0-9a-f]{12}$' "the build's id"
	ids --filter dangling=true
	assert_out "$(sorted "$DANG_ID" "$id")" "an unnamed build with only its base's layers is dangling, not hidden"
}

test_dangling() {
	make_images
	ids --filter dangling=true
	assert_out "$DANG_ID" "dangling=true: the unnamed image"
	ids -a --filter dangling=true
	assert_out "$(sorted "$DANG_ID" "$STEP_ID")" "dangling=true -a: every unnamed image"
	ids -f dangling=false
	assert_out "$(sorted "$BB_ID" "$APP_ID")" "dangling=false: named images"
}

test_label() {
	make_images
	ids --filter label=team
	assert_out "$APP_ID" "label=KEY"
	ids --filter label=team=core
	assert_out "$APP_ID" "label=KEY=VALUE"
	ids --filter label=team=core --filter label=tier=1
	assert_out "$APP_ID" "two labels, both present"
	ids --filter label=team=edge
	assert_out "" "a label value that differs"
	ids --filter label=team --filter label=missing
	assert_out "" "every label must match"
}

test_reference_and_argument() {
	make_images
	pd import --name team/app:1 "$BUSYBOX_TGZ"
	assert_ok
	ids --filter 'reference=bb*'
	assert_out "$BB_ID" "reference=bb*"
	ids --filter 'reference=*/app:1'
	assert_out "$BB_ID" "*/app:1 matches team/app:1 (the busybox import)"
	pd images --format '{{.Repository}}:{{.Tag}}' --filter 'reference=*:1'
	assert_ok
	assert_eq "app:1 bb:1" "$(sorted $OUT)" "* does not cross a /: only the names that match are listed"
	ids --filter reference=bb --filter reference=app
	assert_out "$(sorted "$BB_ID" "$APP_ID")" "reference patterns are alternatives"
	ids --filter reference=nothing
	assert_out "" "no image has that name"
	ids app
	assert_out "$APP_ID" "images REPOSITORY"
	ids app:1
	assert_out "$APP_ID" "images REPOSITORY:TAG"
	ids app:2
	assert_out "" "images REPOSITORY:TAG with another tag"
	# Only the matching name of an image with two names is listed.
	pd images bb
	assert_ok
	assert_match "$OUT" "^bb +1 +$BB_ID " "bb's row"
	assert_not_contains "$OUT" "team/app" "the other name of the same image is not listed"
	pd images a b
	assert_exit 125 "two arguments"
}

test_before_since() {
	make_images
	ids --filter before=app:1
	assert_out "$BB_ID" "before=NAME"
	ids -a --filter before=app:1
	assert_out "$(sorted "$BB_ID" "$STEP_ID")" "before=NAME -a: the step too"
	ids --filter since=bb:1
	assert_out "$(sorted "$APP_ID" "$DANG_ID")" "since=NAME"
	ids --filter since="$BB_ID" --filter before="$DANG_ID"
	assert_out "$APP_ID" "by id, both bounds"
	ids --filter since=app:1
	assert_out "$DANG_ID" "since the newest named image"
	pd images --filter before=nothing:9
	assert_exit 125 "before an image that does not exist"
	assert_contains "$ERR" "nothing:9" "the error names it"
}

test_no_trunc_and_digests() {
	make_images
	pd images -q --no-trunc bb:1
	assert_ok
	assert_match "$OUT" "^sha256:$BB_ID[0-9a-f]{52}\$" "-q --no-trunc: the full id"
	local full=$OUT
	pd images --no-trunc bb:1
	assert_ok
	assert_contains "$OUT" "$full" "--no-trunc in the table"
	pd images bb:1
	assert_not_contains "$OUT" "$full" "ids are short by default"
	pd images --digests bb:1
	assert_ok
	assert_match "$OUT" "^REPOSITORY +TAG +DIGEST +IMAGE ID +CREATED +SIZE\$" "the DIGEST column"
	assert_match "$OUT" "^bb +1 +<none> +$BB_ID " "an imported image has no digest"
	pd images bb:1
	assert_not_contains "$OUT" DIGEST "no DIGEST column by default"
}

test_bad_filters() {
	need_root
	pd images --filter colour=red
	assert_exit 125 "an unknown filter key"
	assert_contains "$ERR" "colour" "the error names the key"
	assert_eq 1 "$(printf '%s\n' "$ERR" | grep -c .)" "a one-line error"
	pd images --filter dangling=maybe
	assert_exit 125 "a bad dangling value"
	pd images --filter label
	assert_exit 125 "a filter without ="
	pd images --filter reference=
	assert_exit 125 "an empty value"
}

run_tests "$@"
