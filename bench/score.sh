#!/usr/bin/env bash
# Score benchmark: `guanxi score` (RFM, lifecycle, tiers, clusters, BG/NBD and
# Gamma-Gamma fits, churn, cohorts, product affinity, next products) over a
# database of ORDERS generated orders with product lines, against the target
# of the issue: under 10 seconds and under 2 GiB of peak memory for 1,000,000
# customers.
#
#   bench/score.sh                  # 3,000,000 orders, 1,000,000 customers
#   ORDERS=300000 bench/score.sh    # quick run (customers scale: 3 orders each)
#   PG_URL=postgres://postgres@127.0.0.1:5432/test?sslmode=disable bench/score.sh
#
# Environment: ORDERS (default 3000000), CUSTOMERS (default ORDERS/3), SEED (1),
# RUNS (3: score runs per database, the median is reported), AS_OF
# (2026-01-01: the day after the generator's last order), GUANXI: a guanxi
# binary to measure instead of building ./cmd/guanxi, and PG_URL: a
# PostgreSQL server to run the same on too (in a scratch database
# guanxi_score_ORDERS on that server, made with psql). The file and the
# imported databases are kept in bench/out/ (gitignored) and reused by later
# runs, so only the first run pays for the import; the table is saved as
# bench/out/score-ORDERS.txt. See bench/README.md.
set -euo pipefail

cd "$(dirname "$0")/.."
ORDERS=${ORDERS:-3000000}
CUSTOMERS=${CUSTOMERS:-$((ORDERS / 3))}
SEED=${SEED:-1}
RUNS=${RUNS:-3}
AS_OF=${AS_OF:-2026-01-01}
OUT=bench/out
mkdir -p "$OUT"
NAME=$ORDERS
[ "$SEED" = 1 ] && [ "$CUSTOMERS" = $((ORDERS / 3)) ] || NAME=$ORDERS-$CUSTOMERS-$SEED
CSV=$OUT/score-orders-$NAME.csv
DB=$OUT/score-$NAME.db
REPORT=$OUT/score-$NAME.txt
STARTED=$(date -u +%Y-%m-%dT%H:%M:%SZ)

. bench/lib.sh

command -v go >/dev/null || die "go is not installed"
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || die "RUNS=$RUNS is not a positive number"

# json_val KEY FILE: the value of "KEY" (a number or a string) in the last
# JSON line of FILE, or "?".
json_val() {
	local v
	v=$(grep '^{' "$2" | tail -n 1 | grep -o "\"$1\": *\(\"[^\"]*\"\|[-0-9.e+]*\)" | head -n 1 | sed 's/^[^:]*: *//; s/"//g') || true
	echo "${v:-?}"
}

# --- the file -----------------------------------------------------------
if [ ! -s "$CSV" ]; then
	go build -o "$OUT/gen" ./bench/gen
	say "generating $ORDERS orders with product lines for $CUSTOMERS customers (seed $SEED) into $CSV"
	t0=$(date +%s.%N)
	"$OUT/gen" -lines -orders "$ORDERS" -customers "$CUSTOMERS" -seed "$SEED" -out "$CSV.tmp"
	mv "$CSV.tmp" "$CSV"
	say "$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "generated in %.1fs", b-a}'), $(du -m "$CSV" | cut -f1) MiB"
fi
LAST=$(tail -n 1 "$CSV" | cut -d, -f2 | cut -c1-10)
[[ "$LAST" < "$AS_OF" ]] || say "note: the file's last order ($LAST) is not before AS_OF=$AS_OF; later orders are ignored"
# What identifies the file: a database imported from it is reused while it is
# the same (a regenerated file has another modification time).
FILE_ID="$(basename "$CSV") $(stat -c '%s %Y' "$CSV")"

build_guanxi

# import_once ENGINE DSN MARKER RESET: imports the file into DSN unless MARKER
# says DSN already holds it; RESET empties DSN first. Sets IMPORT_NOTE.
import_once() {
	local engine=$1 dsn=$2 marker=$3 reset=$4
	if [ -f "$marker" ] && [ "$(head -n 1 "$marker")" = "$FILE_ID" ]; then
		IMPORT_NOTE="reused ($(sed -n 2p "$marker"))"
		say "$engine: database $IMPORT_NOTE"
		return 0
	fi
	rm -f "$marker"
	$reset
	if ! measure "score-import-$engine" "$GX" import --db "$dsn" --shop bench --format generic --json "$CSV"; then
		die "the import into $engine failed: see $OUT/score-import-$engine.log"
	fi
	IMPORT_NOTE=$(awk -v s="$SECS" -v m="$RSS_KIB" -v r="$(json_val rows "$OUT/score-import-$engine.log")" -v d="$(date -u +%Y-%m-%d)" \
		'BEGIN { printf "imported %s rows in %.1f s, peak RSS %.0f MiB, on %s", r, s, m / 1024, d }')
	say "$engine: $IMPORT_NOTE"
	printf '%s\n%s\n' "$FILE_ID" "$IMPORT_NOTE" >"$marker"
	IMPORT_NOTE="$IMPORT_NOTE (this run)"
}

sqlite_reset() { rm -f "$DB" "$DB-wal" "$DB-shm" "$DB-journal"; }

ROWS_TABLE=() # engine|run|seconds|rss_kib|score's own seconds
DETAILS=()    # engine|import note|score summary
OK=1

# score_runs ENGINE DSN: RUNS measured score runs.
score_runs() {
	local engine=$1 dsn=$2 i log
	for ((i = 1; i <= RUNS; i++)); do
		if measure "score-$engine-$i" "$GX" score --db "$dsn" --shop bench --as-of "$AS_OF" --json; then
			log=$OUT/score-$engine-$i.log
			ROWS_TABLE+=("$engine|$i|$SECS|$RSS_KIB|$(json_val seconds "$log")")
			say "$engine run $i: $SECS s, peak RSS $((RSS_KIB / 1024)) MiB"
		else
			OK=0
			return
		fi
	done
	log=$OUT/score-$engine-$RUNS.log
	DETAILS+=("$engine|$IMPORT_NOTE|$(json_val customers "$log") customers, model $(json_val model "$log"), $(json_val clusters "$log") clusters, $(json_val cohorts "$log") cohorts, $(json_val baskets "$log") baskets, $(json_val product_rules "$log") product rules")
}

# --- SQLite ---------------------------------------------------------------
import_once sqlite "sqlite:$DB" "$DB.imported" sqlite_reset
build_guanxi # again: measure the tree as it is now, after a long import
score_runs sqlite "sqlite:$DB"

# --- PostgreSQL (when PG_URL is set) --------------------------------------
PG_VERSION=""
if [ -n "${PG_URL:-}" ]; then
	command -v psql >/dev/null || die "PG_URL is set but psql is not installed"
	# The scratch database: PG_URL with its database name replaced.
	PG_BASE=${PG_URL%%\?*}
	PG_QUERY=""
	[ "$PG_BASE" = "$PG_URL" ] || PG_QUERY="?${PG_URL#*\?}"
	PG_DB=guanxi_score_${NAME//-/_}
	PG_DSN="${PG_BASE%/*}/$PG_DB$PG_QUERY"
	PG_ADMIN="${PG_BASE%/*}/postgres$PG_QUERY"
	PG_VERSION=$(psql "$PG_ADMIN" -qAtc 'SHOW server_version') || die "cannot reach PostgreSQL at $PG_ADMIN"
	pg_reset() {
		PGOPTIONS='-c client_min_messages=warning' psql "$PG_ADMIN" -v ON_ERROR_STOP=1 -qc "DROP DATABASE IF EXISTS $PG_DB" -c "CREATE DATABASE $PG_DB" >/dev/null
	}
	PG_MARKER=$OUT/score-$NAME.pg.imported
	# The marker is only good while the database is still there.
	[ "$(psql "$PG_ADMIN" -qAtc "SELECT count(*) FROM pg_database WHERE datname = '$PG_DB'")" = 1 ] || rm -f "$PG_MARKER"
	import_once postgres "$PG_DSN" "$PG_MARKER" pg_reset
	build_guanxi
	score_runs postgres "$PG_DSN"
fi

# --- report ---------------------------------------------------------------
{
	echo "Score benchmark, started $STARTED"
	echo "measured: $COMMIT"
	echo "file: $CSV, $ORDERS orders ($(($(wc -l <"$CSV") - 1)) line rows), $CUSTOMERS customers, seed $SEED, $(du -m "$CSV" | cut -f1) MiB; as of $AS_OF"
	echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(free -g | awk '/^Mem:/{print $2}') GiB, load $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "$(go version | cut -d' ' -f3-)${PG_VERSION:+, PostgreSQL $PG_VERSION}"
	for d in "${DETAILS[@]}"; do
		IFS='|' read -r engine note summary <<<"$d"
		echo "$engine: $summary"
		echo "  database: $note"
	done
	echo
	printf '%s\n' "${ROWS_TABLE[@]}" | awk -F'|' '
		BEGIN { printf "%-9s %-7s %9s %9s %14s\n", "engine", "run", "seconds", "RSS MiB", "score says s" }
		{ printf "%-9s %-7s %9.2f %9.1f %14s\n", $1, $2, $3, $4 / 1024, ($5 ~ /^[0-9.]+$/) ? sprintf("%.2f", $5) : $5
		  n[$1]++; s[$1, n[$1]] = $3; if ($4 > m[$1]) m[$1] = $4; if (!($1 in order)) { order[$1] = ++k; name[k] = $1 } }
		END {
			for (e = 1; e <= k; e++) {
				x = name[e]; c = n[x]
				for (i = 1; i <= c; i++) for (j = i + 1; j <= c; j++) if (s[x, j] < s[x, i]) { t = s[x, i]; s[x, i] = s[x, j]; s[x, j] = t }
				med = (c % 2) ? s[x, (c + 1) / 2] : (s[x, c / 2] + s[x, c / 2 + 1]) / 2
				printf "%-9s %-7s %9.2f %9.1f %14s\n", x, "median", med, m[x] / 1024, "(RSS: max)"
				verdict[e] = sprintf("  %-9s median %.2f s, peak RSS %.0f MiB: %s", x, med, m[x] / 1024,
					(med < 10 && m[x] < 2 * 1024 * 1024) ? "meets target" : "MISSES target")
			}
			print ""
			print "target: score under 10 s and peak RSS under 2048 MiB:"
			for (e = 1; e <= k; e++) print verdict[e]
		}'
	echo "seconds and RSS are the whole guanxi process (opening the database included); \"score says\" is the run's own"
	echo "measure; for PostgreSQL the server's backends are not counted in RSS."
	[ "$OK" = 1 ] || echo "A SCORE RUN FAILED: see $OUT/score-*.log"
} | tee "$REPORT"

[ "$OK" = 1 ] || exit 1
