# Shared helpers of the bench scripts; source after `cd` to the repository.
# Needs OUT (the output folder).

say() { printf '%s\n' "$*" >&2; }
die() { say "$(basename "$0"): $*"; exit 1; }

# GNU time gives wall seconds and peak RSS; the shell's `time` gives no RSS.
if ! /usr/bin/time -f '%e %M' -o /dev/null true 2>/dev/null; then
	say "installing GNU time (Debian package time)"
	[ "$(id -u)" = 0 ] || die "GNU time is missing: apt-get install time"
	apt-get update -qq && apt-get install -y -qq time >/dev/null
fi

# measure NAME CMD...: runs CMD under GNU time, its output in $OUT/NAME.log;
# sets SECS and RSS_KIB. Returns CMD's status.
measure() {
	local name=$1
	shift
	say "running $name: $*"
	local rc=0
	/usr/bin/time -f '%e %M' -o "$OUT/$name.time" "$@" >"$OUT/$name.log" 2>&1 || rc=$?
	SECS=0 RSS_KIB=0
	if ! read -r SECS RSS_KIB < <(tail -n 1 "$OUT/$name.time" 2>/dev/null) || [ -z "$RSS_KIB" ]; then
		say "$name: GNU time wrote nothing (was it killed by a signal?)"
		SECS=0 RSS_KIB=0
		[ "$rc" != 0 ] || rc=1
	fi
	if [ "$rc" != 0 ]; then
		say "$name failed (exit $rc); last lines of $OUT/$name.log:"
		tail -n 20 "$OUT/$name.log" >&2
	fi
	return "$rc"
}

# build_guanxi sets GX to the guanxi binary to measure: $GUANXI when set,
# else ./cmd/guanxi built now into $OUT; and COMMIT to what it was built from.
build_guanxi() {
	if [ -n "${GUANXI:-}" ]; then
		[ -x "$GUANXI" ] || die "GUANXI=$GUANXI is not an executable"
		GX=$GUANXI
	else
		go build -o "$OUT/guanxi" ./cmd/guanxi || die "'go build ./cmd/guanxi' failed"
		GX=$OUT/guanxi
	fi
	# The commit measured: the tree as it was built (others may commit meanwhile).
	COMMIT=$(git log --oneline -1 2>/dev/null || echo "?")
	! git status --porcelain -- cmd internal go.mod go.sum 2>/dev/null | grep -qv '^??' || COMMIT="$COMMIT (+ uncommitted changes in cmd/, internal/)"
	[ -z "${GUANXI:-}" ] || COMMIT="$GUANXI (prebuilt; tree at $COMMIT)"
}
