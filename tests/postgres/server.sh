#!/usr/bin/env bash
# A throwaway PostgreSQL server on loopback for the source tests (ctest fixture "postgres").
#   server.sh start DIR   initdb in DIR/data, start on 127.0.0.1 at a free port, write DIR/env.sh
#   server.sh stop DIR    stop it (fast, then immediate) and remove DIR
# Needs Debian's `postgresql` package (server binaries under /usr/lib/postgresql/<major>/bin).
# The server refuses to run as root: as root, it runs as the `postgres` user (or `nobody`).
set -euo pipefail
cmd=${1:?usage: server.sh start|stop DIR}
dir=${2:?usage: server.sh start|stop DIR}

find_bin() {
  if [[ -n "${TAILOR_PG_BIN:-}" && -x "$TAILOR_PG_BIN/pg_ctl" ]]; then echo "$TAILOR_PG_BIN"; return; fi
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [[ -x "$d/initdb" && -x "$d/pg_ctl" ]] && { echo "$d"; return; }
  done
  if command -v pg_ctl >/dev/null && command -v initdb >/dev/null; then dirname "$(command -v pg_ctl)"; return; fi
  echo "server.sh: PostgreSQL server binaries (initdb, pg_ctl) not found." >&2
  echo "  install them: apt-get install -y postgresql postgresql-client libpq-dev (scripts/bootstrap)," >&2
  echo "  or set TAILOR_PG_BIN to the directory holding initdb and pg_ctl" >&2
  exit 1
}

# Runs a command as the server's user (the invoking user unless root).
as_owner() {
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u "$owner" -- "$@"
  else
    "$@"
  fi
}

stop_server() {
  [[ -f "$dir/owner" ]] && owner=$(cat "$dir/owner")
  if [[ -f "$dir/data/postmaster.pid" ]]; then
    as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 20 stop >/dev/null 2>&1 ||
      as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w -t 20 stop >/dev/null 2>&1 || true
  fi
}

bin=$(find_bin)
owner=$(id -un)
if [[ $(id -u) -eq 0 ]]; then
  owner=postgres
  id postgres >/dev/null 2>&1 || owner=nobody
fi

case "$cmd" in
  stop)
    stop_server
    [[ -L "$dir/data" ]] && rm -rf "$(readlink "$dir/data")"
    rm -rf "$dir"
    ;;
  start)
    stop_server  # a server left behind by an interrupted run
    [[ -L "$dir/data" ]] && rm -rf "$(readlink "$dir/data")"
    rm -rf "$dir"
    mkdir -p "$dir"
    # The data directory must be reachable by the server's user; the build tree may not be.
    data="$dir/data"
    if [[ $(id -u) -eq 0 ]] && ! runuser -u "$owner" -- test -x "$dir"; then
      tmp=$(mktemp -d /tmp/tailor-pg-XXXXXX)
      chmod 755 "$tmp"
      ln -s "$tmp" "$data"
      data="$tmp"
    fi
    echo "$owner" >"$dir/owner"
    [[ $(id -u) -eq 0 ]] && { mkdir -p "$data"; chown "$owner" "$data"; }
    [[ -d "$data" ]] && chmod 700 "$data" 2>/dev/null || true
    as_owner "$bin/initdb" -D "$data" -U tailor --auth=trust --no-sync -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
      as_owner "$bin/initdb" -D "$data" -U tailor --auth=trust --no-sync -E UTF8 --locale=C >"$dir/initdb.log" 2>&1 ||
      { echo "server.sh: initdb failed:" >&2; cat "$dir/initdb.log" >&2; exit 1; }
    # A free port: let the server try; on "address in use" pick another.
    started=
    for attempt in 1 2 3 4 5 6 7 8 9 10; do
      port=$(( 20000 + (RANDOM * 7 + attempt * 131) % 40000 ))
      if as_owner "$bin/pg_ctl" -D "$data" -w -t 60 -l "$data/server.log" \
          -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories='' -c fsync=off -c shared_buffers=16MB -c max_connections=20" \
          start >/dev/null 2>&1; then
        started=1
        break
      fi
      grep -q "already in use" "$data/server.log" 2>/dev/null || break
    done
    if [[ -z "$started" ]]; then
      echo "server.sh: the PostgreSQL server did not start; its log:" >&2
      cat "$data/server.log" >&2 || true
      exit 1
    fi
    cat >"$dir/env.sh" <<ENV
export PGHOST=127.0.0.1 PGPORT=$port PGUSER=tailor PGDATABASE=postgres
export TAILOR_PG_BIN='$bin'
export TAILOR_PG_DSN='postgresql://tailor@127.0.0.1:$port/postgres'
ENV
    echo "server.sh: PostgreSQL ($("$bin/postgres" --version)) on 127.0.0.1:$port, data in $data"
    ;;
  *) echo "usage: server.sh start|stop DIR" >&2; exit 2 ;;
esac
