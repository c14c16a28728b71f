#!/usr/bin/env python3
"""Turn bench.sh's raw results into the markdown report.

Usage: report.py RUNDIR

Reads, from RUNDIR (all written by bench.sh):
  servers.txt     the servers in column order, symsrvd first if it ran
  scenarios.tsv   name, request description, expected status for symsrvd,
                  for the peers ("-": not run on them)
  results.tsv     round, scenario, server, metric, value (one measurement)
  runs.tsv        server, scenario, round, marker, expected status,
                  responses counted by wrk, access log (one wrk run)
  failures.tsv    server, scenario ("*": all), message
  notes.txt       one note per line
  meta.md         the header lines, copied as they are
  settings.tsv    key, value (rounds, conns, idle_conns, big_mib)

and SERVER/access-by-run.tsv beside each access log named in runs.tsv
(User-Agent, status, count, made by awk once the servers stopped: lighttpd
writes its log in batches).

Every value in the table is the median over rounds; every ratio is the
median of the per-round ratios symsrvd/peer.  The access-log audit finds
each wrk run's lines by the User-Agent bench.sh gave that run, and checks
every status and the line count against wrk's count.

Prints the report on stdout.  Exit status 1 if the audit found a wrong
status, 0 otherwise.  Only the standard library is used.
"""

import collections
import os
import statistics
import sys



def read_tsv(path, ncols):
    rows = []
    if not os.path.exists(path):
        return rows
    with open(path) as fh:
        for line in fh:
            line = line.rstrip("\n")
            if not line:
                continue
            parts = line.split("\t")
            parts += [""] * (ncols - len(parts))
            rows.append(parts[:ncols])
    return rows


def audit_log(path, cache={}):
    """marker (User-Agent) -> Counter of statuses, for one access log.

    Read from the summary bench.sh's awk wrote beside the log
    (access-by-run.tsv: User-Agent, status, count), not from the log itself:
    a full run logs millions of lines."""
    if path in cache:
        return cache[path]
    by_ua = collections.defaultdict(collections.Counter)
    summary = os.path.join(os.path.dirname(path), "access-by-run.tsv")
    for ua, status, n in read_tsv(summary, 3):
        by_ua[ua][status] += int(n or 0)
    cache[path] = by_ua
    return by_ua


def fnum(fmt, v):
    return "n/a" if v is None else fmt % v


def us_cell(v):
    if v is None:
        return "n/a"
    if v >= 1000:
        return "%.2f ms" % (v / 1000.0)
    return "%.0f us" % v


def cpu_us_cell(v):
    if v is None:
        return "n/a"
    return "%.2f us" % v if v < 10 else "%.1f us" % v


def mib_cell(kb):
    return "n/a" if kb is None else "%.1f MiB" % (kb / 1024.0)


def main():
    run = sys.argv[1]
    servers = open(os.path.join(run, "servers.txt")).read().split()
    scenarios = read_tsv(os.path.join(run, "scenarios.tsv"), 4)
    settings = dict(read_tsv(os.path.join(run, "settings.tsv"), 2))
    big_mib = int(settings.get("big_mib", "1024"))
    conns = int(settings.get("conns", "32"))
    idle_n = int(settings.get("idle_conns", "0"))

    # values[(scenario, server, metric)][round] = float
    values = collections.defaultdict(dict)
    for rnd, sc, srv, metric, val in read_tsv(os.path.join(run, "results.tsv"), 5):
        try:
            values[(sc, srv, metric)][rnd] = float(val)
        except ValueError:
            pass

    failures = collections.defaultdict(list)
    for srv, sc, msg in read_tsv(os.path.join(run, "failures.tsv"), 3):
        failures[(srv, sc)].append(msg)
    notes = []
    if os.path.exists(os.path.join(run, "notes.txt")):
        notes = [l.rstrip("\n") for l in open(os.path.join(run, "notes.txt")) if l.strip()]

    # ---- access-log audit ----
    wrong = set()
    audit_failed = False
    for srv, sc, rnd, marker, expect, requests, logf in read_tsv(
            os.path.join(run, "runs.tsv"), 7):
        counts = audit_log(logf).get(marker, collections.Counter())
        total = sum(counts.values())
        bad = {s: n for s, n in counts.items() if s != expect}
        # nginx logs 499 for a request whose client closed first: at most
        # wrk's in-flight requests when it stops.
        if 0 < bad.get("499", 0) <= conns:
            notes.append("%s/%s round %s: %d x 499 (client closed) in the access log" % (
                sc, srv, rnd, bad.pop("499")))
        where = "%s/%s round %s" % (sc, srv, rnd)
        if bad:
            wrong.add((sc, srv))
            audit_failed = True
            notes.append("%s: access log has %s, expected all %s" % (
                where, ", ".join("%d x %s" % (n, s) for s, n in sorted(bad.items())),
                expect))
        req = int(requests or 0)
        if total < req:
            notes.append("%s: %d access-log lines for %d responses counted by wrk" % (
                where, total, req))
        elif total > req + conns:
            notes.append("%s: %d access-log lines, more than wrk's %d responses + %d "
                         "in flight" % (where, total, req, conns))

    def med(sc, srv, metric):
        d = values.get((sc, srv, metric))
        return statistics.median(d.values()) if d else None

    def ratio(sc, metric, peer, base="symsrvd"):
        a = values.get((sc, base, metric), {})
        b = values.get((sc, peer, metric), {})
        rs = [a[r] / b[r] for r in a if r in b and b[r] > 0]
        return "%.2fx" % statistics.median(rs) if rs else "n/a"

    def failed(sc, srv):
        return failures.get((srv, sc)) or failures.get((srv, "*"))

    peers = [s for s in servers if s != "symsrvd"]
    has_symsrvd = "symsrvd" in servers

    def header(first):
        cols = [first, "metric"] + servers
        if has_symsrvd:
            cols += ["symsrvd/%s" % p for p in peers]
        out = ["| " + " | ".join(cols) + " |",
               "|" + "---|" * 2 + "---:|" * len(servers)
               + ("---:|" * len(peers) if has_symsrvd else "")]
        return out

    def row(sc, label, metric, cell, peer_runs=True, with_ratio=True):
        cells = []
        for srv in servers:
            if srv != "symsrvd" and not peer_runs:
                cells.append("-")
            elif failed(sc, srv):
                cells.append("FAILED")
            else:
                c = cell(med(sc, srv, metric))
                if (sc, srv) in wrong and metric in ("rps",):
                    c += " (wrong status!)"
                cells.append(c)
        if has_symsrvd:
            for p in peers:
                if not peer_runs or not with_ratio or failed(sc, p) or failed(sc, "symsrvd"):
                    cells.append("-")
                else:
                    cells.append(ratio(sc, metric, p))
        return "| %s | %s | %s |" % (sc, label, " | ".join(cells))

    out = []
    meta = os.path.join(run, "meta.md")
    if os.path.exists(meta):
        out.append(open(meta).read().rstrip("\n"))
        out.append("")

    out.append("Scenarios (expected status symsrvd / peers; \"-\": not run on the peers):")
    out.append("")
    for name, desc, exp_s, exp_p in scenarios:
        out.append("- `%s`: %s (%s / %s)" % (name, desc, exp_s, exp_p))
    out.append("")

    req_sc = [s for s in scenarios if not s[0].startswith(("dl-", "idle"))]
    out.append("### Requests (wrk; median of rounds; ratios: median of per-round symsrvd/peer)")
    out.append("")
    out += header("scenario")
    for name, desc, exp_s, exp_p in req_sc:
        pr = exp_p != "-"
        out.append(row(name, "req/s (higher is better)", "rps", lambda v: fnum("%.0f", v), pr))
        out.append(row(name, "server CPU per request (lower is better)", "cpu_us", cpu_us_cell, pr))
        out.append(row(name, "server CPU busy, % of one CPU", "busy", lambda v: fnum("%.0f%%", v), pr, False))
        out.append(row(name, "p50 latency (lower is better)", "p50_us", us_cell, pr))
        out.append(row(name, "p99 latency (lower is better)", "p99_us", us_cell, pr))
    names = [s[0] for s in scenarios]
    if has_symsrvd and "hit-folded" in names and "hit" in names:
        out.append("")
        out.append("symsrvd case-folded hits / exact hits, req/s: %s; CPU per request: %s" % (
            ratio_pair(values, "hit-folded", "hit", "rps"),
            ratio_pair(values, "hit-folded", "hit", "cpu_us")))
    out.append("")

    dl_sc = [s for s in scenarios if s[0].startswith("dl-")]
    if dl_sc:
        out.append("### %d MiB download (curl; median of rounds)" % big_mib)
        out.append("")
        out += header("scenario")
        for name, desc, exp_s, exp_p in dl_sc:
            out.append(row(name, "time (lower is better)", "secs",
                           lambda v: "n/a" if not v else "%.3f s (%.0f MiB/s)" % (v, big_mib / v)))
            out.append(row(name, "server CPU per download (lower is better)", "cpu_ms",
                           lambda v: fnum("%.0f ms", v)))
            out.append(row(name, "peak RssAnon during it (sampled)", "anon_kb", mib_cell))
            out.append(row(name, "peak RssFile during it (sampled)", "file_kb", mib_cell))
        out.append("")

    if any(s[0] == "idle" for s in scenarios):
        out.append("### %d idle keep-alive connections (median of rounds)" % idle_n)
        out.append("")
        out += header("scenario")
        out.append(row("idle", "server VmRSS with them open (lower is better)", "rss_kb", mib_cell))
        out.append(row("idle", "VmRSS growth per connection", "per_conn_b",
                       lambda v: fnum("%.0f B", v)))
        out.append(row("idle", "server CPU per connection (open, one hit, close)", "cpu_us",
                       cpu_us_cell))
        out.append("")

    out.append("### Memory")
    out.append("")
    out += header("")
    out.append(row("memory", "VmRSS at start", "rss_start_kb", mib_cell))
    out.append(row("memory", "VmRSS after all runs", "rss_end_kb", mib_cell))
    out.append(row("memory", "peak VmRSS (VmHWM)", "hwm_kb", mib_cell))
    out.append("")
    out.append("Memory and CPU are summed over each server's processes (nginx master "
               "and workers, h2o and its key process, lighttpd). CPU is utime+stime "
               "from /proc/PID/stat, read before and after each run, divided by the "
               "responses wrk counted.")

    fail_lines = []
    for (srv, sc), msgs in sorted(failures.items()):
        for m in msgs:
            fail_lines.append("- %s, %s: %s" % (srv, "all scenarios" if sc == "*" else sc, m))
    if fail_lines:
        out.append("")
        out.append("Failures (cells marked FAILED were not measured):")
        out += fail_lines
    if notes:
        out.append("")
        out.append("Notes:")
        out += ["- " + n for n in notes]
    print("\n".join(out))
    return 1 if audit_failed else 0


def ratio_pair(values, sc_a, sc_b, metric, srv="symsrvd"):
    a = values.get((sc_a, srv, metric), {})
    b = values.get((sc_b, srv, metric), {})
    rs = [a[r] / b[r] for r in a if r in b and b[r] > 0]
    return "%.2fx" % statistics.median(rs) if rs else "n/a"


if __name__ == "__main__":
    sys.exit(main())
