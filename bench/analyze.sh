#!/usr/bin/env bash
# Analysis benchmark: `guanxi analyze rfm` against the same RFM contract
# written in SQL for DuckDB (bench/analyze/rfm.mjs), on the same generated
# generic-format orders file, then a row-by-row comparison of the two outputs.
#
#   bench/analyze.sh                  # 3,000,000 orders, 1,000,000 customers
#   ORDERS=300000 bench/analyze.sh    # quick run (customers scale: 3 orders each)
#
# Environment: ORDERS (default 3000000), CUSTOMERS (default ORDERS/3), SEED (1),
# AS_OF (2026-01-01: the day after the generator's last order), TIMEZONE
# (Asia/Shanghai), and GUANXI: a guanxi binary to measure instead of building
# ./cmd/guanxi. Needs Go, Node 20+ and npm (the script runs `npm install` in
# bench/analyze when node_modules is missing). Everything it writes goes to
# bench/out/ (gitignored); the table is also saved as
# bench/out/analyze-ORDERS.txt. See bench/README.md.
set -euo pipefail

cd "$(dirname "$0")/.."
ORDERS=${ORDERS:-3000000}
CUSTOMERS=${CUSTOMERS:-$((ORDERS / 3))}
SEED=${SEED:-1}
AS_OF=${AS_OF:-2026-01-01}
TIMEZONE=${TIMEZONE:-Asia/Shanghai}
OUT=bench/out
mkdir -p "$OUT"
CSV=$OUT/rfm-orders-$ORDERS.csv
[ "$SEED" = 1 ] && [ "$CUSTOMERS" = $((ORDERS / 3)) ] || CSV=$OUT/rfm-orders-$ORDERS-$CUSTOMERS-$SEED.csv
GX_OUT=$OUT/rfm-guanxi.csv
DK_OUT=$OUT/rfm-duckdb.csv
REPORT=$OUT/analyze-$ORDERS.txt
STARTED=$(date -u +%Y-%m-%dT%H:%M:%SZ)

. bench/lib.sh

for tool in go node npm; do
	command -v "$tool" >/dev/null || die "$tool is not installed"
done
if [ ! -d bench/analyze/node_modules/@duckdb/node-api ]; then
	say "installing @duckdb/node-api in bench/analyze"
	(cd bench/analyze && npm install --no-audit --no-fund >&2)
fi


# --- the file -----------------------------------------------------------
if [ ! -s "$CSV" ]; then
	say "generating $ORDERS orders for $CUSTOMERS customers (seed $SEED) into $CSV"
	go run ./bench/gen -orders "$ORDERS" -customers "$CUSTOMERS" -seed "$SEED" -out "$CSV"
fi
LAST=$(tail -n 1 "$CSV" | cut -d, -f2 | cut -c1-10)
[[ "$LAST" < "$AS_OF" ]] || say "note: the file's last order ($LAST) is not before AS_OF=$AS_OF; later orders are ignored"

# --- the two runs -------------------------------------------------------
build_guanxi
go build -o "$OUT/rfm-compare" ./bench/analyze/compare

ROWS_TABLE=() # tool|seconds|rss_kib
OK=1
rm -f "$GX_OUT" "$DK_OUT"
if measure rfm-guanxi "$GX" analyze rfm --orders "$CSV" --as-of "$AS_OF" --timezone "$TIMEZONE" --out "$GX_OUT"; then
	ROWS_TABLE+=("guanxi|$SECS|$RSS_KIB")
else
	OK=0
fi
if measure rfm-duckdb node bench/analyze/rfm.mjs "$CSV" "$AS_OF" "$DK_OUT" "$TIMEZONE"; then
	ROWS_TABLE+=("duckdb|$SECS|$RSS_KIB")
else
	OK=0
fi
DUCKDB_VERSION=$(grep -o 'DuckDB v[0-9.]*' "$OUT/rfm-duckdb.log" | head -n 1 || true)

SAME="not compared"
if [ "$OK" = 1 ]; then
	if "$OUT/rfm-compare" "$GX_OUT" "$DK_OUT" >"$OUT/rfm-compare.log" 2>&1; then
		SAME="yes"
	else
		SAME="NO"
		OK=0
	fi
fi

# --- report ---------------------------------------------------------------
{
	echo "RFM analysis benchmark, started $STARTED"
	echo "file: $CSV, $ORDERS orders, $CUSTOMERS customers, seed $SEED, $(du -m "$CSV" | cut -f1) MiB; as of $AS_OF, $TIMEZONE"
	echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(free -g | awk '/^Mem:/{print $2}') GiB"
	echo "$(go version | cut -d' ' -f3-), node $(node --version), ${DUCKDB_VERSION:-DuckDB ?} (@duckdb/node-api $(node -p 'require("./bench/analyze/node_modules/@duckdb/node-api/package.json").version'))"
	echo
	printf '%s\n' "${ROWS_TABLE[@]}" | awk -F'|' '
		BEGIN { printf "%-8s %9s %9s\n", "tool", "seconds", "RSS MiB" }
		{ printf "%-8s %9.2f %9.1f\n", $1, $2, $3 / 1024 }'
	echo
	printf '%s\n' "${ROWS_TABLE[@]}" | awk -F'|' -v same="$SAME" '
		{ s[$1] = $2; m[$1] = $3 }
		END {
			if (!("guanxi" in s) || !("duckdb" in s) || s["duckdb"] <= 0) { print "guanxi / duckdb: not measured"; exit }
			r = s["guanxi"] / s["duckdb"]
			printf "guanxi / duckdb: time %.2f, peak RSS %.2f  (target: time ratio < 1.00 and identical R/F/M): %s\n",
				r, m["guanxi"] / m["duckdb"], (r < 1 && same == "yes") ? "meets target" : "MISSES target"
		}'
	echo "identical recency_days, frequency, monetary, r, f, m: $SAME"
	[ ! -s "$OUT/rfm-compare.log" ] || sed 's/^/  /' "$OUT/rfm-compare.log"
} | tee "$REPORT"

[ "$OK" = 1 ] || exit 1
