# The parts the benchmark scripts share; sourced, not run. The sourcing script sets
# $bench_name (for messages) and $data (the server's data directory) before using them.

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/strata-target}"

say() { echo "$bench_name: $*" >&2; }

# Builds strata and strata-loadgen in $1 (release, dev, …) unless STRATA_BENCH_BUILD=0, and
# sets $bin to where the binaries are.
build_binaries() {
    if [[ ${STRATA_BENCH_BUILD:-1} != 0 ]]; then
        say "building ($1)"
        cargo build --profile "$1" -p strata -p strata-loadgen >&2
    fi
    bin="$CARGO_TARGET_DIR/$([[ $1 == dev ]] && echo debug || echo "$1")"
}

server=""

# Starts `strata serve` on $data with the arguments given, logging to $data/serve-$1.log, and
# sets $server (its pid) and $url once it listens.
start_server() {
    local log="$data/serve-$1.log"
    shift
    STRATA_LOG=info "$bin/strata" serve --data-dir "$data" --http-bind 127.0.0.1:0 \
        --log-format json "$@" >>"$data/serve.out" 2>"$log" &
    server=$!
    url=""
    for _ in $(seq 600); do
        url=$(sed -n 's/.*"listening on \(http:[^"]*\)".*/\1/p' "$log" | head -1)
        [[ -n $url ]] && return
        kill -0 "$server" 2>/dev/null || break
        sleep 0.1
    done
    say "the server did not start"
    cat "$log" >&2
    exit 1
}

stop_server() {
    if [[ -n $server ]]; then
        kill -TERM "$server" 2>/dev/null || true
        wait "$server" 2>/dev/null || true
        server=""
    fi
}

# Creates the database `bench` and sets $token to a token that may read and write it.
create_bench_database() {
    local mgmt
    mgmt=$("$bin/strata" admin management-token create --data-dir "$data" --description "$bench_name")
    api() {
        curl -sS --fail-with-body -H "Authorization: Bearer $mgmt" \
            -H 'Content-Type: application/json' -d "$2" "$url$1"
    }
    api /api/v0/databases '{"name": "bench"}' >/dev/null
    token=$(api /api/v0/tokens "{\"description\": \"$bench_name\", \"permissions\": [
        {\"action\": \"read\", \"resource\": \"bench\"}, {\"action\": \"write\", \"resource\": \"bench\"}]}" |
        sed -n 's/.*"accessToken" *: *"\([^"]*\)".*/\1/p')
    [[ -n $token ]] || { say "no database token in the answer"; exit 1; }
}

# The resident memory of process $1 now, and its peak, in MB.
rss_mb() { awk '/^VmRSS:/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }
peak_rss_mb() { awk '/^VmHWM:/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }

# Stops the server and deletes $data unless STRATA_BENCH_KEEP=1; run on exit.
bench_cleanup() {
    stop_server
    if [[ ${STRATA_BENCH_KEEP:-0} == 1 ]]; then
        say "kept $data"
    else
        rm -rf "$data"
    fi
}
