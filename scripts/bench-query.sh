#!/usr/bin/env bash
# Query benchmark on a fresh server. Builds release binaries, starts `strata serve` on loopback
# with a temporary data directory, makes a database `bench` and a read+write token for it,
# writes STRATA_BENCH_SERIES x STRATA_BENCH_ROUNDS lines with strata-loadgen, spread evenly over
# the past STRATA_BENCH_SPAN seconds, and times strata-querybench's queries
# (STRATA_BENCH_RUNS timed runs each, after STRATA_BENCH_WARMUP untimed ones).
#
# STRATA_BENCH_WORKLOAD picks the data and the queries:
# - fleet (the default): telegraf-like cpu/mem/disk/net tables, 10,000 series x 1,000 rounds
#   over a day, nanosecond timestamps over /api/v2/write. Most of the data is in Parquet and the
#   newest STRATA_BENCH_TAIL_ROUNDS rounds (a 25th) are buffered, as on a server that has been
#   running: all rounds but those are written, the server restarts (replaying the WAL persists
#   what was still buffered), then the tail is written, below the size that makes the buffer
#   persist (an eighth of the data, at least 16 MiB).
# - hosts: issue 11's workload, one cpu series per host with four fields, 1,000 hosts x 10,000
#   rounds 10 s apart (the span is rounds x 10 s), second timestamps over 1.x /write, all of it
#   written and then the server restarted, so every row is in Parquet (no tail unless
#   STRATA_BENCH_TAIL_ROUNDS says so); the queries are its Q1-Q5 in InfluxQL and SQL.
# With second timestamps the interval is cut to whole seconds.
#
# Prints the write reports, what is persisted and buffered, and the query table at the end (each
# query's rows and min/p50/p90/max latency). The server stops on exit and its data directory is
# deleted unless STRATA_BENCH_KEEP=1. STRATA_BENCH_PROFILE=dev uses debug binaries, for a quick
# check of a small run; STRATA_BENCH_BUILD=0 uses the binaries already built. Arguments go to
# strata-querybench (e.g. --query 'name=sql:SELECT …' to time one more query).
set -euo pipefail
cd "$(dirname "$0")/.."

bench_name=bench-query
source scripts/bench-lib.sh
workload=${STRATA_BENCH_WORKLOAD:-fleet}
case $workload in
fleet)
    series=${STRATA_BENCH_SERIES:-10000}
    rounds=${STRATA_BENCH_ROUNDS:-1000}
    span=${STRATA_BENCH_SPAN:-86400}
    tail_rounds=${STRATA_BENCH_TAIL_ROUNDS:-$((rounds / 25))}
    precision=ns endpoint=v2
    ;;
hosts)
    series=${STRATA_BENCH_SERIES:-1000}
    rounds=${STRATA_BENCH_ROUNDS:-10000}
    span=${STRATA_BENCH_SPAN:-$((rounds * 10))}
    tail_rounds=${STRATA_BENCH_TAIL_ROUNDS:-0}
    precision=s endpoint=v1
    ;;
*)
    say "STRATA_BENCH_WORKLOAD=$workload is not a workload; use fleet or hosts"
    exit 2
    ;;
esac
runs=${STRATA_BENCH_RUNS:-10}
warmup=${STRATA_BENCH_WARMUP:-2}
profile=${STRATA_BENCH_PROFILE:-release}
lines=$((series * rounds))
bulk_rounds=$((rounds - tail_rounds))
# The buffer holds about 140 bytes a line, and more for small writes.
persist_bytes=$((lines * 140 / 8 > 16 << 20 ? lines * 140 / 8 : 16 << 20))
interval_ms=$((span * 1000 / rounds))
if [[ $precision == s ]]; then
    # strata-loadgen refuses second timestamps a fraction of a second apart.
    interval_ms=$((interval_ms / 1000 * 1000))
fi

if ((interval_ms == 0 || bulk_rounds <= 0)); then
    say "STRATA_BENCH_SPAN=$span s is too short for $rounds rounds (timestamps in $precision), or STRATA_BENCH_TAIL_ROUNDS=$tail_rounds leaves none before the tail"
    exit 2
fi

build_binaries "$profile"

data=$(mktemp -d /tmp/strata-bench.XXXXXX)
trap bench_cleanup EXIT

# Only the buffer's size makes the server persist: the interval is a day.
start_bench_server() {
    start_server "$1" --persist-interval 24h --persist-buffer-bytes "$persist_bytes"
}

# Waits until only the WAL segment of the active buffer is left: every frozen one is persisted.
# The server checks whether to persist four times a second.
wait_for_persistence() {
    sleep 1
    for _ in $(seq 1200); do
        (($(find "$data/wal" -name '*.wal' | wc -l) <= 1)) && return
        sleep 0.5
    done
    say "persistence did not catch up in 10 minutes"
    exit 1
}

# Writes $2 lines from round $1, the report to the file $3.
write_rounds() {
    "$bin/strata-loadgen" --url "$url" --token "$token" --database bench --shape "$workload" \
        --series "$series" --endpoint "$endpoint" --precision "$precision" --start "$start" \
        --interval "${interval_ms}ms" --first-round "$1" --lines "$2" \
        --duration 24h --progress 10s >"$3" || { cat "$3"; exit 1; }
}

start_bench_server 1
say "server at $url, data in $data, persisting every $persist_bytes buffered bytes"
create_bench_database

start=$(date -u -d "@$(($(date +%s) - span))" +%Y-%m-%dT%H:%M:%SZ)
say "writing $((series * bulk_rounds)) lines of the $workload workload: $series series x $bulk_rounds rounds, ${interval_ms}ms apart from $start"
write_rounds 0 $((series * bulk_rounds)) "$data/write-bulk.txt"
wait_for_persistence
say "restarting the server, which persists what is still buffered"
stop_server
start_bench_server 2
wait_for_persistence
rss_restarted=$(rss_mb "$server")
if ((tail_rounds > 0)); then
    say "writing the newest $tail_rounds rounds, to stay buffered"
    write_rounds "$bulk_rounds" $((series * tail_rounds)) "$data/write-tail.txt"
    wait_for_persistence
fi

# What the servers logged as persisted and registered, summed.
persisted() {
    cat "$data"/serve-*.log | grep '"persisted buffered rows"' |
        sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p" | awk '{ n += $1 } END { print n + 0 }'
}
persisted_rows=$(persisted rows)
files=$(persisted files)
file_mb=$(find "$data/objects" -name '*.parquet' -printf '%s\n' |
    awk '{ n += $1 } END { printf "%.1f", n / 1e6 }')
wal_mb=$(find "$data/wal" -name '*.wal' -printf '%s\n' |
    awk '{ n += $1 } END { printf "%.1f", n / 1e6 }')
cpu_rows=$(curl -sS --fail-with-body -H "Authorization: Bearer $token" --get \
    "$url/api/v3/query_sql" --data-urlencode db=bench \
    --data-urlencode 'q=SELECT count(*) AS n FROM cpu' |
    sed -n 's/.*"n" *: *\([0-9]*\).*/\1/p')

say "running the queries"
status=0
"$bin/strata-querybench" --url "$url" --token "$token" --database bench --workload "$workload" \
    --runs "$runs" --warmup "$warmup" "$@" >"$data/queries.txt" || status=$?

echo
echo "== data ($workload): $series series x $rounds rounds = $lines lines from $start, ${interval_ms}ms apart, precision $precision over $endpoint"
if ((tail_rounds > 0)); then
    echo "-- all but the newest $tail_rounds rounds"
else
    echo "-- all $rounds rounds, then a restart"
fi
cat "$data/write-bulk.txt"
if ((tail_rounds > 0)); then
    echo "-- the newest $tail_rounds rounds"
    cat "$data/write-tail.txt"
fi
echo
echo "== storage"
echo "persisted:        $persisted_rows rows in $files Parquet files ($file_mb MB)"
echo "buffered:         $((lines - persisted_rows)) rows (WAL $wal_mb MB)"
echo "cpu rows (SQL):   $cpu_rows"
echo "server RSS:       $rss_restarted MB after the restart, $(rss_mb "$server") MB after the queries (peak $(peak_rss_mb "$server") MB)"
echo
echo "== queries: $warmup untimed, then $runs timed runs each"
cat "$data/queries.txt"
exit "$status"
