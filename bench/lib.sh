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
