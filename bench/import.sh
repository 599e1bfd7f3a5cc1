#!/usr/bin/env bash
# Import benchmark: Guanxi's `import` against each engine's own bulk loader,
# on the same generated generic-format orders file, in the same run.
#
#   bench/import.sh                  # 2,500,000 orders, 1,000,000 customers
#   ORDERS=200000 bench/import.sh    # quick run (customers scale: 2.5 orders each)
#
# Environment: ORDERS (default 2500000), CUSTOMERS (default ORDERS*2/5),
# SEED (1), PGHOST (127.0.0.1), PGPORT (5432), PGUSER (postgres), and
# GUANXI: a guanxi binary to measure instead of building ./cmd/guanxi.
# Everything it writes goes to bench/out/ (gitignored); the table is also
# saved as bench/out/import-ORDERS.txt. See bench/README.md.
set -euo pipefail

cd "$(dirname "$0")/.."
ORDERS=${ORDERS:-2500000}
CUSTOMERS=${CUSTOMERS:-$((ORDERS * 2 / 5))}
SEED=${SEED:-1}
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
OUT=bench/out
mkdir -p "$OUT"
CSV=$PWD/$OUT/orders-$ORDERS.csv
REPORT=$OUT/import-$ORDERS.txt
STARTED=$(date -u +%Y-%m-%dT%H:%M:%SZ)

. bench/lib.sh

for tool in sqlite3 psql go; do
	command -v "$tool" >/dev/null || die "$tool is not installed"
done
psql -d postgres -qAtc 'SELECT 1' >/dev/null || die "cannot reach PostgreSQL at $PGHOST:$PGPORT as $PGUSER"


# json_int KEY FILE: the integer value of "KEY" in the last JSON line of FILE.
json_int() {
	grep '^{' "$2" | tail -n 1 | grep -o "\"$1\": *[0-9]*" | grep -o '[0-9]*$' || echo "?"
}

pg_fresh() { # drop and create a scratch database
	PGOPTIONS='-c client_min_messages=warning' psql -d postgres -v ON_ERROR_STOP=1 -qc "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1" >/dev/null
}

ROWS_TABLE=() # engine|loader|rows|seconds|rss_kib
record() { ROWS_TABLE+=("$1|$2|$3|$SECS|$RSS_KIB"); }

# --- the file -----------------------------------------------------------
go build -o "$OUT/gen" ./bench/gen
say "generating $ORDERS orders for $CUSTOMERS customers (seed $SEED) into $CSV"
t0=$(date +%s.%N)
"$OUT/gen" -orders "$ORDERS" -customers "$CUSTOMERS" -seed "$SEED" -out "$CSV"
say "$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "generated in %.1fs", b-a}'), $(du -m "$CSV" | cut -f1) MiB"
HEADER=$(head -n 1 "$CSV")

# --- bulk loaders ---------------------------------------------------------
BULK_DB=$OUT/bulk.db
rm -f "$BULK_DB" "$BULK_DB-journal" "$BULK_DB-wal" "$BULK_DB-shm"
# Without an existing table, .import creates it from the header (TEXT columns, no index).
measure sqlite3-import sqlite3 "$BULK_DB" ".mode csv" ".import $CSV orders"
record sqlite3 "sqlite3 .import" "$(sqlite3 "$BULK_DB" 'SELECT count(*) FROM orders')"

pg_fresh bench_copy
COLS=$(tr ',' '\n' <<<"$HEADER" | sed 's/.*/"&" text/' | paste -sd, -)
psql -d bench_copy -v ON_ERROR_STOP=1 -qc "CREATE TABLE orders ($COLS)"
measure psql-copy psql -d bench_copy -v ON_ERROR_STOP=1 -c "\\copy orders FROM '$CSV' CSV HEADER"
record postgresql "psql \\copy" "$(psql -d bench_copy -qAtc 'SELECT count(*) FROM orders')"

# --- guanxi ---------------------------------------------------------------
GUANXI_OK=1
GUANXI_NOTE=""
if [ -n "${GUANXI:-}" ]; then
	[ -x "$GUANXI" ] || die "GUANXI=$GUANXI is not an executable"
	GX=$GUANXI
elif go build -o "$OUT/guanxi" ./cmd/guanxi 2>"$OUT/guanxi-build.log"; then
	GX=$OUT/guanxi
else
	GUANXI_OK=0
	GUANXI_NOTE="guanxi half NOT RUN: 'go build ./cmd/guanxi' failed (see $OUT/guanxi-build.log):
$(head -n 5 "$OUT/guanxi-build.log")"
	say "guanxi half not run: 'go build ./cmd/guanxi' failed"
fi

IDEMPOTENT="not run"
if [ "$GUANXI_OK" = 1 ]; then
	GDB=$OUT/guanxi.db
	rm -f "$GDB" "$GDB-wal" "$GDB-shm" "$GDB-journal"
	if measure guanxi-sqlite "$GX" import --db "sqlite:$GDB" --shop bench --format generic --json "$CSV"; then
		record sqlite3 "guanxi import" "$(json_int rows "$OUT/guanxi-sqlite.log")"
	else
		GUANXI_OK=0
		GUANXI_NOTE="guanxi import into SQLite failed: see $OUT/guanxi-sqlite.log"
	fi

	pg_fresh bench_guanxi
	PGDSN="postgres://$PGUSER@$PGHOST:$PGPORT/bench_guanxi?sslmode=disable"
	if measure guanxi-postgres "$GX" import --db "$PGDSN" --shop bench --format generic --json "$CSV"; then
		record postgresql "guanxi import" "$(json_int rows "$OUT/guanxi-postgres.log")"
	else
		GUANXI_OK=0
		GUANXI_NOTE="${GUANXI_NOTE:+$GUANXI_NOTE; }guanxi import into PostgreSQL failed: see $OUT/guanxi-postgres.log"
	fi

	if [ -f "$GDB" ] && measure guanxi-sqlite-again "$GX" import --db "sqlite:$GDB" --shop bench --format generic --json "$CSV"; then
		record sqlite3 "guanxi re-import" "$(json_int rows "$OUT/guanxi-sqlite-again.log")"
		created=$(json_int orders_created "$OUT/guanxi-sqlite-again.log")
		updated=$(json_int orders_updated "$OUT/guanxi-sqlite-again.log")
		if [ "$created" = 0 ] && [ "$updated" = 0 ]; then
			IDEMPOTENT="yes (re-import: 0 created, 0 updated)"
		else
			IDEMPOTENT="NO (re-import: $created created, $updated updated)"
			GUANXI_OK=0
		fi
	elif [ -f "$GDB" ]; then
		GUANXI_OK=0
		IDEMPOTENT="unknown: the re-import failed (see $OUT/guanxi-sqlite-again.log)"
	fi
fi

# --- report ---------------------------------------------------------------
{
	echo "Import benchmark, started $STARTED"
	echo "file: $ORDERS orders, $CUSTOMERS customers, seed $SEED, $(du -m "$CSV" | cut -f1) MiB"
	echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(free -g | awk '/^Mem:/{print $2}') GiB"
	echo "$(go version | cut -d' ' -f3-), sqlite3 $(sqlite3 --version | cut -d' ' -f1), PostgreSQL $(psql -d postgres -qAtc 'SHOW server_version')"
	echo
	printf '%s\n' "${ROWS_TABLE[@]}" | awk -F'|' '
		BEGIN { printf "%-11s %-17s %10s %9s %10s %9s\n", "engine", "loader", "rows", "seconds", "orders/s", "RSS MiB" }
		{ rate = ($4 > 0 && $3 ~ /^[0-9]+$/) ? $3 / $4 : 0
		  printf "%-11s %-17s %10s %9.2f %10.0f %9.1f\n", $1, $2, $3, $4, rate, $5 / 1024 }'
	echo
	echo "guanxi / bulk loader (target: rate ratio >= 0.50 and peak RSS < 1024 MiB):"
	printf '%s\n' "${ROWS_TABLE[@]}" | awk -F'|' '
		$3 ~ /^[0-9]+$/ && $4 > 0 { rate[$1 "|" $2] = $3 / $4; rss[$1 "|" $2] = $5 / 1024 }
		END {
			n = split("sqlite3|sqlite3 .import|guanxi import;postgresql|psql \\copy|guanxi import", pairs, ";")
			for (i = 1; i <= n; i++) {
				split(pairs[i], p, "|"); b = p[1] "|" p[2]; g = p[1] "|" p[3]
				if (!(g in rate) || !(b in rate)) { printf "  %-11s not measured\n", p[1]; continue }
				r = rate[g] / rate[b]
				printf "  %-11s %.2f  RSS %.0f MiB  %s\n", p[1], r, rss[g], (r >= 0.5 && rss[g] < 1024) ? "meets target" : "MISSES target"
			}
		}'
	echo "idempotent: $IDEMPOTENT"
	echo "peak RSS is the loader process only (for PostgreSQL the server backends are not counted)."
	[ -z "$GUANXI_NOTE" ] || echo "$GUANXI_NOTE"
} | tee "$REPORT"

[ "$GUANXI_OK" = 1 ] || exit 1
