#!/usr/bin/env bash
# A throwaway InfluxDB 1.x on loopback, the oracle for InfluxQL answers in tests.
#
#   scripts/influxdb1.sh start DIR   start a server keeping everything in DIR; print how to reach it
#   scripts/influxdb1.sh stop DIR    stop the server started in DIR (no error when none is running)
#
# `start` prints exactly this line on stdout, ready for `eval` or `source`; everything else goes
# to stderr:
#   export STRATA_TEST_INFLUXDB1_URL=http://127.0.0.1:PORT
#
# It installs Debian's influxdb package (1.6.x) with apt-get when no `influxd` is found. The
# server runs as the calling user, from a configuration written to DIR/influxdb.conf: its meta,
# data and WAL directories are under DIR, its HTTP API listens on 127.0.0.1:PORT and its RPC
# service (backup/restore) on another free port of 127.0.0.1; reporting, the _internal monitor
# database and the admin, graphite, collectd, opentsdb, udp and ifql services are off. Its log
# is DIR/influxd.log, its pid DIR/influxd.pid. Authentication is off: it is for tests, never for
# data anyone wants to keep. Starting again while it runs prints the same line; starting it again
# after a stop keeps the data and picks new ports.
#
# Example:
#   eval "$(scripts/influxdb1.sh start /tmp/strata-influxdb1)"
#   curl -XPOST "$STRATA_TEST_INFLUXDB1_URL/query" --data-urlencode 'q=CREATE DATABASE x'
#   scripts/influxdb1.sh stop /tmp/strata-influxdb1
set -euo pipefail

# Only the export line goes to stdout (fd 3); every other line, ours or a tool's, to stderr.
exec 3>&1 1>&2

readonly service=influxdb1.sh
source "$(dirname "$0")/service-lib.sh"

readonly START_TIMEOUT=60
readonly STOP_TIMEOUT=30

# Prints the path of influxd, or nothing.
find_influxd() {
    local path
    path=$(command -v influxd 2>/dev/null || true)
    if [[ -z $path && -x /usr/bin/influxd ]]; then
        path=/usr/bin/influxd
    fi
    echo "$path"
}

# True when GET /ping on 127.0.0.1:PORT answers 204 No Content, as InfluxDB 1.x does. Plain bash,
# so that it needs neither curl nor python3.
ping_ok() {
    (
        exec 5<>"/dev/tcp/127.0.0.1/$1" || exit 1
        printf 'GET /ping HTTP/1.0\r\nHost: 127.0.0.1:%s\r\n\r\n' "$1" >&5
        IFS= read -r -t 5 line <&5 || exit 1
        [[ $line =~ ^HTTP/1\.[01]\ 204 ]]
    ) 2>/dev/null
}

# The pid in DIR/influxd.pid when that process is alive and is the server of this DIR.
running_pid() {
    local pid
    pid=$(cat "$DIR/influxd.pid" 2>/dev/null || true)
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -qxF -- "$DIR/influxdb.conf" || return 1
    alive "$pid" || return 1
    echo "$pid"
}

# Writes DIR/influxdb.conf for HTTP on 127.0.0.1:$1 and RPC on 127.0.0.1:$2. Settings left out
# keep influxd's defaults.
write_config() {
    cat >"$DIR/influxdb.conf" <<EOF
# Written by scripts/influxdb1.sh; rewritten at every start.
reporting-enabled = false
bind-address = "127.0.0.1:$2"

[meta]
  dir = "$DIR/meta"
  retention-autocreate = true
  logging-enabled = true

[data]
  dir = "$DIR/data"
  wal-dir = "$DIR/wal"
  wal-fsync-delay = "0s"
  query-log-enabled = true

[monitor]
  store-enabled = false

[http]
  enabled = true
  bind-address = "127.0.0.1:$1"
  auth-enabled = false
  log-enabled = true
  pprof-enabled = false
  https-enabled = false
  unix-socket-enabled = false
  max-row-limit = 0

[logging]
  suppress-logo = true

[ifql]
  enabled = false

# Gone since InfluxDB 1.3; older versions read it, newer ones ignore it.
[admin]
  enabled = false

[[graphite]]
  enabled = false

[[collectd]]
  enabled = false

[[opentsdb]]
  enabled = false

[[udp]]
  enabled = false
EOF
}

print_env() {
    cat "$DIR/influxdb1.env" >&3
}

start() {
    local influxd
    influxd=$(find_influxd)
    if [[ -z $influxd ]]; then
        apt_install influxdb influxd
        influxd=$(find_influxd)
        [[ -n $influxd ]] || die "installed influxdb but found no influxd"
    fi
    [[ $DIR != *[\"\\]* ]] || die "DIR must not contain a double quote or a backslash: $DIR"

    local pid
    if pid=$(running_pid); then
        [[ -f $DIR/influxdb1.env ]] || die "a server (pid $pid) runs in $DIR but $DIR/influxdb1.env is missing; stop it first"
        log "already running in $DIR (pid $pid)"
        print_env
        return
    fi

    mkdir -p "$DIR/meta" "$DIR/data" "$DIR/wal"
    rm -f "$DIR/influxdb1.env"

    # INFLUXDB_* variables override the configuration file; none of the caller's may leak in.
    local unset_env=() name
    while IFS= read -r name; do
        unset_env+=(-u "$name")
    done < <(compgen -e | grep '^INFLUXDB_' || true)

    local attempt ports http rpc deadline
    for attempt in 1 2 3; do
        mapfile -t ports < <(free_ports 2)
        ((${#ports[@]} == 2)) || die "could not find free ports on 127.0.0.1"
        http=${ports[0]} rpc=${ports[1]}
        write_config "$http" "$rpc"

        log "starting $("$influxd" version 2>/dev/null || echo influxd) in $DIR (HTTP on 127.0.0.1:$http, RPC on 127.0.0.1:$rpc)"
        # setsid gives the server a session of its own, so that it outlives the caller's shell
        # and terminal. Run from DIR so that anything written relative to the working directory
        # lands there.
        (
            cd "$DIR"
            exec env "${unset_env[@]}" setsid "$influxd" run -config "$DIR/influxdb.conf" \
                </dev/null >>"$DIR/influxd.log" 2>&1 3>&-
        ) &
        pid=$!
        echo "$pid" >"$DIR/influxd.pid"

        deadline=$(($(date +%s) + START_TIMEOUT))
        while ! ping_ok "$http"; do
            alive "$pid" || break
            if (($(date +%s) >= deadline)); then
                log "/ping on port $http did not answer within ${START_TIMEOUT}s; the end of $DIR/influxd.log:"
                tail -n 40 "$DIR/influxd.log" || true
                stop
                die "could not start InfluxDB; see $DIR/influxd.log"
            fi
            sleep 0.2
        done

        if alive "$pid"; then
            printf 'export STRATA_TEST_INFLUXDB1_URL=http://127.0.0.1:%s\n' "$http" >"$DIR/influxdb1.env"
            log "InfluxDB runs in $DIR (pid $pid) at http://127.0.0.1:$http; stop it with: $0 stop $DIR"
            print_env
            return
        fi
        # It died at once, most likely a port taken between our check and its bind.
        wait "$pid" 2>/dev/null || true
        log "influxd exited during start (attempt $attempt); the end of $DIR/influxd.log:"
        tail -n 20 "$DIR/influxd.log" || true
    done
    die "could not start InfluxDB; see $DIR/influxd.log"
}

# SIGTERM, up to STOP_TIMEOUT seconds for influxd to close its shards, then SIGKILL.
stop() {
    local pid
    if ! pid=$(running_pid); then
        log "no server is running in $DIR; nothing to stop"
        rm -f "$DIR/influxd.pid" "$DIR/influxdb1.env"
        return 0
    fi
    kill -TERM "$pid" 2>/dev/null || true
    local _
    for _ in $(seq 1 $((STOP_TIMEOUT * 10))); do
        alive "$pid" || break
        sleep 0.1
    done
    if alive "$pid"; then
        log "influxd (pid $pid) did not stop within ${STOP_TIMEOUT}s of SIGTERM; killing it"
        kill -KILL "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do
            alive "$pid" || break
            sleep 0.1
        done
    fi
    alive "$pid" && die "influxd (pid $pid) in $DIR does not die"
    rm -f "$DIR/influxd.pid" "$DIR/influxdb1.env"
    log "stopped the server in $DIR"
    return 0
}

dispatch "$@"
