#!/usr/bin/env bash
# A throwaway PostgreSQL on loopback, for tests.
#
#   scripts/pg.sh start DIR   initialise (if new) and start a server in DIR; print its URL
#   scripts/pg.sh stop DIR    stop the server in DIR (no error when it is not running)
#
# `start` prints exactly one line on stdout, the URL
# `postgres://postgres@127.0.0.1:PORT/strata_test`; everything else goes to stderr. It installs
# PostgreSQL with apt-get when no initdb/pg_ctl is found. The server trusts every local
# connection, listens on 127.0.0.1 only, keeps its unix socket in DIR and runs with fsync off:
# it is for tests, never for data anyone wants to keep.
#
# Example:
#   export STRATA_TEST_POSTGRES_URL="$(scripts/pg.sh start /tmp/strata-pg)"
#   cargo nextest run -p strata-catalog
#   scripts/pg.sh stop /tmp/strata-pg
set -euo pipefail

# Only the URL goes to stdout (fd 3); every other line, ours or a tool's, to stderr.
exec 3>&1 1>&2

readonly service=pg.sh
source "$(dirname "$0")/service-lib.sh"

readonly DATABASE=strata_test
readonly SUPERUSER=postgres

# Prints the directory holding initdb and pg_ctl, or nothing.
find_bindir() {
    local candidates=() dir
    local from_path
    from_path=$(command -v pg_ctl 2>/dev/null || true)
    if [[ -n $from_path ]]; then
        candidates+=("$(dirname "$(readlink -f "$from_path")")")
    fi
    candidates+=(/usr/local/bin)
    # Newest version first.
    while IFS= read -r dir; do
        candidates+=("$dir")
    done < <(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r)
    for dir in "${candidates[@]}"; do
        if [[ -x $dir/initdb && -x $dir/pg_ctl ]]; then
            echo "$dir"
            return
        fi
    done
}

# The user who owns the server when we are root: PostgreSQL refuses to run as root.
OWNER=postgres

# Runs a command as the owner of the server: $OWNER when we are root, ourselves otherwise.
# Fd 3 (the caller's stdout) is closed for it: a server started with it open would hold the
# caller's pipe, and `URL=$(pg.sh start DIR)` would never return.
as_owner() {
    if is_root; then
        if command -v runuser >/dev/null; then
            runuser -u "$OWNER" -- "$@" 3>&-
        else
            su "$OWNER" -s /bin/sh -c "$(printf '%q ' "$@")" 3>&-
        fi
    else
        "$@" 3>&-
    fi
}

ensure_postgres_user() {
    if ! id postgres >/dev/null 2>&1; then
        log "creating the system user postgres"
        if command -v useradd >/dev/null; then
            useradd --system --user-group --home-dir /var/lib/postgresql --no-create-home \
                --shell /bin/sh postgres
        else
            adduser --system --group --home /var/lib/postgresql --no-create-home \
                --shell /bin/sh postgres
        fi
    fi
}

# Prints the value of a `key=value` line of DIR/pg.env.
setting() {
    sed -n "s/^$1=//p" "$DIR/pg.env" 2>/dev/null | tail -n 1
}

psql_cmd() {
    local port=$1
    shift
    local psql=$BINDIR/psql
    [[ -x $psql ]] || psql=$(command -v psql || true)
    [[ -n $psql ]] || die "psql not found"
    as_owner "$psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U "$SUPERUSER" -d postgres "$@"
}

ensure_database() {
    local port=$1 exists
    exists=$(psql_cmd "$port" -tA -c "SELECT 1 FROM pg_database WHERE datname = '$DATABASE'")
    if [[ $exists != 1 ]]; then
        psql_cmd "$port" -c "CREATE DATABASE $DATABASE"
    fi
}

server_running() {
    as_owner "$BINDIR/pg_ctl" status -D "$DATA" >/dev/null 2>&1
}

start() {
    DATA=$DIR/data
    BINDIR=$(find_bindir)
    if [[ -z $BINDIR ]]; then
        apt_install postgresql PostgreSQL
        BINDIR=$(find_bindir)
        [[ -n $BINDIR ]] || die "installed PostgreSQL but found no initdb/pg_ctl"
    fi

    if is_root; then
        ensure_postgres_user
        chown -R postgres: "$DIR"
        as_owner test -w "$DIR" ||
            die "user postgres cannot write to $DIR (is a parent directory closed to other users?); use a directory under /tmp"
    fi
    # pg_ctl and psql complain when they cannot return to a working directory they cannot read.
    cd "$DIR"

    if server_running; then
        local port
        port=$(setting port)
        [[ -n $port ]] || die "a server runs in $DIR but $DIR/pg.env has no port; stop it first"
        log "already running in $DIR on port $port"
        ensure_database "$port"
        echo "postgres://$SUPERUSER@127.0.0.1:$port/$DATABASE" >&3
        return
    fi

    if [[ ! -f $DATA/PG_VERSION ]]; then
        log "initialising a cluster in $DATA ($BINDIR)"
        rm -rf "$DATA"
        as_owner "$BINDIR/initdb" -D "$DATA" -U "$SUPERUSER" --auth=trust --encoding=UTF8 \
            --locale=C --no-sync >"$DIR/initdb.log" 2>&1 ||
            { cat "$DIR/initdb.log"; die "initdb failed"; }
    fi

    # A unix socket path is limited to about 100 bytes; beyond that use TCP only.
    local socket_dir=$DIR
    if ((${#DIR} > 80)); then
        log "$DIR is too long for a unix socket path; the server listens on TCP only"
        socket_dir=
    fi

    local port attempt
    for attempt in 1 2 3; do
        port=$(free_ports 1)
        if as_owner "$BINDIR/pg_ctl" start -w -t 60 -D "$DATA" -l "$DIR/server.log" \
            -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$(printf %q "$socket_dir") -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"; then
            printf 'port=%s\n' "$port" >"$DIR/pg.env"
            ensure_database "$port"
            log "PostgreSQL runs in $DIR on 127.0.0.1:$port; stop it with: $0 stop $DIR"
            echo "postgres://$SUPERUSER@127.0.0.1:$port/$DATABASE" >&3
            return
        fi
        log "start on port $port failed (attempt $attempt); the log says:"
        tail -n 20 "$DIR/server.log" || true
    done
    die "could not start PostgreSQL; see $DIR/server.log"
}

stop() {
    DATA=$DIR/data
    [[ -f $DATA/PG_VERSION ]] || {
        log "no cluster in $DIR; nothing to stop"
        return 0
    }
    BINDIR=$(find_bindir)
    [[ -n $BINDIR ]] || {
        log "PostgreSQL is not installed; nothing to stop"
        return 0
    }
    if is_root; then
        OWNER=$(stat -c %U "$DATA")
    fi
    cd "$DIR"
    if as_owner "$BINDIR/pg_ctl" stop -D "$DATA" -m immediate -w; then
        log "stopped the server in $DIR"
    else
        log "no server was running in $DIR"
    fi
    return 0
}

dispatch "$@"
