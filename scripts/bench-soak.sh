#!/usr/bin/env bash
# Soak benchmark: sustained ingest with queries alongside, on a fresh server at its default
# limits. Builds release binaries, starts `strata serve` on a temporary directory and has
# strata-loadgen write STRATA_SOAK_SERIES (10,000) series of the hosts shape (one `cpu` series
# per host, four fields) in STRATA_SOAK_BATCH-line (10,000) bodies over /api/v3/write_lp from
# STRATA_SOAK_CONNECTIONS (8) connections for STRATA_SOAK_DURATION (5m). Every
# STRATA_SOAK_EVERY seconds (30) it prints a sample: the server's RSS, its Parquet files (live
# ones, and the most in one partition, from system.partitions), the WAL on disk, and the
# latency of one run of each of strata-querybench's hosts queries. When the writers stop it
# waits STRATA_SOAK_SETTLE seconds (120) for compaction to settle (the server compacts a
# partition once it has had no writes for 30 s instead of the default 10 minutes, so that a run
# ends in minutes), samples once more and prints the write report (acknowledged lines/s,
# non-2xx answers, latency percentiles), the peak RSS and the partitions.
#
# Arguments go to `strata serve` (e.g. --max-buffer-bytes 268435456). STRATA_BENCH_BUILD=0
# uses the binaries already built; STRATA_BENCH_PROFILE=dev uses debug ones, for a quick check
# with a short STRATA_SOAK_DURATION; STRATA_BENCH_KEEP=1 keeps the data directory.
set -euo pipefail
cd "$(dirname "$0")/.."

bench_name=bench-soak
source scripts/bench-lib.sh

duration=${STRATA_SOAK_DURATION:-5m}
connections=${STRATA_SOAK_CONNECTIONS:-8}
series=${STRATA_SOAK_SERIES:-10000}
batch=${STRATA_SOAK_BATCH:-10000}
every=${STRATA_SOAK_EVERY:-30}
settle=${STRATA_SOAK_SETTLE:-120}
profile=${STRATA_BENCH_PROFILE:-release}

build_binaries "$profile"

data=$(mktemp -d /tmp/strata-soak.XXXXXX)
sampler=""
cleanup() {
    [[ -n $sampler ]] && kill "$sampler" 2>/dev/null || true
    bench_cleanup
}
trap cleanup EXIT

start_server 1 --compaction-cold-after 30s "$@"
create_bench_database
say "server at $url, data in $data"

# One SQL answer of the system tables, as JSON lines.
system_query() {
    curl -sS --fail-with-body -H "Authorization: Bearer $token" -H 'iox-debug: true' --get \
        "$url/api/v3/query_sql" --data-urlencode db=bench --data-urlencode format=jsonl \
        --data-urlencode "q=$1"
}

# Prints one sample line: time since the start, RSS, live files, the most files in one
# partition, WAL MB, and each hosts query's latency in ms.
sample() {
    local partitions files most wal queries
    partitions=$(system_query 'SELECT num_files, total_size_mb FROM system.partitions' || true)
    files=$(echo "$partitions" | sed -n 's/.*"num_files":\([0-9]*\).*/\1/p' |
        awk '{ n += $1 } END { print n + 0 }')
    most=$(echo "$partitions" | sed -n 's/.*"num_files":\([0-9]*\).*/\1/p' |
        awk '$1 > m { m = $1 } END { print m + 0 }')
    wal=$(find "$data/wal" -name '*.wal' -printf '%s\n' 2>/dev/null |
        awk '{ n += $1 } END { printf "%.0f", n / 1e6 }')
    queries=$("$bin/strata-querybench" --url "$url" --token "$token" --database bench \
        --workload hosts --runs 1 --warmup 0 2>/dev/null |
        awk 'NR > 1 && NF >= 7 { printf "%s=%s ", $1, ($3 == "failed" ? "failed" : $5) }')
    printf '%6ds  rss %5s MB  files %4s (most in a partition %3s)  wal %5s MB  %s\n' \
        $(($(date +%s) - began)) "$(rss_mb "$server")" "$files" "$most" "$wal" "$queries"
}

began=$(date +%s)
say "writing for $duration from $connections connections; a sample every $every s"
(
    while sleep "$every"; do sample; done
) >"$data/samples.txt" &
sampler=$!
status=0
"$bin/strata-loadgen" --url "$url" --token "$token" --database bench --endpoint v3 \
    --shape hosts --series "$series" --batch-size "$batch" --concurrency "$connections" \
    --duration "$duration" --progress 30s >"$data/write.txt" || status=$?
kill "$sampler" 2>/dev/null || true
wait "$sampler" 2>/dev/null || true
sampler=""
peak_writing=$(peak_rss_mb "$server")
sample >>"$data/samples.txt"

say "writers stopped; waiting $settle s for compaction to settle"
sleep "$settle"
sample >>"$data/samples.txt"

echo
echo "== writes: $connections connections of $batch-line bodies, $series series, for $duration"
cat "$data/write.txt"
echo
echo "== samples (query latencies in ms, one run each)"
cat "$data/samples.txt"
echo
echo "== memory"
echo "peak RSS while writing:  $peak_writing MB"
echo "RSS at the end:          $(rss_mb "$server") MB"
echo
echo "== partitions after $settle s of quiet"
system_query 'SELECT table_name, partition_key, num_files, total_size_mb, row_count FROM system.partitions ORDER BY table_name, partition_key'
echo
echo "== compactions"
system_query 'SELECT count(*) AS jobs, sum(input_files) AS input_files, sum(output_files) AS output_files, sum(input_bytes) / 1000000 AS input_mb, max(duration) AS longest FROM system.compactor'
exit "$status"
