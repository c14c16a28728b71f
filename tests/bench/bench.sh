#!/usr/bin/env bash
# Benchmark symsrvd against nginx, h2o and lighttpd serving the same
# synthetic symbol store, on the same cores, in alternating rounds.
#
# Not part of the test suite: it takes about a quarter of an hour and its
# numbers depend on the machine.  See tests/bench/README.md for what it
# measures.
#
# Usage: tests/bench/bench.sh [--only LIST | --nginx-only | --symsrvd-only] [-h]
set -euo pipefail
export LC_ALL=C

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/../.." && pwd)

# ---------------------------------------------------------------- settings --
BENCH_DIR=${BENCH_DIR:-/tmp/symsrvd-bench}
SERVERS=${SERVERS:-symsrvd nginx h2o lighttpd}
SYMSRVD=${SYMSRVD:-$REPO_ROOT/build/symsrvd}
SYMSRVD_ARGS=${SYMSRVD_ARGS:-}
NGINX=${NGINX:-/usr/sbin/nginx}
NGINX_EXTRA=${NGINX_EXTRA:-}
H2O=${H2O:-/usr/bin/h2o}
H2O_EXTRA=${H2O_EXTRA:-}
LIGHTTPD=${LIGHTTPD:-/usr/sbin/lighttpd}
LIGHTTPD_EXTRA=${LIGHTTPD_EXTRA:-}
WRK=${WRK:-wrk}
WORKERS=${WORKERS:-1}
THREADS=${THREADS:-1}
CONNS=${CONNS:-32}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-2s}
ROUNDS=${ROUNDS:-3}
FILES=${FILES:-10000}
SEED=${SEED:-20240601}
BIG_SIZE=${BIG_SIZE:-1G}
TLS=${TLS:-1}
IDLE_CONNS=${IDLE_CONNS:-10000}
SANITY_N=${SANITY_N:-5}
PIN=${PIN:-auto}
BENCH_SCENARIOS=${BENCH_SCENARIOS:-}
BENCH_HOOK=${BENCH_HOOK:-}
BENCH_OUT=${BENCH_OUT:-$BENCH_DIR/results.md}

STORE=$BENCH_DIR/store
LISTS=$BENCH_DIR/lists
RUN=$BENCH_DIR/run
BIG_NAME=big.pdb
BIG_KEY=7A3C9E2B41D84F6E9B0C5D1E2F3A4B5C1
BIG_PATH=/$BIG_NAME/$BIG_KEY/$BIG_NAME
ALL_SERVERS="symsrvd nginx h2o lighttpd"
UA_BASE="symsrvd-bench/1"

usage() {
    cat <<EOF
Usage: tests/bench/bench.sh [--only LIST | --nginx-only | --symsrvd-only] [-h|--help]

Builds a synthetic symbol store, serves it with symsrvd, nginx, h2o and
lighttpd (one worker each, same cores), drives them in alternating rounds
with wrk and curl, and prints a markdown table: req/s and the server's CPU
time per request for every scenario, medians per server and the median of
the per-round ratios symsrvd/peer.

  --only LIST       servers to run, e.g. --only "symsrvd nginx" (= SERVERS)
  --nginx-only      same as --only nginx (checks the harness without symsrvd)
  --symsrvd-only    same as --only symsrvd

Environment (defaults in brackets):
  BENCH_DIR       scratch dir, store is cached there       [/tmp/symsrvd-bench]
  BENCH_OUT       where to write the results table         [\$BENCH_DIR/results.md]
  SERVERS         servers to run, in column order  [symsrvd nginx h2o lighttpd]
  SYMSRVD         symsrvd binary                           [<repo>/build/symsrvd]
  SYMSRVD_ARGS    extra symsrvd arguments (word-split)     []
  NGINX, H2O, LIGHTTPD   peer binaries      [/usr/sbin/nginx, /usr/bin/h2o,
                                             /usr/sbin/lighttpd]
  NGINX_EXTRA, H2O_EXTRA, LIGHTTPD_EXTRA  text put in the peer's config at
                  @EXTRA@ (nginx: inside server{}; h2o, lighttpd: at the end)
  WORKERS         workers (threads/processes) per server   [1]
  THREADS, CONNS  wrk threads and connections              [1, 32]
  DURATION        wrk duration per scenario, server, round [10s]
  WARMUP          unrecorded wrk run per server, 0 = none  [2s]
  ROUNDS          rounds; each runs every scenario on every
                  server, the server order rotating        [3]
  FILES, SEED     store size and random seed               [10000, 20240601]
  BIG_SIZE        size of the big download file            [1G]
  TLS             1: also serve HTTPS, download over it    [1]
  IDLE_CONNS      idle keep-alive connections, 0 = skip    [10000]
  SANITY_N        paths per scenario checked with curl     [5]
  PIN             auto|1|0: pin servers and client to CPUs [auto]
  SYMSRVD_PORT, NGINX_PORT, H2O_PORT, LIGHTTPD_PORT and the same with
  _TLS_PORT       fixed ports                              [free ports]
  BENCH_SCENARIOS extra scenarios "name:list:status[:Header: value]",
                  separated by ';' (or by spaces when no header has one);
                  list relative to \$BENCH_DIR/lists, @SERVER@ in it is
                  replaced by the server's name; status one code for all
                  servers or SYMSRVD/PEERS, PEERS "-" for symsrvd only, e.g.
                  BENCH_SCENARIOS="hit-lower:hits_lower.txt:200/-"
  BENCH_HOOK      bash file sourced after the store is built and before
                  the servers start; it may call
                  add_scenario NAME LIST STATUS [HEADER...]
                  and define bench_hook_servers_up, called once every
                  server answers (server_port NAME gives its port)  []
EOF
}

while (($#)); do
    case $1 in
        --only) SERVERS=${2:?--only needs a list}; shift ;;
        --nginx-only) SERVERS=nginx ;;
        --symsrvd-only) SERVERS=symsrvd ;;
        -h | --help) usage; exit 0 ;;
        *) echo "bench.sh: unknown argument: $1" >&2; usage >&2; exit 2 ;;
    esac
    shift
done

# ----------------------------------------------------------------- helpers --
log() { printf '[bench %4ss] %s\n' "$SECONDS" "$*" >&2; }
die() { printf '[bench] ERROR: %s\n' "$*" >&2; exit 1; }

FAILED=0
note() { printf '%s\n' "$*" >>"$RUN/notes.txt"; log "note: $*"; }

need() {
    command -v "$1" >/dev/null 2>&1 || die "$1 not found${2:+ ($2)}"
}

# awk-based float helper (bash has integers only).
calc() { awk "BEGIN { printf \"%s\", $1 }" </dev/null; }

# "1G" -> 1073741824
to_bytes() { numfmt --from=iec "$1"; }

# "10s" / "2m" / "500ms" -> seconds, as wrk reads its -d
dur_secs() {
    case $1 in
        *ms) calc "${1%ms} / 1000" ;;
        *s) echo "${1%s}" ;;
        *m) calc "${1%m} * 60" ;;
        *h) calc "${1%h} * 3600" ;;
        *) echo "$1" ;;
    esac
}

# result ROUND SCENARIO SERVER METRIC VALUE
result() { printf '%s\t%s\t%s\t%s\t%s\n' "$@" >>"$RUN/results.tsv"; }

# ------------------------------------------------------------- scenarios --
SC_NAME=()
SC_LIST=()
SC_EXPECT=()
SC_SIZE=()
SC_HDRS=()
SC_DESC=()

# add_scenario NAME LIST STATUS [HEADER...]
#   STATUS: "404" for all servers, or "SYMSRVD/PEERS" ("200/-": symsrvd
#   only).  LIST may hold @SERVER@, and its lines may carry TAB-separated
#   header fields of their own (see paths.lua).  HEADERs ("Name: value")
#   go with every request of the scenario, from wrk and from the sanity
#   check alike.
add_scenario() {
    local name=$1 list=$2 expect=$3 h size=- desc
    shift 3
    [[ $name =~ ^[A-Za-z0-9_.-]+$ ]] || die "bad scenario name: $name"
    [[ $name != dl-* && $name != idle && $name != memory ]] ||
        die "scenario name $name is reserved"
    [[ $expect =~ ^[0-9]{3}(/([0-9]{3}|-))?$ ]] || die "bad status for $name: $expect"
    [[ $list == /* ]] || list=$LISTS/$list
    if [[ $list != *@SERVER@* ]]; then
        [[ -s $list ]] || die "scenario $name: path list $list missing or empty"
    fi
    for h in "$@"; do
        [[ $h =~ ^[A-Za-z0-9-]+: && $h != *$'\t'* && $h != *$'\n'* ]] ||
            die "scenario $name: bad header '$h' (want 'Name: value')"
    done
    # What a sanity check can expect of the body's size.
    case ${expect%/*} in
        200) size='file' ;;
        304) size=0 ;;
        206)
            for h in "$@"; do
                if [[ $h =~ ^[Rr]ange:\ ?bytes=([0-9]+)-([0-9]+)$ ]]; then
                    size=$((BASH_REMATCH[2] - BASH_REMATCH[1] + 1))
                fi
            done
            ;;
    esac
    desc="GET \`${list#"$LISTS"/}\`"
    # shellcheck disable=SC2016 # backquotes for markdown
    (($#)) && desc+=" with $(printf '`%s` ' "$@")"
    SC_NAME+=("$name")
    SC_LIST+=("$list")
    SC_EXPECT+=("$expect")
    SC_SIZE+=("$size")
    SC_HDRS+=("$(printf '%s\n' "$@")")
    SC_DESC+=("${desc% }")
}

# expected_status EXPECT SERVER  ("-": the scenario does not run there)
expected_status() {
    local expect=$1 server=$2
    if [[ $expect == */* ]]; then
        if [[ $server == symsrvd ]]; then echo "${expect%/*}"; else echo "${expect#*/}"; fi
    else
        echo "$expect"
    fi
}

sc_list_for() { echo "${SC_LIST[$1]//@SERVER@/$2}"; }

# ------------------------------------------------------------ processes --
declare -A PID=() PORT=() TLS_PORT=() ACCESS_LOG=() ERR_LOG=() DEAD=() CELL_FAIL=()

stop_pid() {
    local name=$1 pid=$2 i
    [[ -n $pid ]] || return 0
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        for ((i = 0; i < 100; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            log "$name (pid $pid) ignored SIGTERM for 10 s, killing"
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    wait "$pid" 2>/dev/null || true
}

stop_servers() {
    local s
    for s in "${!PID[@]}"; do
        stop_pid "$s" "${PID[$s]}"
        unset "PID[$s]"
    done
}
trap stop_servers EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

server_port() { echo "${PORT[$1]}"; }

log_tail() {
    local f=$1
    printf '[bench] last lines of %s:\n' "$f" >&2
    tail -n 20 "$f" 2>/dev/null | sed 's/^/    /' >&2 || true
}

# fail_server SERVER MESSAGE: the server's whole column is FAILED; it is
# stopped and the other servers go on.
fail_server() {
    local s=$1
    shift
    printf '[bench] ERROR: %s: %s\n' "$s" "$*" >&2
    log_tail "${ERR_LOG[$s]:-/dev/null}"
    printf '%s\t*\t%s\n' "$s" "$*" >>"$RUN/failures.tsv"
    DEAD[$s]=1
    FAILED=1
    if [[ -n ${PID[$s]:-} ]]; then
        stop_pid "$s" "${PID[$s]}"
        unset "PID[$s]"
    fi
}

# fail_cell SERVER SCENARIO MESSAGE: that server is not measured on that
# scenario (its cell says FAILED, the message goes under the table).
fail_cell() {
    local s=$1 sc=$2
    shift 2
    printf '[bench] ERROR: %s, scenario %s: %s\n' "$s" "$sc" "$*" >&2
    printf '%s\t%s\t%s\n' "$s" "$sc" "$*" >>"$RUN/failures.tsv"
    CELL_FAIL[$s:$sc]=1
    FAILED=1
}

alive() { [[ -z ${DEAD[$1]:-} ]]; }
measurable() { alive "$1" && [[ -z ${CELL_FAIL[$1:$2]:-} ]]; }

# check_alive SERVER WHEN: fail the server if it exited.
check_alive() {
    local s=$1
    alive "$s" || return 1
    if ! kill -0 "${PID[$s]}" 2>/dev/null; then
        fail_server "$s" "exited ($2)"
        return 1
    fi
}

wait_ready() {
    local s=$1 code i
    for ((i = 0; i < 100; i++)); do
        if ! kill -0 "${PID[$s]}" 2>/dev/null; then
            fail_server "$s" "exited during start-up"
            return 1
        fi
        code=$(curl -s -o /dev/null --max-time 1 -w '%{http_code}' \
            "http://127.0.0.1:${PORT[$s]}/" 2>/dev/null || true)
        if [[ -n $code && $code != 000 ]]; then
            log "$s is up on port ${PORT[$s]} (pid ${PID[$s]})"
            return 0
        fi
        sleep 0.1
    done
    fail_server "$s" "did not answer on port ${PORT[$s]} within 10 s"
    return 1
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

# mem_sum FIELD PID...: MEM_SUM = sum of FIELD (VmRSS, RssAnon...) in kB.
# No forks, so it can sample often without taking CPU from the servers.
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

# cpu_ticks PID...: CPU_TICKS = sum of utime+stime (fields 14 and 15 of
# /proc/PID/stat, all threads of each process) in clock ticks.  No forks.
CPU_TICKS=0
cpu_ticks() {
    local p line rest f
    CPU_TICKS=0
    for p in "$@"; do
        { read -r line <"/proc/$p/stat"; } 2>/dev/null || continue
        rest=${line##*) }
        read -ra f <<<"$rest"
        # rest starts at field 3 (state): field N is f[N-3].
        CPU_TICKS=$((CPU_TICKS + f[11] + f[12]))
    done
}

server_mem_kb() {
    local pids
    mapfile -t pids < <(pid_tree "${PID[$1]}")
    mem_sum "$2" "${pids[@]}"
    echo "$MEM_SUM"
}

# -------------------------------------------------------------- requests --
# curl_args SCENARIO_INDEX LINE: CURL_ARGS = header options for one list line
CURL_ARGS=()
curl_args() {
    local i=$1 line=$2 h rest
    CURL_ARGS=()
    while IFS= read -r h; do
        [[ -n $h ]] && CURL_ARGS+=(-H "$h")
    done <<<"${SC_HDRS[$i]}"
    if [[ $line == *$'\t'* ]]; then
        rest=${line#*$'\t'}
        while IFS= read -r h; do
            [[ -n $h ]] && CURL_ARGS+=(-H "$h")
        done <<<"${rest//$'\t'/$'\n'}"
    fi
}

# sanity SERVER SCENARIO_INDEX: curl the first SANITY_N lines; returns 1
# (and fails the cell) on a wrong status or size.
sanity() {
    local s=$1 i=$2 sc want list line path out code size disk
    sc=${SC_NAME[$i]}
    want=$(expected_status "${SC_EXPECT[$i]}" "$s")
    list=$(sc_list_for "$i" "$s")
    if [[ ! -s $list ]]; then
        fail_cell "$s" "$sc" "sanity: path list $list missing or empty"
        return 1
    fi
    while IFS= read -r line; do
        [[ -n $line ]] || continue
        path=${line%%$'\t'*}
        curl_args "$i" "$line"
        out=$("${CLIENT_PIN[@]}" curl -s --http1.1 -o /dev/null --max-time 10 \
            -A "$UA_BASE (sanity)" "${CURL_ARGS[@]}" \
            -w '%{http_code} %{size_download}' "http://127.0.0.1:${PORT[$s]}$path" || true)
        read -r code size <<<"$out"
        if [[ $code != "$want" ]]; then
            fail_cell "$s" "$sc" "sanity: answered ${code:-nothing} for $path${CURL_ARGS[*]:+ (${CURL_ARGS[*]})}, expected $want"
            return 1
        fi
        case ${SC_SIZE[$i]} in
            file)
                if [[ $want == 200 && -f $STORE$path ]]; then
                    disk=$(stat -c %s "$STORE$path")
                    if ((size != disk)); then
                        fail_cell "$s" "$sc" "sanity: sent $size bytes for $path, the file has $disk"
                        return 1
                    fi
                fi
                ;;
            -) ;;
            *)
                if ((size != SC_SIZE[i])); then
                    fail_cell "$s" "$sc" "sanity: sent a body of $size bytes for $path${CURL_ARGS[*]:+ (${CURL_ARGS[*]})}, expected ${SC_SIZE[$i]}"
                    return 1
                fi
                ;;
        esac
    done < <(head -n "$SANITY_N" "$list")
    return 0
}

# run_wrk SERVER SCENARIO_INDEX OUTFILE DURATION USER_AGENT
run_wrk() {
    local s=$1 i=$2 out=$3 dur=$4 ua=$5 list h hdrs=()
    list=$(sc_list_for "$i" "$s")
    while IFS= read -r h; do
        [[ -n $h ]] && hdrs+=("$h")
    done <<<"${SC_HDRS[$i]}"
    "${CLIENT_PIN[@]}" "$WRK" -t"$THREADS" -c"$CONNS" -d"$dur" --latency \
        -s "$SCRIPT_DIR/paths.lua" "http://127.0.0.1:${PORT[$s]}" -- \
        "$list" "$SEED" "User-Agent: $ua" "${hdrs[@]}" >"$out" 2>&1
}

# measure_wrk ROUND SERVER SCENARIO_INDEX
measure_wrk() {
    local r=$1 s=$2 i=$3 sc want out ua line kv pids t0 t1 secs cpu_s sock
    sc=${SC_NAME[$i]}
    want=$(expected_status "${SC_EXPECT[$i]}" "$s")
    out=$RUN/wrk-$sc-$s-r$r.txt
    ua="$UA_BASE (run=$sc.r$r)"
    mapfile -t pids < <(pid_tree "${PID[$s]}")
    log "round $r, $sc: $s, $DURATION, $CONNS connections"
    cpu_ticks "${pids[@]}"
    t0=$CPU_TICKS
    if ! run_wrk "$s" "$i" "$out" "$DURATION" "$ua"; then
        sed 's/^/    /' "$out" >&2
        fail_cell "$s" "$sc" "wrk failed (output in $out)"
        return 0
    fi
    cpu_ticks "${pids[@]}"
    t1=$CPU_TICKS
    check_alive "$s" "after round $r of scenario $sc" || return 0
    line=$(grep '^BENCH ' "$out" | tail -n 1 || true)
    if [[ -z $line ]]; then
        fail_cell "$s" "$sc" "no BENCH line in $out (wrk's Lua done() did not run?)"
        return 0
    fi
    local -A m=()
    for kv in ${line#BENCH }; do
        m[${kv%%=*}]=${kv#*=}
    done
    if ((m[requests] == 0)); then
        fail_cell "$s" "$sc" "round $r: no response in $DURATION"
        return 0
    fi
    secs=$(calc "${m[duration_us]} / 1000000")
    cpu_s=$(calc "($t1 - $t0) / $CLK_TCK")
    result "$r" "$sc" "$s" rps "${m[rps]}"
    result "$r" "$sc" "$s" cpu_us "$(calc "$cpu_s * 1000000 / ${m[requests]}")"
    result "$r" "$sc" "$s" busy "$(calc "100 * $cpu_s / $secs")"
    result "$r" "$sc" "$s" p50_us "${m[p50_us]}"
    result "$r" "$sc" "$s" p99_us "${m[p99_us]}"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$s" "$sc" "$r" "$ua" "$want" \
        "${m[requests]}" "${ACCESS_LOG[$s]}" >>"$RUN/runs.tsv"
    # wrk only tells >= 400 from the rest; the access-log audit at the end
    # checks every status exactly.
    if ((want < 400 && m[err_status] != 0)); then
        note "$sc/$s round $r: ${m[err_status]} of ${m[requests]} responses were >= 400, expected all $want"
        FAILED=1
    elif ((want >= 400 && m[err_status] != m[requests])); then
        note "$sc/$s round $r: only ${m[err_status]} of ${m[requests]} responses were >= 400, expected all $want"
        FAILED=1
    fi
    sock=$((m[err_connect] + m[err_read] + m[err_write] + m[err_timeout]))
    if ((sock != 0)); then
        note "$sc/$s round $r: wrk socket errors: connect ${m[err_connect]}, read ${m[err_read]}, write ${m[err_write]}, timeout ${m[err_timeout]}"
    fi
    log "  $(calc "sprintf(\"%.0f\", ${m[rps]})") req/s, $(calc "sprintf(\"%.2f\", $cpu_s * 1000000 / ${m[requests]})") us CPU/request, p50 ${m[p50_us]} us, p99 ${m[p99_us]} us"
}

# measure_download ROUND SERVER PROTO(http|https)
measure_download() {
    local r=$1 s=$2 proto=$3 sc=dl-$3 url pids dl_out curl_pid anon_max=0 file_max=0
    local t0 t1 out code secs size
    if [[ $proto == https ]]; then
        url="https://127.0.0.1:${TLS_PORT[$s]}$BIG_PATH"
    else
        url="http://127.0.0.1:${PORT[$s]}$BIG_PATH"
    fi
    mapfile -t pids < <(pid_tree "${PID[$s]}")
    dl_out=$RUN/download-$proto-$s-r$r.txt
    cpu_ticks "${pids[@]}"
    t0=$CPU_TICKS
    "${CLIENT_PIN[@]}" curl -s -k --http1.1 -o /dev/null --max-time 300 \
        -A "$UA_BASE (run=$sc.r$r)" \
        -w '%{http_code} %{time_total} %{size_download}' "$url" >"$dl_out" 2>&1 &
    curl_pid=$!
    # Sample RssAnon (heap, buffers) and RssFile (mapped files) every 50 ms,
    # to tell buffering in memory from mmap.
    while kill -0 "$curl_pid" 2>/dev/null; do
        mem_sum RssAnon "${pids[@]}"
        ((MEM_SUM <= anon_max)) || anon_max=$MEM_SUM
        mem_sum RssFile "${pids[@]}"
        ((MEM_SUM <= file_max)) || file_max=$MEM_SUM
        sleep 0.05
    done
    wait "$curl_pid" || true
    cpu_ticks "${pids[@]}"
    t1=$CPU_TICKS
    out=$(<"$dl_out")
    read -r code secs size <<<"$out"
    if [[ $code != 200 ]]; then
        fail_cell "$s" "$sc" "round $r: HTTP ${code:-none} (curl: $out)"
        return 0
    fi
    if ((size != BIG_BYTES)); then
        fail_cell "$s" "$sc" "round $r: got $size bytes, expected $BIG_BYTES"
        return 0
    fi
    result "$r" "$sc" "$s" secs "$secs"
    result "$r" "$sc" "$s" cpu_ms "$(calc "($t1 - $t0) * 1000 / $CLK_TCK")"
    result "$r" "$sc" "$s" anon_kb "$anon_max"
    result "$r" "$sc" "$s" file_kb "$file_max"
    log "round $r, $sc: $s ${secs}s, server CPU $(calc "($t1 - $t0) * 1000 / $CLK_TCK") ms"
}

# measure_idle ROUND SERVER
measure_idle() {
    local r=$1 s=$2 pids out line t0 t1 kv
    mapfile -t pids < <(pid_tree "${PID[$s]}")
    out=$RUN/idle-$s-r$r.txt
    log "round $r, idle: $s, $IDLE_CONNS connections"
    cpu_ticks "${pids[@]}"
    t0=$CPU_TICKS
    "${CLIENT_PIN[@]}" python3 "$SCRIPT_DIR/idle_conns.py" --port "${PORT[$s]}" \
        --count "$IDLE_CONNS" --path "$(head -n 1 "$LISTS/hits.txt")" \
        --pids "${pids[*]}" --user-agent "$UA_BASE (run=idle.r$r)" >"$out" 2>&1 || true
    # Give the server a moment to take the resets in before reading its CPU.
    sleep 0.5
    cpu_ticks "${pids[@]}"
    t1=$CPU_TICKS
    check_alive "$s" "after round $r of the idle scenario" || return 0
    line=$(grep '^IDLE ' "$out" || true)
    if [[ -z $line ]]; then
        sed 's/^/    /' "$out" >&2
        fail_cell "$s" idle "round $r: idle_conns.py failed (output in $out)"
        return 0
    fi
    local -A m=()
    for kv in ${line#IDLE }; do
        m[${kv%%=*}]=${kv#*=}
    done
    if ((m[open] != IDLE_CONNS)); then
        fail_cell "$s" idle "round $r: only ${m[open]} of $IDLE_CONNS connections open at the end (${m[errors]} failed, first error: ${m[first_error]})"
        return 0
    fi
    result "$r" idle "$s" rss_kb "${m[rss_kb]}"
    result "$r" idle "$s" per_conn_b "$(calc "(${m[rss_kb]} - ${m[rss_before_kb]}) * 1024 / $IDLE_CONNS")"
    result "$r" idle "$s" cpu_us "$(calc "($t1 - $t0) * 1000000 / $CLK_TCK / $IDLE_CONNS")"
    log "  VmRSS $((m[rss_before_kb] / 1024)) -> $((m[rss_kb] / 1024)) MiB, opened in ${m[secs]} s"
}

# --------------------------------------------------------------- servers --
# fill_template IN OUT SERVER EXTRA USER_LINE
fill_template() {
    local conf s=$3
    conf=$(<"$1")
    conf=${conf//@USER_LINE@/$5}
    conf=${conf//@WORKERS@/$WORKERS}
    conf=${conf//@MAXWORKER@/$((WORKERS > 1 ? WORKERS : 0))}
    conf=${conf//@NOFILE@/$NOFILE}
    conf=${conf//@MAXCONN@/$MAXCONN}
    conf=${conf//@PREFIX@/$RUN/$s}
    conf=${conf//@PORT@/${PORT[$s]}}
    conf=${conf//@TLS_PORT@/${TLS_PORT[$s]}}
    conf=${conf//@TLS_CERT@/$TLS_CERT}
    conf=${conf//@TLS_KEY@/$TLS_KEY}
    conf=${conf//@ROOT@/$STORE}
    conf=${conf//@EXTRA@/$4}
    printf '%s\n' "$conf" >"$2"
}

start_server() {
    local s=$1 dir=$RUN/$1 user_line='' extra_args=() more_args=() tls_args=() conf
    mkdir -p "$dir"
    ERR_LOG[$s]=$dir/error.log
    ACCESS_LOG[$s]=$dir/access.log
    case $s in
        symsrvd)
            ERR_LOG[$s]=$dir/stderr
            if [[ ! -x $SYMSRVD ]]; then
                fail_server "$s" "no executable at $SYMSRVD (build it, or set SYMSRVD)"
                return 0
            fi
            # The same connection cap as the peers', where the binary has one.
            if "$SYMSRVD" --help 2>&1 | grep -q -- --max-connections; then
                extra_args+=(--max-connections "$MAXCONN")
            fi
            read -ra more_args <<<"$SYMSRVD_ARGS"
            extra_args+=("${more_args[@]}")
            if ((TLS)); then
                tls_args=(--tls-listen "127.0.0.1:${TLS_PORT[$s]}"
                    --tls-cert "$TLS_CERT" --tls-key "$TLS_KEY")
            fi
            "${SERVER_PIN[@]}" "$SYMSRVD" -r "$STORE" -l "127.0.0.1:${PORT[$s]}" \
                "${tls_args[@]}" -w "$WORKERS" -a "${ACCESS_LOG[$s]}" "${extra_args[@]}" \
                >"$dir/stdout" 2>"$dir/stderr" </dev/null &
            ;;
        nginx)
            if [[ ! -x $NGINX ]]; then
                fail_server "$s" "no executable at $NGINX (apt-get install nginx-light, or set NGINX)"
                return 0
            fi
            mkdir -p "$dir/tmp"
            (($(id -u) == 0)) && user_line="user root;"
            conf=$dir/nginx.conf
            fill_template "$SCRIPT_DIR/nginx.conf.in" "$conf" "$s" "$NGINX_EXTRA" "$user_line"
            ((TLS)) || sed -i '/ssl/d' "$conf"
            if ! "$NGINX" -t -q -p "$dir" -c "$conf" -e "${ERR_LOG[$s]}" 2>"$dir/check.txt"; then
                ERR_LOG[$s]=$dir/check.txt
                fail_server "$s" "nginx rejected $conf"
                return 0
            fi
            "${SERVER_PIN[@]}" "$NGINX" -p "$dir" -c "$conf" -e "${ERR_LOG[$s]}" \
                >"$dir/stdout" 2>"$dir/stderr" </dev/null &
            ;;
        h2o)
            if [[ ! -x $H2O ]]; then
                fail_server "$s" "no executable at $H2O (apt-get install h2o, or set H2O)"
                return 0
            fi
            (($(id -u) == 0)) && user_line="user: root"
            conf=$dir/h2o.conf
            fill_template "$SCRIPT_DIR/h2o.conf.in" "$conf" "$s" "$H2O_EXTRA" "$user_line"
            if ((TLS == 0)); then
                python3 - "$conf" <<'EOF'
import re, sys
p = sys.argv[1]
s = open(p).read()
s = re.sub(r"listen:\n  host: 127.0.0.1\n  port: \d+\n  ssl:\n(    .*\n)+", "", s)
open(p, "w").write(s)
EOF
            fi
            if ! "$H2O" -t -c "$conf" >"$dir/check.txt" 2>&1; then
                ERR_LOG[$s]=$dir/check.txt
                fail_server "$s" "h2o rejected $conf"
                return 0
            fi
            "${SERVER_PIN[@]}" "$H2O" -c "$conf" >"$dir/stdout" 2>"$dir/stderr" </dev/null &
            ;;
        lighttpd)
            if [[ ! -x $LIGHTTPD ]]; then
                fail_server "$s" "no executable at $LIGHTTPD (apt-get install lighttpd, or set LIGHTTPD)"
                return 0
            fi
            conf=$dir/lighttpd.conf
            fill_template "$SCRIPT_DIR/lighttpd.conf.in" "$conf" "$s" "$LIGHTTPD_EXTRA" ""
            if ((TLS == 0)); then
                # shellcheck disable=SC2016 # a literal $SERVER
                sed -i '/^\$SERVER\["socket"\]/,/^}/d; s/, "mod_openssl"//' "$conf"
            fi
            if ! "$LIGHTTPD" -tt -f "$conf" >"$dir/check.txt" 2>&1; then
                ERR_LOG[$s]=$dir/check.txt
                fail_server "$s" "lighttpd rejected $conf"
                return 0
            fi
            "${SERVER_PIN[@]}" "$LIGHTTPD" -D -f "$conf" >"$dir/stdout" 2>"$dir/stderr" </dev/null &
            ;;
        *) die "unknown server $s (known: $ALL_SERVERS)" ;;
    esac
    PID[$s]=$!
    if ((TLS)); then
        log "starting $s on 127.0.0.1:${PORT[$s]} (HTTPS ${TLS_PORT[$s]}) with $WORKERS worker(s)"
    else
        log "starting $s on 127.0.0.1:${PORT[$s]} with $WORKERS worker(s)"
    fi
    wait_ready "$s" || true
}

# https_sanity SERVER: a small hit over HTTPS; records the TLS version and
# cipher curl negotiated.
https_sanity() {
    local s=$1 path out code size want proto
    path=$(head -n 1 "$LISTS/hits.txt")
    want=$(stat -c %s "$STORE$path")
    out=$("${CLIENT_PIN[@]}" curl -sv -k --http1.1 -o /dev/null --max-time 10 \
        -A "$UA_BASE (sanity)" -w 'RESULT %{http_code} %{size_download}\n' \
        "https://127.0.0.1:${TLS_PORT[$s]}$path" 2>&1 || true)
    read -r _ code size < <(grep '^RESULT ' <<<"$out" || echo "RESULT")
    if [[ $code != 200 || $size != "$want" ]]; then
        fail_cell "$s" dl-https "sanity: HTTPS GET $path answered ${code:-nothing} with ${size:-no} bytes, expected 200 with $want"
        return 1
    fi
    proto=$(sed -n 's/^\* SSL connection using //p' <<<"$out" | head -n 1)
    TLS_DESC+="${TLS_DESC:+; }$s ${proto:-unknown}"
}

# ------------------------------------------------------------ preflight --
need curl
need python3
need pgrep
need numfmt
need "$WRK" "apt-get install wrk, or set WRK"
((TLS == 0)) || need openssl
BIG_BYTES=$(to_bytes "$BIG_SIZE")
CLK_TCK=$(getconf CLK_TCK)
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be a positive integer"

read -ra WANT_SERVERS <<<"$SERVERS"
((${#WANT_SERVERS[@]})) || die "SERVERS is empty"
declare -A seen=()
for s in "${WANT_SERVERS[@]}"; do
    [[ " $ALL_SERVERS " == *" $s "* ]] || die "unknown server '$s' (known: $ALL_SERVERS)"
    [[ -z ${seen[$s]:-} ]] || die "server $s listed twice"
    seen[$s]=1
done

# Descriptors: the idle scenario needs IDLE_CONNS on each side.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
NOFILE=$(ulimit -n)
[[ $NOFILE == unlimited ]] && NOFILE=1048576
if ((IDLE_CONNS > 0 && IDLE_CONNS + 256 > NOFILE)); then
    die "IDLE_CONNS=$IDLE_CONNS needs more descriptors than ulimit -n allows ($NOFILE)"
fi
MAXCONN=$((IDLE_CONNS + 1024 > 4096 ? IDLE_CONNS + 1024 : 4096))

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
: >"$RUN/results.tsv"
: >"$RUN/runs.tsv"
: >"$RUN/failures.tsv"
: >"$RUN/notes.txt"

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

TLS_CERT=$BENCH_DIR/tls/cert.pem
TLS_KEY=$BENCH_DIR/tls/key.pem
if ((TLS)) && [[ ! -s $TLS_CERT || ! -s $TLS_KEY ]]; then
    log "making a self-signed certificate in $BENCH_DIR/tls"
    mkdir -p "$BENCH_DIR/tls"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj /CN=localhost \
        -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
        -keyout "$TLS_KEY" -out "$TLS_CERT" 2>"$RUN/openssl.txt" ||
        die "openssl req failed: $(cat "$RUN/openssl.txt")"
fi

# If-Modified-Since: one second after the newest file, and not in the
# future (servers ignore dates later than their clock).
newest=$(find "$STORE" -type f -printf '%T@\n' | sort -n | tail -n 1)
ims_epoch=$((${newest%.*} + 1))
while (($(date +%s) < ims_epoch)); do sleep 0.2; done
IMS_DATE=$(date -u -d "@$ims_epoch" '+%a, %d %b %Y %H:%M:%S GMT')

# Same starting point for every server: the whole store in the page cache.
log "warming the page cache"
find "$STORE" -type f -print0 | xargs -0 cat >/dev/null

add_scenario hit hits.txt 200
add_scenario miss misses.txt 404
# The hits in upper case: symsrvd folds case; the peers are case-sensitive
# and would only measure more misses, so this runs on symsrvd only.
add_scenario hit-folded hits_upper.txt 200/-
add_scenario range hits.txt 206 "Range: bytes=0-511"
# Each server's own ETags, fetched once the servers are up (etag_lists).
add_scenario inm "etags-@SERVER@.txt" 304
add_scenario ims hits.txt 304 "If-Modified-Since: $IMS_DATE"
if [[ -n $BENCH_SCENARIOS ]]; then
    if [[ $BENCH_SCENARIOS == *";"* ]]; then
        IFS=';' read -ra specs <<<"$BENCH_SCENARIOS"
    else
        read -ra specs <<<"$BENCH_SCENARIOS"
    fi
    for spec in "${specs[@]}"; do
        spec=${spec#"${spec%%[![:space:]]*}"}
        [[ -n $spec ]] || continue
        IFS=: read -r sc_name sc_list sc_expect sc_header <<<"$spec"
        [[ -n $sc_name && -n $sc_list && -n $sc_expect ]] ||
            die "bad BENCH_SCENARIOS entry '$spec' (want name:list:status[:Header: value])"
        if [[ -n $sc_header ]]; then
            add_scenario "$sc_name" "$sc_list" "$sc_expect" "$sc_header"
        else
            add_scenario "$sc_name" "$sc_list" "$sc_expect"
        fi
    done
fi
if [[ -n $BENCH_HOOK ]]; then
    [[ -f $BENCH_HOOK ]] || die "BENCH_HOOK file $BENCH_HOOK not found"
    # Sourced once every function above exists: the hook's scenarios, and
    # their headers, go through the same add_scenario/sanity/run_wrk path.
    # shellcheck source=/dev/null
    source "$BENCH_HOOK"
fi

# ---------------------------------------------------------------- ports --
read -ra free_ports < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(8)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))
for s in socks:
    s.close()
')
k=0
for s in $ALL_SERVERS; do
    var=${s^^}_PORT tvar=${s^^}_TLS_PORT
    PORT[$s]=${!var:-${free_ports[k]}}
    TLS_PORT[$s]=${!tvar:-${free_ports[k + 1]}}
    k=$((k + 2))
done

# -------------------------------------------------------------- servers --
ACTIVE=()
for s in "${WANT_SERVERS[@]}"; do
    start_server "$s"
done
for s in "${WANT_SERVERS[@]}"; do
    alive "$s" && ACTIVE+=("$s")
done
((${#ACTIVE[@]})) || die "no server started"
printf '%s\n' "${WANT_SERVERS[@]}" >"$RUN/servers.txt"

for s in "${ACTIVE[@]}"; do
    result 0 memory "$s" rss_start_kb "$(server_mem_kb "$s" VmRSS)"
done

if declare -F bench_hook_servers_up >/dev/null; then
    bench_hook_servers_up
fi

# ETags: each server's own, for every hit path, from HEAD requests in one
# curl per server (one keep-alive connection); the inm sanity check then
# shows that GET honours them.  Lines: path TAB If-None-Match: <etag>.
etag_lists() {
    local s=$1
    local cfg=$RUN/etags-$s.curl raw=$RUN/etags-$s.raw list=$LISTS/etags-$s.txt
    awk -v base="http://127.0.0.1:${PORT[$s]}" \
        '{ printf "url = \"%s%s\"\noutput = \"/dev/null\"\n", base, $0 }' \
        "$LISTS/hits.txt" >"$cfg"
    "${CLIENT_PIN[@]}" curl -s --head --http1.1 -A "$UA_BASE (etags)" -K "$cfg" \
        -w '%{http_code}\t%header{etag}\n' >"$raw" 2>&1 || true
    if ! paste "$LISTS/hits.txt" "$raw" | awk -F'\t' -v out="$list" '
        $2 != "200" || $3 == "" { bad++; next }
        { printf "%s\tIf-None-Match: %s\n", $1, $3 > out; n++ }
        END { exit !(n > 0 && bad == 0) }'; then
        fail_cell "$s" inm "fetching ETags: not every hit answered 200 with an ETag (see $raw)"
    fi
}
for s in "${ACTIVE[@]}"; do
    rm -f "$LISTS/etags-$s.txt"
    log "fetching $s's ETags"
    etag_lists "$s"
done

# --------------------------------------------------------------- sanity --
TLS_DESC=
for s in "${ACTIVE[@]}"; do
    for i in "${!SC_NAME[@]}"; do
        [[ $(expected_status "${SC_EXPECT[$i]}" "$s") != - ]] || continue
        measurable "$s" "${SC_NAME[$i]}" || continue
        sanity "$s" "$i" || continue
    done
    ((TLS == 0)) || https_sanity "$s" || true
    log "sanity checked: $s"
done

# ------------------------------------------------------------ scenarios --
{
    for i in "${!SC_NAME[@]}"; do
        e=${SC_EXPECT[$i]}
        printf '%s\t%s\t%s\t%s\n' "${SC_NAME[$i]}" "${SC_DESC[$i]}" \
            "$(expected_status "$e" symsrvd)" "$(expected_status "$e" peer)"
    done
    printf 'dl-http\tthe %s file over HTTP, curl\t200\t200\n' "$BIG_SIZE"
    ((TLS == 0)) || printf 'dl-https\tthe %s file over HTTPS (HTTP/1.1), curl\t200\t200\n' "$BIG_SIZE"
    ((IDLE_CONNS == 0)) ||
        printf 'idle\t%d connections, one hit on each, then held idle\t200\t200\n' "$IDLE_CONNS"
} >"$RUN/scenarios.tsv"

if [[ $WARMUP != 0 ]]; then
    for s in "${ACTIVE[@]}"; do
        alive "$s" || continue
        log "warm-up: $s, $WARMUP"
        run_wrk "$s" 0 "$RUN/wrk-warmup-$s.txt" "$WARMUP" "$UA_BASE (warmup)" ||
            fail_server "$s" "wrk failed during the warm-up (see $RUN/wrk-warmup-$s.txt)"
    done
fi

protos=(http)
((TLS == 0)) || protos+=(https)
n=${#ACTIVE[@]}
for ((r = 1; r <= ROUNDS; r++)); do
    # Rotate the order each round, so no server always runs first.
    order=()
    for ((j = 0; j < n; j++)); do
        order+=("${ACTIVE[(j + r - 1) % n]}")
    done
    log "round $r of $ROUNDS: ${order[*]}"
    for i in "${!SC_NAME[@]}"; do
        for s in "${order[@]}"; do
            [[ $(expected_status "${SC_EXPECT[$i]}" "$s") != - ]] || continue
            measurable "$s" "${SC_NAME[$i]}" || continue
            measure_wrk "$r" "$s" "$i"
        done
    done
    for p in "${protos[@]}"; do
        for s in "${order[@]}"; do
            measurable "$s" "dl-$p" || continue
            measure_download "$r" "$s" "$p"
        done
    done
    if ((IDLE_CONNS > 0)); then
        for s in "${order[@]}"; do
            measurable "$s" idle || continue
            measure_idle "$r" "$s"
        done
    fi
done

for s in "${ACTIVE[@]}"; do
    check_alive "$s" "before measuring memory" || continue
    result 0 memory "$s" rss_end_kb "$(server_mem_kb "$s" VmRSS)"
    result 0 memory "$s" hwm_kb "$(server_mem_kb "$s" VmHWM)"
done

# Stopped before the report: lighttpd writes its access log in batches,
# and the audit needs every line.
stop_servers
# Count the access log's lines per User-Agent (each run has its own) and
# status, for report.py's audit: awk reads millions of lines in seconds.
for s in "${ACTIVE[@]}"; do
    [[ -f ${ACCESS_LOG[$s]} ]] || continue
    awk -F'"' '{ split($3, a, " "); n[$6 "\t" a[1]]++; total++ }
        END { for (k in n) print k "\t" n[k]; printf "%d lines\n", total > "/dev/stderr" }' \
        "${ACCESS_LOG[$s]}" 2>"$RUN/$s/access-lines.txt" >"$RUN/$s/access-by-run.tsv"
    log "$s access log: $(<"$RUN/$s/access-lines.txt")"
done

# --------------------------------------------------------------- report --
cpu_model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
vers=()
for s in "${WANT_SERVERS[@]}"; do
    if ! alive "$s" && [[ -n $(grep -P "^$s\t\*\tno executable" "$RUN/failures.tsv" || true) ]]; then
        vers+=("$s not found")
        continue
    fi
    case $s in
        nginx) vers+=("nginx $("$NGINX" -v 2>&1 | sed 's|^nginx version: nginx/||')") ;;
        h2o) vers+=("h2o $("$H2O" --version 2>/dev/null | sed -n 's/^h2o version //p')") ;;
        lighttpd) vers+=("lighttpd $("$LIGHTTPD" -v 2>/dev/null | sed -n 's|^lighttpd/\([^ ]*\).*|\1|p')") ;;
        symsrvd)
            # The commit of the checkout the binary was built in.
            src=$(git -C "$(dirname "$SYMSRVD")" rev-parse --show-toplevel 2>/dev/null || true)
            git_rev="unknown commit"
            if [[ -n $src ]]; then
                git_rev="git $(git -C "$src" rev-parse --short HEAD)"
                git -C "$src" diff --quiet HEAD -- src 2>/dev/null || git_rev+=" (+local changes in src/)"
            fi
            v=$("$SYMSRVD" -V 2>/dev/null | head -n 1 || true)
            vers+=("symsrvd ${v#symsrvd } ($SYMSRVD, $git_rev)")
            ;;
    esac
done
wrk_ver=$("$WRK" -v 2>&1 | head -n 1 | sed 's/ Copyright.*//; s/^wrk //' || true)
libevent_ver=$(pkg-config --modversion libevent 2>/dev/null ||
    dpkg-query -W -f '${Version}' libevent-2.1-7 2>/dev/null || echo unknown)
{
    echo "## symsrvd vs $(printf '%s, ' "${WANT_SERVERS[@]}" | sed 's/symsrvd, //; s/, $//') ($(date -u '+%Y-%m-%d %H:%M UTC'))"
    echo
    echo "- machine: ${NCPU} CPUs, ${cpu_model:-unknown CPU}, kernel $(uname -r)"
    echo "- versions: $(printf '%s; ' "${vers[@]}")wrk ${wrk_ver}, libevent ${libevent_ver}"
    echo "- setup: ${WORKERS} worker(s) each; ${ROUNDS} round(s), server order rotating; wrk -t${THREADS} -c${CONNS} -d${DURATION} (warm-up ${WARMUP}); pinning: ${PIN_DESC}"
    echo "- store: ${FILES} files of 1-64 KiB (seed ${SEED}) + one $((BIG_BYTES / 1048576)) MiB file, page cache warm; combined access log to a file on every server; sendfile on where the server has it (h2o 2.2 has none)"
    ((TLS == 0)) || echo "- TLS (self-signed RSA 2048, curl --http1.1): ${TLS_DESC:-not checked}"
} >"$RUN/meta.md"
{
    printf 'rounds\t%s\n' "$ROUNDS"
    printf 'conns\t%s\n' "$((CONNS))"
    printf 'idle_conns\t%s\n' "$IDLE_CONNS"
    printf 'big_mib\t%s\n' "$((BIG_BYTES / 1048576))"
} >"$RUN/settings.tsv"

report=$RUN/results.md
audit=0
python3 "$SCRIPT_DIR/report.py" "$RUN" >"$report" || audit=$?
mkdir -p "$(dirname "$BENCH_OUT")"
if [[ $BENCH_OUT != "$report" ]]; then
    cp "$report" "$BENCH_OUT"
fi
cat "$report"
log "results written to $BENCH_OUT; raw outputs in $RUN"
if ((audit == 1)); then
    die "some responses had the wrong status (see Notes)"
elif ((audit != 0)); then
    die "report.py failed"
fi
if ((FAILED)); then
    die "some servers or scenarios failed (see Failures and Notes)"
fi
