#!/usr/bin/env bash
# Throwaway PostgreSQL cluster for tests / demo / bench.
#
# As a script:
#   tools/pg_cluster.sh start [ENV_FILE]   # start; write PGHOST/PGPORT/... to ENV_FILE
#                                          # (or $PG_ENV_FILE) and print them on stdout
#   tools/pg_cluster.sh stop  [ENV_FILE]   # stop the cluster described by ENV_FILE
#                                          # and delete its directory
# As a library (preferred, so the caller can trap):
#   source tools/pg_cluster.sh
#   trap pg_cluster_stop EXIT
#   pg_cluster_start            # exports PGHOST PGPORT PGUSER PG_CLUSTER_DIR PG_BINDIR
#
# The cluster runs as the unprivileged `postgres` OS user when invoked as root
# (PostgreSQL refuses to run as root), with superuser `odoo` (Odoo refuses the
# `postgres` role), trust auth, listening on 127.0.0.1 only, on a free port,
# with its data and socket dirs in a fresh temp dir.  PostgreSQL is installed
# with apt-get when missing.

# Locate the directory holding initdb/pg_ctl (newest installed major).
pg_find_bindir() {
    local d
    if [[ -n "${PG_BINDIR:-}" && -x "$PG_BINDIR/initdb" ]]; then
        printf '%s\n' "$PG_BINDIR"; return 0
    fi
    d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)"
    if [[ -n "$d" && -x "$d/initdb" ]]; then printf '%s\n' "$d"; return 0; fi
    if command -v initdb >/dev/null 2>&1; then
        dirname "$(command -v initdb)"; return 0
    fi
    return 1
}

pg_ensure_installed() {
    if ! pg_find_bindir >/dev/null; then
        echo "PostgreSQL server not found: installing it with apt-get" >&2
        command -v apt-get >/dev/null 2>&1 || { echo "ERROR: no apt-get; install PostgreSQL" >&2; return 1; }
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2 \
            || { echo "ERROR: apt-get install postgresql failed" >&2; return 1; }
        pg_find_bindir >/dev/null || { echo "ERROR: initdb still not found" >&2; return 1; }
    fi
}

# Run a command as the postgres OS user when we are root.
_pg_as() {
    if [[ $EUID -eq 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

pg_cluster_start() {
    pg_ensure_installed || return 1
    PG_BINDIR="$(pg_find_bindir)" || return 1
    PG_CLUSTER_DIR="$(mktemp -d "${PG_TMP_PARENT:-/tmp}/odoo-pg.XXXXXX")" || return 1
    mkdir -p "$PG_CLUSTER_DIR/sock" || return 1
    if [[ $EUID -eq 0 ]]; then
        id postgres >/dev/null 2>&1 || { echo "ERROR: no 'postgres' OS user" >&2; return 1; }
        chown -R postgres: "$PG_CLUSTER_DIR" || return 1
        chmod 755 "$PG_CLUSTER_DIR"
    fi
    local port
    port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')" || return 1
    _pg_as "$PG_BINDIR/initdb" -D "$PG_CLUSTER_DIR/data" --username=odoo --auth=trust \
        --encoding=UTF8 --locale=C -A trust >"$PG_CLUSTER_DIR/initdb.log" 2>&1 \
        || { cat "$PG_CLUSTER_DIR/initdb.log" >&2; return 1; }
    # test-only settings: speed over durability
    if ! _pg_as "$PG_BINDIR/pg_ctl" -D "$PG_CLUSTER_DIR/data" -l "$PG_CLUSTER_DIR/postgres.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $PG_CLUSTER_DIR/sock -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=100" \
        start >/dev/null; then
        cat "$PG_CLUSTER_DIR/postgres.log" >&2 || true
        return 1
    fi
    PGHOST=127.0.0.1
    PGPORT="$port"
    PGUSER=odoo
    export PGHOST PGPORT PGUSER PG_CLUSTER_DIR PG_BINDIR
    echo "PostgreSQL cluster started: $PGHOST:$PGPORT (user odoo, dir $PG_CLUSTER_DIR)" >&2
}

pg_cluster_env() {
    printf 'export PGHOST=%q\nexport PGPORT=%q\nexport PGUSER=%q\nexport PG_CLUSTER_DIR=%q\nexport PG_BINDIR=%q\n' \
        "$PGHOST" "$PGPORT" "$PGUSER" "$PG_CLUSTER_DIR" "$PG_BINDIR"
}

# Idempotent; safe to call from an EXIT trap even when start failed half way.
pg_cluster_stop() {
    local dir="${PG_CLUSTER_DIR:-}"
    [[ -n "$dir" && -d "$dir" ]] || return 0
    local bindir="${PG_BINDIR:-$(pg_find_bindir || true)}"
    if [[ -f "$dir/data/postmaster.pid" ]]; then
        _pg_as "$bindir/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null 2>&1 \
            || _pg_as "$bindir/pg_ctl" -D "$dir/data" -m immediate -w -t 30 stop >/dev/null 2>&1 \
            || { # last resort: kill the postmaster by its pid
                local pid
                pid="$(head -n1 "$dir/data/postmaster.pid" 2>/dev/null || true)"
                [[ -n "$pid" ]] && kill -9 "$pid" 2>/dev/null || true
            }
        echo "PostgreSQL cluster on port ${PGPORT:-?} stopped" >&2
    fi
    rm -rf "$dir"
    PG_CLUSTER_DIR=
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    set -euo pipefail
    cmd="${1:-}"
    env_file="${2:-${PG_ENV_FILE:-}}"
    case "$cmd" in
        start)
            pg_cluster_start
            pg_cluster_env
            if [[ -n "$env_file" ]]; then pg_cluster_env >"$env_file"; fi
            ;;
        stop)
            if [[ -n "$env_file" ]]; then
                # shellcheck disable=SC1090
                source "$env_file"
            fi
            pg_cluster_stop
            ;;
        *)
            echo "usage: $0 start|stop [ENV_FILE]" >&2
            exit 2
            ;;
    esac
fi
