#!/usr/bin/env bash
# The caching proxy benchmark (docs/benchmarks.md, "Caching proxy"):
# symsrvd --upstream against nginx's proxy_cache, in front of the same
# origin (a static nginx), on 127.0.0.1.
#
#   miss: every file of the set asked once, through a cold proxy (each
#         request is an upstream fetch, streamed and written to the cache)
#   hit:  the same files again, now cached: wrk, DURATION, random picks
#
# A tool to run by hand, not a test. Needs nginx, wrk, python3, curl.
# Usage: tests/bench/proxy.sh   (SYMSRVD=, FILES=, SIZE=, CONC=, DURATION=)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
symsrvd=${SYMSRVD:-$here/../../build/symsrvd}
files=${FILES:-400}
size=${SIZE:-262144}
conc=${CONC:-8}
duration=${DURATION:-10s}
dir=$(mktemp -d /tmp/symsrvd-proxybench-XXXXXX)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$dir"
}
trap cleanup EXIT

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# The origin's files: <name>.pdb/<32 hex + age>/<name>.pdb, random bytes.
mkdir -p "$dir/origin" "$dir/store" "$dir/cache" "$dir/ngx/tmp" "$dir/ngxcache"
python3 - "$dir/origin" "$files" "$size" >"$dir/paths" <<'EOF'
import os, sys
root, n, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for i in range(n):
    key = "%032X1" % (0x1000 + i)
    rel = "f%d.pdb/%s/f%d.pdb" % (i, key, i)
    os.makedirs(os.path.join(root, os.path.dirname(rel)), exist_ok=True)
    with open(os.path.join(root, rel), "wb") as f:
        f.write(os.urandom(size))
    print("/" + rel)
EOF

O=$(port) S=$(port) N=$(port)
# As root, nginx's workers would run as nobody, who cannot read the scratch
# directory: they run as root here (a benchmark, never a deployment).
user_line=
[ "$(id -u)" = 0 ] && user_line="user root;"
ngx_conf() { # $1 name, $2 server block
    cat >"$dir/ngx/$1.conf" <<EOF
$user_line
worker_processes 1;
daemon off;
pid $dir/ngx/$1.pid;
error_log $dir/ngx/$1.err warn;
events { worker_connections 4096; }
http {
    types { } default_type application/octet-stream;
    sendfile on; tcp_nopush on; tcp_nodelay on;
    keepalive_requests 1000000;
    access_log off;
    client_body_temp_path $dir/ngx/tmp/$1-body;
    proxy_temp_path $dir/ngx/tmp/$1-proxy;
    fastcgi_temp_path $dir/ngx/tmp/$1-fcgi;
    uwsgi_temp_path $dir/ngx/tmp/$1-uwsgi;
    scgi_temp_path $dir/ngx/tmp/$1-scgi;
    $2
}
EOF
    nginx -p "$dir/ngx" -c "$dir/ngx/$1.conf" -e "$dir/ngx/$1.err" &
    pids+=($!)
}
ngx_conf origin "server { listen 127.0.0.1:$O; root $dir/origin; }"
# proxy_cache_lock: concurrent misses of one file make one upstream request,
# as symsrvd's one fetch per file does; keepalive to the origin, as libcurl.
ngx_conf proxy "upstream origin { server 127.0.0.1:$O; keepalive 32; }
    proxy_cache_path $dir/ngxcache levels=1:2 keys_zone=sym:64m max_size=10g inactive=1d use_temp_path=off;
    server { listen 127.0.0.1:$N;
        location / { proxy_pass http://origin; proxy_http_version 1.1;
            proxy_set_header Connection \"\"; proxy_cache sym;
            proxy_cache_valid 200 1d; proxy_cache_valid 404 5m;
            proxy_cache_lock on; proxy_buffering on; } }"
"$symsrvd" -r "$dir/store" -l "127.0.0.1:$S" -w 1 -a off \
    --cache-dir "$dir/cache" --upstream "http://127.0.0.1:$O" 2>"$dir/symsrvd.err" &
pids+=($!)
for p in $O $S $N; do
    for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$p/" && break; sleep 0.1; done
done

# Every path once, CONC connections (keep-alive), latency per request.
miss() { # $1 port
    python3 - "$1" "$dir/paths" "$conc" "$size" <<'EOF'
import http.client, sys, threading, time
port, paths, conc, size = int(sys.argv[1]), open(sys.argv[2]).read().split(), int(sys.argv[3]), int(sys.argv[4])
lat, bad, lock = [], [0], threading.Lock()
def run(part):
    c = http.client.HTTPConnection("127.0.0.1", port)
    for p in part:
        t = time.perf_counter()
        c.request("GET", p)
        r = c.getresponse(); body = r.read()
        d = time.perf_counter() - t
        with lock:
            lat.append(d)
            if r.status != 200 or len(body) != size: bad[0] += 1
t0 = time.perf_counter()
ts = [threading.Thread(target=run, args=(paths[i::conc],)) for i in range(conc)]
[t.start() for t in ts]; [t.join() for t in ts]
total = time.perf_counter() - t0
lat.sort()
q = lambda f: lat[min(len(lat) - 1, int(f * len(lat)))] * 1000
print("%d files in %.2f s: %.0f req/s, %.1f MB/s, p50 %.2f ms, p99 %.2f ms, bad %d"
      % (len(lat), total, len(lat) / total, len(lat) * size / total / 1e6, q(.5), q(.99), bad[0]))
EOF
}
hit() { # $1 port
    wrk -t2 -c32 -d"$duration" -s "$here/paths.lua" "http://127.0.0.1:$1" \
        -- "$dir/paths" 1 2>&1 | grep -E "Requests/sec|Transfer/sec|BENCH"
}

echo "## $files files of $size bytes, $conc clients for the misses, wrk -t2 -c32 -d$duration for the hits"
echo "### symsrvd --upstream (1 worker)"
echo "miss: $(miss "$S")"
hit "$S"
echo "### nginx proxy_cache (1 worker)"
echo "miss: $(miss "$N")"
hit "$N"
if [ -s "$dir/symsrvd.err" ]; then echo "symsrvd stderr:"; cat "$dir/symsrvd.err"; fi
