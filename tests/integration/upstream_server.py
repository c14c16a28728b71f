#!/usr/bin/env python3
"""A small upstream symbol server for the proxy tests (test_upstream.c).

Serves the files beneath --root as a static symbol server would, and can
misbehave on purpose: --rate dribbles each body (bytes per second, in
4 KiB pieces), --fail answers every request 500, --no-length leaves out
Content-Length. Each request is one line in --log ("GET <path> <status>"),
written and flushed before the body, so a test can count upstream hits.
Listens on 127.0.0.1, port 0; writes the port to --port-file.
"""
import argparse
import http.server
import os
import socketserver
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--rate", type=int, default=0)
    ap.add_argument("--fail", action="store_true")
    ap.add_argument("--no-length", action="store_true")
    args = ap.parse_args()
    log = open(args.log, "a", buffering=1)

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *a):
            pass

        def note(self, status):
            log.write("%s %s %d\n" % (self.command, self.path, status))
            log.flush()

        def do_GET(self):
            if args.fail:
                self.note(500)
                body = b"broken\n"
                self.send_response(500)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            rel = self.path.lstrip("/")
            path = os.path.join(args.root, rel)
            if ".." in rel.split("/") or not os.path.isfile(path):
                self.note(404)
                body = b"not found\n"
                self.send_response(404)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            data = open(path, "rb").read()
            self.note(200)
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            if args.no_length:
                self.send_header("Connection", "close")
                self.close_connection = True
            else:
                self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            piece = 4096
            for i in range(0, len(data), piece):
                try:
                    self.wfile.write(data[i:i + piece])
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    return
                if args.rate > 0:
                    time.sleep(piece / args.rate)

    class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
        daemon_threads = True
        allow_reuse_address = True

    srv = Server(("127.0.0.1", 0), Handler)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, args.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
