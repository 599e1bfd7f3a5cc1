#!/usr/bin/env bash
# Workspace benchmark (issue 4): with 1,000,000 customers and 3,000,000
# orders, the customer search page and the customer page (p50/p99 at the
# client, and the server's own time), and API GET /customers/{id} throughput
# with 50 concurrent clients; target p99 under 50 ms and at least 3,000
# requests/s. On SQLite and, with PG_URL, on PostgreSQL.
#
#   bench/workspace.sh                 # 3,000,000 orders, 1,000,000 customers
#   ORDERS=300000 bench/workspace.sh   # quick run
#   PG_URL=postgres://postgres@127.0.0.1:5432/test?sslmode=disable bench/workspace.sh
#
# The databases are the score benchmark's (bench/score.sh, run here with
# RUNS=1 when they are missing: imported and scored, so pages show scores).
# Environment: ORDERS, CUSTOMERS, SEED (as score.sh), CLIENTS (50), TEAM (8), DURATION
# (20 s per measure), ENGINES ("sqlite postgres"), PORT (18080). The
# table is saved as bench/out/workspace-ORDERS.txt.
set -euo pipefail

cd "$(dirname "$0")/.."
ORDERS=${ORDERS:-3000000}
CUSTOMERS=${CUSTOMERS:-$((ORDERS / 3))}
SEED=${SEED:-1}
CLIENTS=${CLIENTS:-50}
# The pages at a team's pace (TEAM clients) and under the API's load, and
# the API under CLIENTS.
TEAM=${TEAM:-8}
RUNS_SPEC="search:$TEAM page:$TEAM search:$CLIENTS page:$CLIENTS api:$CLIENTS"
SECONDS_EACH=${DURATION:-20}
PORT=${PORT:-18080}
OUT=bench/out
mkdir -p "$OUT"
NAME=$ORDERS
[ "$SEED" = 1 ] && [ "$CUSTOMERS" = $((ORDERS / 3)) ] || NAME=$ORDERS-$CUSTOMERS-$SEED
CSV=$OUT/score-orders-$NAME.csv
DB=$OUT/score-$NAME.db
REPORT=$OUT/workspace-$NAME.txt
STARTED=$(date -u +%Y-%m-%dT%H:%M:%SZ)

. bench/lib.sh

# The data: the score benchmark's databases, imported and scored once.
if [ ! -f "$DB.imported" ] || { [ -n "${PG_URL:-}" ] && [ ! -f "$OUT/score-$NAME.pg.imported" ]; }; then
	say "preparing the databases with bench/score.sh (RUNS=1)"
	ORDERS=$ORDERS CUSTOMERS=$CUSTOMERS SEED=$SEED RUNS=1 bench/score.sh >/dev/null
fi
build_guanxi
go build -o "$OUT/load" ./bench/load

# Search terms a team types: full names, surnames, phones, e-mails and the
# shop's own customer numbers, sampled over the file.
TERMS=$OUT/workspace-terms-$NAME.txt
# (surnames: the load generator adds each name's first character).
awk -F, 'NR > 1 && NR % 997 == 0 {
	print $8; if ($9 != "") print $9; if ($10 != "") print $10; print $3
	if (++n == 1200) exit
}' "$CSV" >"$TERMS"

PASSWORD=bench-password-$$
export GUANXI_PASSWORD=$PASSWORD
ROWS=()
SERVER_PID=""
stop_server() { [ -z "$SERVER_PID" ] || { kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""; }; }
trap stop_server EXIT

# bench_engine ENGINE DSN: a user and a token, the server, then the three measures.
bench_engine() {
	local engine=$1 dsn=$2 mode log
	"$GX" user create --db "$dsn" --username bench-admin --shop bench --role admin --password-stdin <<<"$PASSWORD" >/dev/null 2>&1 ||
		"$GX" user set-password --db "$dsn" --username bench-admin --password-stdin <<<"$PASSWORD" >/dev/null
	"$GX" user grant --db "$dsn" --username bench-admin --shop bench --role admin >/dev/null
	GUANXI_TOKEN=$("$GX" token create --db "$dsn" --shop bench --name "bench $STARTED" --scopes customers:read,customers:pii | sed -n 2p)
	export GUANXI_TOKEN
	"$GX" serve --db "$dsn" --addr "127.0.0.1:$PORT" --score-at off --api-rate 100000 --log-level info >"$OUT/workspace-serve-$engine.log" 2>&1 &
	SERVER_PID=$!
	for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
	curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null || die "the server did not start: see $OUT/workspace-serve-$engine.log"
	# The server loads the shop's figures in memory once started; measure after.
	for _ in $(seq 1 600); do grep -q 'msg="warmed up"' "$OUT/workspace-serve-$engine.log" && break; sleep 0.5; done
	say "$engine: $(grep -o 'msg="warmed up".*' "$OUT/workspace-serve-$engine.log" | head -n 1)"
	for run in $RUNS_SPEC; do
		mode=${run%:*} clients=${run#*:}
		log=$OUT/workspace-$engine-$mode-$clients.json
		say "$engine: $mode, $clients clients, ${SECONDS_EACH}s"
		"$OUT/load" -base "http://127.0.0.1:$PORT" -mode "$mode" -shop bench -user bench-admin -terms "$TERMS" \
			-ids "$CUSTOMERS" -clients "$clients" -duration "${SECONDS_EACH}s" >"$log"
		ROWS+=("$engine $(cat "$log")")
	done
	"$GX" token revoke --db "$dsn" --shop bench --id "$("$GX" token list --db "$dsn" --shop bench | awk -v n="bench $STARTED" 'index($0, n) { print $1; exit }')" >/dev/null 2>&1 || true
	stop_server
}

ENGINES=${ENGINES:-sqlite postgres}
[[ " $ENGINES " != *" sqlite "* ]] || bench_engine sqlite "sqlite:$DB"
PG_VERSION=""
if [ -n "${PG_URL:-}" ] && [[ " $ENGINES " == *" postgres "* ]]; then
	PG_BASE=${PG_URL%%\?*}
	PG_QUERY=""
	[ "$PG_BASE" = "$PG_URL" ] || PG_QUERY="?${PG_URL#*\?}"
	PG_DSN="${PG_BASE%/*}/guanxi_score_${NAME//-/_}$PG_QUERY"
	PG_VERSION=$(psql "$PG_DSN" -qAtc 'SHOW server_version')
	bench_engine postgres "$PG_DSN"
fi

{
	echo "Workspace benchmark, started $STARTED"
	echo "measured: $COMMIT"
	echo "data: $CUSTOMERS customers, $ORDERS orders (bench/gen seed $SEED), scored; $(wc -l <"$TERMS") search terms"
	echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(free -g | awk '/^Mem:/{print $2}') GiB; load generator on the same machine"
	echo "$(go version | cut -d' ' -f3-)${PG_VERSION:+, PostgreSQL $PG_VERSION}; ${SECONDS_EACH}s per measure after a 3 s warm-up"
	echo
	printf '%s\n' "${ROWS[@]}" | awk '
		function v(k,   m) { return match($0, "\"" k "\":[-0-9.e+]*") ? substr($0, RSTART + length(k) + 3, RLENGTH - length(k) - 3) + 0 : -1 }
		BEGIN { printf "%-9s %-7s %7s %9s %8s %8s %8s %11s %11s %s\n", "engine", "measure", "clients", "req/s", "p50 ms", "p99 ms", "max ms", "server p50", "server p99", "errors" }
		{ err = match($0, /"errors":\{[^}]*\}/) ? substr($0, RSTART + 9, RLENGTH - 9) : "none"
		  sp50 = v("server_p50_ms"); sp99 = v("server_p99_ms")
		  printf "%-9s %-7s %7d %9.0f %8.1f %8.1f %8.1f %11s %11s %s\n", $1, substr($0, index($0, "\"mode\":\"") + 8, index(substr($0, index($0, "\"mode\":\"") + 8), "\"") - 1),
			v("clients"), v("per_second"), v("p50_ms"), v("p99_ms"), v("max_ms"), sp50 < 0 ? "-" : sprintf("%.1f", sp50), sp99 < 0 ? "-" : sprintf("%.1f", sp99), err }'
	echo
	echo "target: p99 under 50 ms; API at least 3,000 requests/s. Times are at the client, whole round trips on loopback;"
	echo "\"server\" is the page's own Server-Timing. search: customer search page; page: customer 360 page; api: GET /api/v1/customers/{id}."
} | tee "$REPORT"
