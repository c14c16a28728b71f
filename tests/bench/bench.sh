#!/usr/bin/env bash
# Benchmark symsrvd against nginx serving the same synthetic symbol store.
#
# Not part of the test suite: it takes about a minute and its numbers depend
# on the machine.  See tests/bench/README.md for what it measures.
#
# Usage: tests/bench/bench.sh [--nginx-only | --symsrvd-only] [-h]
set -euo pipefail
export LC_ALL=C

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/../.." && pwd)

# ---------------------------------------------------------------- settings --
BENCH_DIR=${BENCH_DIR:-/tmp/symsrvd-bench}
SYMSRVD=${SYMSRVD:-$REPO_ROOT/build/symsrvd}
SYMSRVD_ARGS=${SYMSRVD_ARGS:-}
NGINX=${NGINX:-/usr/sbin/nginx}
NGINX_EXTRA=${NGINX_EXTRA:-}
WRK=${WRK:-wrk}
WORKERS=${WORKERS:-1}
THREADS=${THREADS:-1}
CONNS=${CONNS:-32}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-2s}
FILES=${FILES:-10000}
SEED=${SEED:-20240601}
BIG_SIZE=${BIG_SIZE:-1G}
DOWNLOAD_TRIES=${DOWNLOAD_TRIES:-3}
SANITY_N=${SANITY_N:-5}
PIN=${PIN:-auto}
SYMSRVD_PORT=${SYMSRVD_PORT:-}
NGINX_PORT=${NGINX_PORT:-}
BENCH_SCENARIOS=${BENCH_SCENARIOS:-}
BENCH_HOOK=${BENCH_HOOK:-}
BENCH_OUT=${BENCH_OUT:-$BENCH_DIR/results.md}

STORE=$BENCH_DIR/store
LISTS=$BENCH_DIR/lists
RUN=$BENCH_DIR/run
BIG_NAME=big.pdb
BIG_KEY=7A3C9E2B41D84F6E9B0C5D1E2F3A4B5C1
BIG_PATH=/$BIG_NAME/$BIG_KEY/$BIG_NAME

usage() {
    cat <<EOF
Usage: tests/bench/bench.sh [--nginx-only | --symsrvd-only] [-h|--help]

Builds a synthetic symbol store, starts symsrvd and nginx on it, drives both
with wrk and prints a markdown comparison table.

Environment (defaults in brackets):
  BENCH_DIR       scratch dir, store is cached there       [/tmp/symsrvd-bench]
  BENCH_OUT       where to write the results table         [\$BENCH_DIR/results.md]
  SYMSRVD         symsrvd binary                           [<repo>/build/symsrvd]
  SYMSRVD_ARGS    extra symsrvd arguments (word-split)     []
  NGINX           nginx binary                             [/usr/sbin/nginx]
  NGINX_EXTRA     extra directives for nginx's server{}    []
  WORKERS         workers for both servers                 [1]
  THREADS, CONNS  wrk threads and connections              [1, 32]
  DURATION        wrk duration per scenario and server     [10s]
  WARMUP          unrecorded wrk run per server, 0 = none  [2s]
  FILES, SEED     store size and random seed               [10000, 20240601]
  BIG_SIZE        size of the big download file            [1G]
  DOWNLOAD_TRIES  big download attempts (best is kept)     [3]
  SANITY_N        paths per scenario checked with curl     [5]
  PIN             auto|1|0: pin servers and client to CPUs [auto]
  SYMSRVD_PORT, NGINX_PORT   fixed ports                   [free ports]
  BENCH_SCENARIOS extra scenarios, "name:list:status ..."  []
                  list relative to \$BENCH_DIR/lists; status either one code
                  for both servers or SYMSRVD/NGINX, e.g.
                  BENCH_SCENARIOS="hit-lower:hits_lower.txt:200/404"
  BENCH_HOOK      bash file sourced after the store is built; it may call
                  add_scenario NAME LISTFILE STATUS                     []
EOF
}

RUN_SYMSRVD=1
RUN_NGINX=1
while (($#)); do
    case $1 in
        --nginx-only) RUN_SYMSRVD=0 ;;
        --symsrvd-only) RUN_NGINX=0 ;;
        -h | --help) usage; exit 0 ;;
        *) echo "bench.sh: unknown argument: $1" >&2; usage >&2; exit 2 ;;
    esac
    shift
done
if ((RUN_SYMSRVD == 0 && RUN_NGINX == 0)); then
    echo "bench.sh: --nginx-only and --symsrvd-only exclude each other" >&2
    exit 2
fi

# ----------------------------------------------------------------- helpers --
log() { printf '[bench] %s\n' "$*" >&2; }
die() { printf '[bench] ERROR: %s\n' "$*" >&2; exit 1; }

NOTES=()
FAILED=0
note() { NOTES+=("$*"); log "note: $*"; }

need() {
    command -v "$1" >/dev/null 2>&1 || die "$1 not found${2:+ ($2)}"
}

# awk-based float helpers (bash has integers only).
calc() { awk "BEGIN { printf \"%s\", $1 }" </dev/null; }
fmt() { awk -v v="$2" "BEGIN { printf \"$1\", v }" </dev/null; }

# "1G" -> 1073741824
to_bytes() { numfmt --from=iec "$1"; }

# ------------------------------------------------------------- scenarios --
SC_NAME=()
SC_LIST=()
SC_EXPECT=()

# add_scenario NAME LISTFILE STATUS   (STATUS: "404" or "SYMSRVD/NGINX")
add_scenario() {
    local name=$1 list=$2 expect=$3
    [[ $name =~ ^[A-Za-z0-9_.-]+$ ]] || die "bad scenario name: $name"
    [[ $expect =~ ^[0-9]{3}(/[0-9]{3})?$ ]] || die "bad status for $name: $expect"
    [[ $list == /* ]] || list=$LISTS/$list
    [[ -s $list ]] || die "scenario $name: path list $list missing or empty"
    SC_NAME+=("$name")
    SC_LIST+=("$list")
    SC_EXPECT+=("$expect")
}

# expected_status EXPECT SERVER
expected_status() {
    local expect=$1 server=$2
    if [[ $expect == */* ]]; then
        if [[ $server == symsrvd ]]; then echo "${expect%/*}"; else echo "${expect#*/}"; fi
    else
        echo "$expect"
    fi
}

# ------------------------------------------------------------ processes --
SYMSRVD_PID=
NGINX_PID=

stop_pid() {
    local name=$1 pid=$2 i
    [[ -n $pid ]] || return 0
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        for ((i = 0; i < 50; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            log "$name (pid $pid) ignored SIGTERM, killing"
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    wait "$pid" 2>/dev/null || true
}

cleanup() {
    stop_pid symsrvd "$SYMSRVD_PID"
    SYMSRVD_PID=
    stop_pid nginx "$NGINX_PID"
    NGINX_PID=
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

server_pid() { if [[ $1 == symsrvd ]]; then echo "$SYMSRVD_PID"; else echo "$NGINX_PID"; fi; }
server_port() { if [[ $1 == symsrvd ]]; then echo "$SYMSRVD_PORT"; else echo "$NGINX_PORT"; fi; }
server_log() { if [[ $1 == symsrvd ]]; then echo "$RUN/symsrvd.stderr"; else echo "$RUN/nginx/error.log"; fi; }

die_server() {
    local server=$1
    shift
    {
        printf '[bench] ERROR: %s\n' "$*"
        printf '[bench] last lines of %s:\n' "$(server_log "$server")"
        tail -n 20 "$(server_log "$server")" 2>/dev/null | sed 's/^/    /'
    } >&2
    exit 1
}

check_alive() {
    local server=$1 pid
    pid=$(server_pid "$server")
    kill -0 "$pid" 2>/dev/null || die_server "$server" "$server (pid $pid) is no longer running ($2)"
}

wait_ready() {
    local server=$1 port pid code i
    port=$(server_port "$server")
    pid=$(server_pid "$server")
    for ((i = 0; i < 100; i++)); do
        kill -0 "$pid" 2>/dev/null || die_server "$server" "$server exited during startup"
        code=$(curl -s -o /dev/null --max-time 1 -w '%{http_code}' \
            "http://127.0.0.1:$port/" 2>/dev/null || true)
        if [[ -n $code && $code != 000 ]]; then
            log "$server is up on port $port (pid $pid)"
            return 0
        fi
        sleep 0.1
    done
    die_server "$server" "$server did not answer on port $port within 10 s"
}

# Every pid in the process tree rooted at $1.
pid_tree() {
    local p c
    for p in "$@"; do
        echo "$p"
        for c in $(pgrep -P "$p" 2>/dev/null || true); do
            pid_tree "$c"
        done
    done
}

# mem_kb SERVER FIELD -> sum of FIELD (VmRSS, VmHWM) in kB over the tree
mem_kb() {
    local pid total=0 v p
    pid=$(server_pid "$1")
    for p in $(pid_tree "$pid"); do
        v=$(awk -v f="$2:" '$1 == f { print $2 }' "/proc/$p/status" 2>/dev/null || true)
        total=$((total + ${v:-0}))
    done
    echo "$total"
}

# mem_sum FIELD PID...: MEM_SUM = sum of FIELD in kB.  No forks, so it can
# sample often without taking CPU from the servers.
MEM_SUM=0
mem_sum() {
    local field=$1 p k v _
    shift
    MEM_SUM=0
    for p in "$@"; do
        {
            while read -r k v _; do
                if [[ $k == "$field:" ]]; then
                    MEM_SUM=$((MEM_SUM + v))
                    break
                fi
            done <"/proc/$p/status"
        } 2>/dev/null || true
    done
}

# ------------------------------------------------------------ preflight --
need python3
need curl
need awk
need numfmt
need pgrep
need "$WRK" "apt-get install wrk"
SERVERS=()
if ((RUN_SYMSRVD)); then
    [[ -x $SYMSRVD ]] || die "symsrvd binary not found at $SYMSRVD (build it, set SYMSRVD=..., or use --nginx-only)"
    SERVERS+=(symsrvd)
fi
if ((RUN_NGINX)); then
    [[ -x $NGINX ]] || die "nginx not found at $NGINX (apt-get install nginx-light)"
    SERVERS+=(nginx)
fi
[[ $WORKERS =~ ^[1-9][0-9]*$ ]] || die "WORKERS must be a positive integer"
BIG_BYTES=$(to_bytes "$BIG_SIZE") || die "bad BIG_SIZE: $BIG_SIZE"

NCPU=$(nproc)
SERVER_PIN=()
CLIENT_PIN=()
PIN_DESC=none
if [[ $PIN != 0 ]]; then
    need taskset
    if ((WORKERS + THREADS <= NCPU)); then
        server_cpus=0-$((WORKERS - 1))
        client_cpus=$WORKERS-$((NCPU - 1))
        ((WORKERS > 1)) || server_cpus=0
        ((NCPU - WORKERS > 1)) || client_cpus=$WORKERS
        SERVER_PIN=(taskset -c "$server_cpus")
        CLIENT_PIN=(taskset -c "$client_cpus")
        PIN_DESC="servers on CPU $server_cpus, wrk/curl on CPU $client_cpus"
    elif [[ $PIN == 1 ]]; then
        die "PIN=1 but WORKERS+THREADS ($((WORKERS + THREADS))) > CPUs ($NCPU)"
    fi
fi

mkdir -p "$BENCH_DIR"
rm -rf "$RUN"
mkdir -p "$RUN" "$LISTS"

# ---------------------------------------------------------------- store --
log "building store in $STORE ($FILES files, seed $SEED)"
python3 "$SCRIPT_DIR/gen_store.py" --root "$STORE" --lists "$LISTS" \
    --count "$FILES" --misses "$FILES" --seed "$SEED" --keep "$BIG_NAME"

big_file=$STORE$BIG_PATH
# Reuse the big file only if it has the right size and is not sparse.
if [[ -f $big_file ]] &&
    (($(stat -c %s "$big_file") == BIG_BYTES)) &&
    (($(stat -c '%b * %B' "$big_file") >= BIG_BYTES)); then
    log "reusing $big_file"
else
    log "writing $BIG_SIZE of random data to $big_file"
    mkdir -p "$(dirname "$big_file")"
    head -c "$BIG_BYTES" /dev/urandom >"$big_file.tmp"
    mv "$big_file.tmp" "$big_file"
fi
echo "$BIG_PATH" >"$LISTS/big.txt"

# Same starting point for both servers: the whole store in the page cache.
log "warming the page cache"
find "$STORE" -type f -print0 | xargs -0 cat >/dev/null

add_scenario hit hits.txt 200
add_scenario miss misses.txt 404
# The hits in upper case: symsrvd folds case, nginx (case-sensitive) 404s.
add_scenario hit-folded hits_upper.txt 200/404
for spec in ${BENCH_SCENARIOS//;/ }; do
    IFS=: read -r sc_name sc_list sc_expect <<<"$spec"
    [[ -n $sc_name && -n $sc_list && -n $sc_expect ]] ||
        die "bad BENCH_SCENARIOS entry '$spec' (want name:list:status)"
    add_scenario "$sc_name" "$sc_list" "$sc_expect"
done
if [[ -n $BENCH_HOOK ]]; then
    [[ -f $BENCH_HOOK ]] || die "BENCH_HOOK file $BENCH_HOOK not found"
    # shellcheck source=/dev/null
    source "$BENCH_HOOK"
fi

# ---------------------------------------------------------------- ports --
if [[ -z $SYMSRVD_PORT || -z $NGINX_PORT ]]; then
    read -r p1 p2 < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(2)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))
for s in socks:
    s.close()
')
    SYMSRVD_PORT=${SYMSRVD_PORT:-$p1}
    NGINX_PORT=${NGINX_PORT:-$p2}
fi
[[ $SYMSRVD_PORT != "$NGINX_PORT" ]] || die "SYMSRVD_PORT and NGINX_PORT are equal"

# -------------------------------------------------------------- servers --
if ((RUN_SYMSRVD)); then
    read -ra extra_args <<<"$SYMSRVD_ARGS"
    log "starting $SYMSRVD on 127.0.0.1:$SYMSRVD_PORT with $WORKERS worker(s)"
    "${SERVER_PIN[@]}" "$SYMSRVD" -r "$STORE" -l "127.0.0.1:$SYMSRVD_PORT" \
        -w "$WORKERS" -a "$RUN/symsrvd-access.log" "${extra_args[@]}" \
        >"$RUN/symsrvd.stdout" 2>"$RUN/symsrvd.stderr" </dev/null &
    SYMSRVD_PID=$!
    wait_ready symsrvd
fi

if ((RUN_NGINX)); then
    ngx=$RUN/nginx
    mkdir -p "$ngx/tmp"
    conf=$(<"$SCRIPT_DIR/nginx.conf.in")
    user_line=
    if (($(id -u) == 0)); then
        user_line="user root;"
    fi
    conf=${conf//@USER_LINE@/$user_line}
    conf=${conf//@WORKERS@/$WORKERS}
    conf=${conf//@PREFIX@/$ngx}
    conf=${conf//@PORT@/$NGINX_PORT}
    conf=${conf//@ROOT@/$STORE}
    conf=${conf//@EXTRA@/$NGINX_EXTRA}
    printf '%s\n' "$conf" >"$ngx/nginx.conf"
    "$NGINX" -t -q -p "$ngx" -c "$ngx/nginx.conf" -e "$ngx/error.log" ||
        die "nginx rejected $ngx/nginx.conf"
    log "starting nginx on 127.0.0.1:$NGINX_PORT with $WORKERS worker(s)"
    "${SERVER_PIN[@]}" "$NGINX" -p "$ngx" -c "$ngx/nginx.conf" -e "$ngx/error.log" \
        >"$ngx/stdout" 2>"$ngx/stderr" </dev/null &
    NGINX_PID=$!
    wait_ready nginx
fi

declare -A RES=()
for server in "${SERVERS[@]}"; do
    RES[$server:rss_idle]=$(mem_kb "$server" VmRSS)
done

# --------------------------------------------------------------- sanity --
for i in "${!SC_NAME[@]}"; do
    for server in "${SERVERS[@]}"; do
        want=$(expected_status "${SC_EXPECT[$i]}" "$server")
        port=$(server_port "$server")
        while IFS= read -r path; do
            [[ -n $path ]] || continue
            out=$(curl -s -o /dev/null --max-time 10 -w '%{http_code} %{size_download}' \
                "http://127.0.0.1:$port$path" || true)
            read -r code size <<<"$out"
            if [[ $code != "$want" ]]; then
                die_server "$server" "sanity check failed for scenario ${SC_NAME[$i]}: $server answered ${code:-nothing} for $path, expected $want"
            fi
            if [[ $want == 200 && -f $STORE$path ]]; then
                disk=$(stat -c %s "$STORE$path")
                ((size == disk)) ||
                    die_server "$server" "sanity check failed: $server sent $size bytes for $path, file has $disk"
            fi
        done < <(head -n "$SANITY_N" "${SC_LIST[$i]}")
    done
    log "sanity ok: ${SC_NAME[$i]} (${SANITY_N} paths per server)"
done

# ------------------------------------------------------------------ wrk --
# run_wrk SERVER LIST OUTFILE DURATION
run_wrk() {
    local server=$1 list=$2 out=$3 dur=$4 port
    port=$(server_port "$server")
    if ! "${CLIENT_PIN[@]}" "$WRK" -t"$THREADS" -c"$CONNS" -d"$dur" --latency \
        -s "$SCRIPT_DIR/paths.lua" "http://127.0.0.1:$port" -- "$list" "$SEED" \
        >"$out" 2>&1; then
        sed 's/^/    /' "$out" >&2
        die "wrk failed against $server (output above, also in $out)"
    fi
}

if [[ $WARMUP != 0 ]]; then
    for server in "${SERVERS[@]}"; do
        log "warm-up: $server, $WARMUP"
        run_wrk "$server" "${SC_LIST[0]}" "$RUN/wrk-warmup-$server.txt" "$WARMUP"
    done
fi

for i in "${!SC_NAME[@]}"; do
    sc=${SC_NAME[$i]}
    for server in "${SERVERS[@]}"; do
        want=$(expected_status "${SC_EXPECT[$i]}" "$server")
        out=$RUN/wrk-$sc-$server.txt
        log "scenario $sc: $server, $DURATION, $CONNS connections"
        run_wrk "$server" "${SC_LIST[$i]}" "$out" "$DURATION"
        check_alive "$server" "after scenario $sc"
        line=$(grep '^BENCH ' "$out" | tail -n 1 || true)
        [[ -n $line ]] || die "no BENCH line in $out (wrk Lua done() did not run?)"
        declare -A m=()
        for kv in ${line#BENCH }; do
            m[${kv%%=*}]=${kv#*=}
        done
        RES[$sc:$server:rps]=${m[rps]}
        RES[$sc:$server:p50]=${m[p50_us]}
        RES[$sc:$server:p99]=${m[p99_us]}
        RES[$sc:$server:ok]=1
        if ((want < 400 && m[err_status] != 0)); then
            note "$sc/$server: ${m[err_status]} of ${m[requests]} responses were >= 400, expected all $want"
            RES[$sc:$server:ok]=0
            FAILED=1
        elif ((want >= 400 && m[err_status] != m[requests])); then
            note "$sc/$server: only ${m[err_status]} of ${m[requests]} responses were >= 400, expected all $want"
            RES[$sc:$server:ok]=0
            FAILED=1
        fi
        sock=$((m[err_connect] + m[err_read] + m[err_write] + m[err_timeout]))
        if ((sock != 0)); then
            note "$sc/$server: wrk socket errors: connect ${m[err_connect]}, read ${m[err_read]}, write ${m[err_write]}, timeout ${m[err_timeout]}"
        fi
        log "  $(fmt '%.0f' "${m[rps]}") req/s, p50 ${m[p50_us]} us, p99 ${m[p99_us]} us"
        unset m
    done
done

# ---------------------------------------------------------- big download --
for server in "${SERVERS[@]}"; do
    RES[$server:dl]=
done
# While curl runs, sample the server's RssAnon (heap etc.) and RssFile
# (mapped files) every 50 ms, to tell buffering in memory from mmap.
for server in "${SERVERS[@]}"; do
    RES[$server:dl_anon]=0
    RES[$server:dl_file]=0
done
for ((t = 1; t <= DOWNLOAD_TRIES; t++)); do
    for server in "${SERVERS[@]}"; do
        port=$(server_port "$server")
        mapfile -t pids < <(pid_tree "$(server_pid "$server")")
        dl_out=$RUN/download-$server-$t.txt
        "${CLIENT_PIN[@]}" curl -s -o /dev/null --max-time 300 \
            -w '%{http_code} %{time_total} %{size_download}' \
            "http://127.0.0.1:$port$BIG_PATH" >"$dl_out" 2>&1 &
        curl_pid=$!
        anon_max=${RES[$server:dl_anon]}
        file_max=${RES[$server:dl_file]}
        while kill -0 "$curl_pid" 2>/dev/null; do
            mem_sum RssAnon "${pids[@]}"
            ((MEM_SUM <= anon_max)) || anon_max=$MEM_SUM
            mem_sum RssFile "${pids[@]}"
            ((MEM_SUM <= file_max)) || file_max=$MEM_SUM
            sleep 0.05
        done
        RES[$server:dl_anon]=$anon_max
        RES[$server:dl_file]=$file_max
        wait "$curl_pid" || true
        out=$(<"$dl_out")
        read -r code secs size <<<"$out"
        [[ $code == 200 ]] ||
            die_server "$server" "big download from $server: HTTP ${code:-none} (curl: $out)"
        ((size == BIG_BYTES)) ||
            die_server "$server" "big download from $server: got $size bytes, expected $BIG_BYTES"
        log "big download $t/$DOWNLOAD_TRIES: $server ${secs}s"
        best=${RES[$server:dl]}
        if [[ -z $best ]] || (($(calc "$secs < $best"))); then
            RES[$server:dl]=$secs
        fi
    done
done

# ------------------------------------------------------------------ RSS --
for server in "${SERVERS[@]}"; do
    check_alive "$server" "before measuring memory"
    RES[$server:rss]=$(mem_kb "$server" VmRSS)
    RES[$server:hwm]=$(mem_kb "$server" VmHWM)
done

# --------------------------------------------------------------- report --
# val KEY: a result, empty if that server did not run
val() { echo "${RES[$1]-}"; }

# ratio_higher A B  -> "1.23x" (A/B)
ratio_higher() {
    [[ -n $1 && -n $2 ]] || { echo n/a; return; }
    calc "($2 > 0) ? sprintf(\"%.2fx\", $1 / $2) : \"n/a\""
}

# better_lower A B WORD -> "symsrvd 1.23x lower (better)"
better_lower() {
    local a=$1 b=$2 word=$3
    [[ -n $a && -n $b ]] || { echo n/a; return; }
    calc "($a <= 0 || $b <= 0) ? \"n/a\" : ($a < $b) ? sprintf(\"symsrvd %.2fx $word\", $b / $a) : ($b < $a) ? sprintf(\"nginx %.2fx $word\", $a / $b) : \"equal\""
}

us_cell() {
    [[ -n $1 ]] || { echo n/a; return; }
    if (($1 >= 1000)); then fmt '%.2f ms' "$(calc "$1 / 1000")"; else echo "$1 us"; fi
}
mib_cell() {
    [[ -n $1 ]] || { echo n/a; return; }
    fmt '%.1f MiB' "$(calc "$1 / 1024")"
}
rps_cell() {
    [[ -n $1 ]] || { echo n/a; return; }
    fmt '%.0f' "$1"
}
dl_cell() {
    [[ -n $1 ]] || { echo n/a; return; }
    fmt '%s' "$(calc "sprintf(\"%.3f s (%.0f MiB/s)\", $1, $BIG_BYTES / 1048576 / $1)")"
}
flag() { [[ ${RES[$1]-1} == 1 ]] || echo " (wrong status!)"; }

cpu_model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
nginx_ver=$("$NGINX" -v 2>&1 | sed 's|^nginx version: nginx/||')
wrk_ver=$("$WRK" -v 2>&1 | head -n 1 | sed 's/ Copyright.*//; s/^wrk //' || true)
libevent_ver=$(pkg-config --modversion libevent 2>/dev/null ||
    dpkg-query -W -f '${Version}' libevent-2.1-7 2>/dev/null || echo unknown)
git_rev=$(git -C "$REPO_ROOT" rev-parse --short HEAD 2>/dev/null || echo "no commit")
if ! git -C "$REPO_ROOT" diff --quiet HEAD 2>/dev/null; then git_rev="$git_rev (+local changes)"; fi
symsrvd_ver="not run"
if ((RUN_SYMSRVD)); then
    symsrvd_ver=$("$SYMSRVD" -V 2>/dev/null | head -n 1 || true)
    symsrvd_ver="${symsrvd_ver#symsrvd }, git $git_rev"
fi
big_mib=$((BIG_BYTES / 1048576))

S=symsrvd N=nginx
report=$RUN/results.md
{
    echo "## symsrvd vs nginx ($(date -u '+%Y-%m-%d %H:%M UTC'))"
    echo
    echo "- machine: ${NCPU} CPUs, ${cpu_model:-unknown CPU}, kernel $(uname -r)"
    echo "- versions: nginx ${nginx_ver}, wrk ${wrk_ver}, libevent ${libevent_ver}, symsrvd ${symsrvd_ver}"
    echo "- setup: ${WORKERS} worker(s) each; wrk -t${THREADS} -c${CONNS} -d${DURATION} (warm-up ${WARMUP}); pinning: ${PIN_DESC}"
    echo "- store: ${FILES} files of 1-64 KiB (seed ${SEED}) + one ${big_mib} MiB file, page cache warm; access logs on for both"
    echo
    echo "| scenario | symsrvd | nginx | ratio |"
    echo "|---|---:|---:|---|"
    for sc in "${SC_NAME[@]}"; do
        a=$(val "$sc:$S:rps") b=$(val "$sc:$N:rps")
        echo "| $sc: req/s | $(rps_cell "$a")$(flag "$sc:$S:ok") | $(rps_cell "$b")$(flag "$sc:$N:ok") | $(ratio_higher "$a" "$b") (symsrvd/nginx) |"
        a=$(val "$sc:$S:p50") b=$(val "$sc:$N:p50")
        echo "| $sc: p50 latency | $(us_cell "$a") | $(us_cell "$b") | $(better_lower "$a" "$b" 'lower (better)') |"
        a=$(val "$sc:$S:p99") b=$(val "$sc:$N:p99")
        echo "| $sc: p99 latency | $(us_cell "$a") | $(us_cell "$b") | $(better_lower "$a" "$b" 'lower (better)') |"
    done
    a=$(val "hit-folded:$S:rps") b=$(val "hit:$S:rps")
    if [[ -n $a && -n $b ]]; then
        echo "| symsrvd case-folded hits vs exact hits | $(rps_cell "$a") | $(rps_cell "$b") (exact) | $(ratio_higher "$a" "$b") (folded/exact) |"
    fi
    a=$(val "$S:dl") b=$(val "$N:dl")
    echo "| ${big_mib} MiB download, best of ${DOWNLOAD_TRIES} | $(dl_cell "$a") | $(dl_cell "$b") | $(better_lower "$a" "$b" 'faster') |"
    a=$(val "$S:dl_anon") b=$(val "$N:dl_anon")
    echo "| download: peak RssAnon (sampled) | $(mib_cell "$a") | $(mib_cell "$b") | $(ratio_higher "$a" "$b") (symsrvd/nginx, lower is better) |"
    a=$(val "$S:dl_file") b=$(val "$N:dl_file")
    echo "| download: peak RssFile (sampled) | $(mib_cell "$a") | $(mib_cell "$b") | $(ratio_higher "$a" "$b") (symsrvd/nginx, lower is better) |"
    a=$(val "$S:rss_idle") b=$(val "$N:rss_idle")
    echo "| RSS at start (VmRSS) | $(mib_cell "$a") | $(mib_cell "$b") | $(ratio_higher "$a" "$b") (symsrvd/nginx, lower is better) |"
    a=$(val "$S:rss") b=$(val "$N:rss")
    echo "| RSS after runs (VmRSS) | $(mib_cell "$a") | $(mib_cell "$b") | $(ratio_higher "$a" "$b") (symsrvd/nginx, lower is better) |"
    a=$(val "$S:hwm") b=$(val "$N:hwm")
    echo "| peak RSS (VmHWM) | $(mib_cell "$a") | $(mib_cell "$b") | $(ratio_higher "$a" "$b") (symsrvd/nginx, lower is better) |"
    echo
    echo "nginx memory is summed over master and workers; raw wrk output is in \`$RUN\`."
    if ((${#NOTES[@]})); then
        echo
        echo "Notes:"
        for n in "${NOTES[@]}"; do echo "- $n"; done
    fi
} >"$report"

# Access-log line counts, to show both servers really logged (stderr only).
if ((RUN_SYMSRVD)); then
    log "symsrvd access log: $(wc -l <"$RUN/symsrvd-access.log" 2>/dev/null || echo missing) lines"
fi
if ((RUN_NGINX)); then
    log "nginx access log: $(wc -l <"$RUN/nginx/access.log") lines"
fi

mkdir -p "$(dirname "$BENCH_OUT")"
if [[ $BENCH_OUT != "$report" ]]; then
    cp "$report" "$BENCH_OUT"
fi
cat "$report"
log "results written to $BENCH_OUT"
if ((FAILED)); then
    die "some responses had the wrong status (see Notes)"
fi
