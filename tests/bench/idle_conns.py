#!/usr/bin/env python3
"""Open many keep-alive connections to a server and hold them idle.

Usage: idle_conns.py --port P --count N --path PATH --pids "PID ..."
                     [--batch B] [--settle S] [--user-agent UA]

Opens COUNT connections to 127.0.0.1:PORT in batches of BATCH, sends one
GET for PATH on each and reads the whole response (Content-Length framed),
so every connection has served one request and is idle in keep-alive.
Then it waits SETTLE seconds, sums VmRSS and RssAnon over PIDS (the
server's processes, from /proc/PID/status), checks how many connections
the server still holds open, and prints one line:

  IDLE open=N wanted=N rss_kb=N anon_kb=N rss_before_kb=N anon_before_kb=N
       secs=F errors=N first_error=...

rss_before_kb is read before the first connection is opened.  Sockets are
closed with SO_LINGER 0 (an RST, no TIME_WAIT left on the client side).
The exit status is 0 if all COUNT connections were open at the end.
Only the standard library is used.
"""

import argparse
import errno
import os
import selectors
import socket
import struct
import sys
import time


def mem_kb(pids, field):
    total = 0
    for pid in pids:
        try:
            with open("/proc/%d/status" % pid) as fh:
                for line in fh:
                    if line.startswith(field + ":"):
                        total += int(line.split()[1])
                        break
        except OSError:
            pass
    return total


class Conn:
    __slots__ = ("sock", "out", "buf", "need", "done", "error")

    def __init__(self, sock, request):
        self.sock = sock
        self.out = request
        self.buf = b""
        self.need = None  # total bytes of the response once the head is read
        self.done = False
        self.error = None


def response_length(buf):
    """Total length of the response in buf, or None if the head is not complete."""
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        return None
    head = buf[:end].decode("latin-1").split("\r\n")
    status = head[0].split(" ")
    if len(status) < 2 or not status[0].startswith("HTTP/1."):
        raise ValueError("bad status line %r" % head[0])
    length = 0
    for line in head[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
        if name.strip().lower() == "connection" and "close" in value.lower():
            raise ValueError("server answered Connection: close")
    code = int(status[1])
    if code in (204, 304):
        length = 0
    return end + 4 + length


def run_batch(conns, deadline):
    sel = selectors.DefaultSelector()
    for c in conns:
        sel.register(c.sock, selectors.EVENT_WRITE, c)
    pending = len(conns)
    while pending:
        timeout = deadline - time.monotonic()
        if timeout <= 0:
            for key in list(sel.get_map().values()):
                key.data.error = "timed out waiting for the response"
            break
        for key, events in sel.select(timeout):
            c = key.data
            try:
                if events & selectors.EVENT_WRITE:
                    err = c.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    if err:
                        raise OSError(err, os.strerror(err))
                    n = c.sock.send(c.out)
                    c.out = c.out[n:]
                    if not c.out:
                        sel.modify(c.sock, selectors.EVENT_READ, c)
                    continue
                data = c.sock.recv(65536)
                if not data:
                    raise OSError(errno.ECONNRESET, "closed by the server")
                c.buf += data
                if c.need is None:
                    c.need = response_length(c.buf)
                if c.need is not None and len(c.buf) >= c.need:
                    c.done = True
                    c.buf = b""
            except (OSError, ValueError) as e:
                c.error = str(e)
            if c.done or c.error:
                sel.unregister(c.sock)
                pending -= 1
    sel.close()


def still_open(sock):
    """True if the server has not closed (or reset) the connection."""
    try:
        data = sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
    except BlockingIOError:
        return True
    except OSError:
        return False
    # An idle keep-alive connection has nothing to read; b"" is a FIN.
    return len(data) > 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--count", type=int, default=10000)
    ap.add_argument("--path", required=True)
    ap.add_argument("--pids", required=True, help="server PIDs, space-separated")
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--settle", type=float, default=1.0)
    ap.add_argument("--timeout", type=float, default=30.0,
                    help="seconds a batch may take")
    ap.add_argument("--user-agent", default="symsrvd-bench/1 (idle)")
    args = ap.parse_args()
    pids = [int(p) for p in args.pids.split()]

    request = ("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUser-Agent: %s\r\n\r\n"
               % (args.path, args.port, args.user_agent)).encode("latin-1")
    rss_before = mem_kb(pids, "VmRSS")
    anon_before = mem_kb(pids, "RssAnon")
    linger = struct.pack("ii", 1, 0)
    conns = []
    errors = 0
    first_error = ""
    start = time.monotonic()
    for first in range(0, args.count, args.batch):
        batch = []
        for _ in range(min(args.batch, args.count - first)):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
            s.setblocking(False)
            c = Conn(s, request)
            try:
                s.connect(("127.0.0.1", args.port))
            except BlockingIOError:
                pass
            except OSError as e:
                c.error = str(e)
            batch.append(c)
        run_batch([c for c in batch if not c.error],
                  time.monotonic() + args.timeout)
        for c in batch:
            if c.error:
                errors += 1
                first_error = first_error or c.error
                c.sock.close()
            else:
                conns.append(c)
    secs = time.monotonic() - start
    time.sleep(args.settle)
    rss = mem_kb(pids, "VmRSS")
    anon = mem_kb(pids, "RssAnon")
    n_open = sum(1 for c in conns if still_open(c.sock))
    print("IDLE open=%d wanted=%d rss_kb=%d anon_kb=%d rss_before_kb=%d "
          "anon_before_kb=%d secs=%.3f errors=%d first_error=%s" % (
              n_open, args.count, rss, anon, rss_before, anon_before, secs,
              errors, (first_error or "-").replace(" ", "_")))
    sys.stdout.flush()
    for c in conns:
        c.sock.close()
    return 0 if n_open == args.count else 1


if __name__ == "__main__":
    sys.exit(main())
