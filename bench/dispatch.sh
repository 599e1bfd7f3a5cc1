#!/usr/bin/env bash
# Dispatch benchmark (issue 5): a 1,000,000-recipient SMS campaign to a
# loopback HTTP gateway and a 1,000,000-recipient email campaign to a
# loopback SMTP sink, each with a 10% holdout; prints the time to build the
# audience with every exclusion and the messages sent per second (targets:
# 5,000/s SMS, 2,000/s email). On SQLite and, with PG_URL, on PostgreSQL.
#
#   bench/dispatch.sh
#   N=100000 bench/dispatch.sh              # quick run
#   PG_URL=postgres://postgres@127.0.0.1:5432/test?sslmode=disable bench/dispatch.sh
#
# The provider runs in the same process as the dispatcher, so both share the
# machine's cores. The table is saved as bench/out/dispatch-N.txt.
set -euo pipefail

cd "$(dirname "$0")/.."
N=${N:-1000000}
OUT=bench/out
mkdir -p "$OUT"
REPORT=$OUT/dispatch-$N.txt
. bench/lib.sh
go build -o "$OUT/dispatch" ./bench/dispatch

ENGINES=sqlite
[ -n "${PG_URL:-}" ] && ENGINES="sqlite postgres"
{
	echo "# dispatch benchmark, $N customers, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) CPUs, $(go version | cut -d' ' -f3)"
	for engine in $ENGINES; do
		for ch in sms email; do
			args=(-n "$N" -channel "$ch")
			if [ "$engine" = postgres ]; then
				# A fresh schema per run, dropped after.
				schema=bench_dispatch_$$
				psql "$PG_URL" -qc "DROP SCHEMA IF EXISTS $schema CASCADE; CREATE SCHEMA $schema" >/dev/null
				sep='?'
				case $PG_URL in *\?*) sep='&' ;; esac
				args+=(-db "$PG_URL${sep}search_path=$schema")
			fi
			measure "dispatch-$engine-$ch" "$OUT/dispatch" "${args[@]}" || true
			cat "$OUT/dispatch-$engine-$ch.log"
			echo "(whole process: ${SECS} s, peak RSS $((RSS_KIB / 1024)) MiB)"
			[ "$engine" = postgres ] && psql "$PG_URL" -qc "DROP SCHEMA $schema CASCADE" >/dev/null
			echo
		done
	done
} | tee "$REPORT"
