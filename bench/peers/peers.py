#!/usr/bin/env python3
"""The peers comparison (issue 8): the same auction workload on Redis 7 + Lua, PostgreSQL 15 +
plpgsql and this engine, each on loopback on this machine, in one run, printed as one table.

Workload for all: 1,000 lots open in their extension phase; every bid is the next valid raise
on a random lot; it is validated (open, before its deadline, not the leader, a whole multiple of
the increment), the deadline is moved, and the bid is appended to a log. Every server is
started here in a temporary directory on a non-default loopback port and stopped at the end.
After each run the bids each system actually stored are counted and compared with what the load
tool reported. Run through bench/peers/run.sh.
"""
import argparse
import csv
import glob
import io
import json
import os
import pwd
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BUILD = os.environ.get("AUCTION_BUILD_DIR", os.path.join(ROOT, "build", "release"))
PG_BIN = "/usr/lib/postgresql/15/bin"
REDIS_PORT, PG_PORT, ENGINE_PORT = 16379, 15432, 18095
CLIENTS = 50
# The reference row: pings over the same connections (no core, no journal), not bids.
PING_ROW = "pings, no journal (reference)"


class Failure(Exception):
    pass


def run(cmd, timeout, **kwargs):
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kwargs)
    if result.returncode != 0:
        raise Failure(f"{' '.join(cmd[:3])}...: exit {result.returncode}: {result.stderr.strip()[-400:]}")
    return result.stdout


def wait_port(port, timeout_s=20):
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise Failure(f"nothing listens on 127.0.0.1:{port}")


def stop(process, timeout_s=20):
    if process and process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Result:
    def __init__(self, system, durability, clients, pipelining):
        self.system, self.durability = system, durability
        self.clients, self.pipelining = clients, pipelining
        self.runs = []  # dicts: bps, p50, p99, stored, reported

    def key(self):
        return (self.system, self.durability, self.clients, self.pipelining)

    def median(self, field):
        values = [r[field] for r in self.runs if r.get(field) is not None]
        return statistics.median(values) if values else None

    def stored_ok(self):
        """True, False, or None when the row stores nothing (the ping reference)."""
        if any(r["stored"] is None for r in self.runs):
            return None
        return all(r["stored"] == r["reported"] for r in self.runs)


# ---------------------------------------------------------------------------------------------
# Redis 7 + Lua (EVALSHA), driven by redis-benchmark.

def redis_run(tmp, durability, pipeline, requests):
    data = tempfile.mkdtemp(dir=tmp, prefix="redis-")
    persistence = (["--appendonly", "yes", "--appendfsync", "always"] if durability == "always"
                   else ["--appendonly", "no"])
    server = subprocess.Popen(
        ["redis-server", "--port", str(REDIS_PORT), "--bind", "127.0.0.1", "--dir", data,
         "--save", "", "--daemonize", "no", "--logfile", os.path.join(data, "redis.log")]
        + persistence, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(REDIS_PORT)
        cli = ["redis-cli", "-h", "127.0.0.1", "-p", str(REDIS_PORT)]
        now_ms = int(time.time() * 1000)
        run(cli + ["EVAL", "for i = 0, 999 do redis.call('HSET', string.format('lot:%012d', i), "
                   "'phase', 'extension', 'price', 1000, 'increment', 50, 'deadline_ms', "
                   "ARGV[1], 'extension_ms', 86400000) end", "0", str(now_ms + 86_400_000)], 30)
        with open(os.path.join(HERE, "bid.lua")) as f:
            sha = run(cli + ["SCRIPT", "LOAD", f.read()], 30).strip()
        out = run(["redis-benchmark", "-h", "127.0.0.1", "-p", str(REDIS_PORT), "-c", str(CLIENTS),
                   "-n", str(requests), "-r", "1000", "-P", str(pipeline), "--csv",
                   "EVALSHA", sha, "3", "lot:__rand_int__", "bids", "rejects", "__rand_int__"],
                  600)
        rows = list(csv.DictReader(io.StringIO(out)))
        if not rows:
            raise Failure("redis-benchmark printed no result")
        row = rows[-1]
        stored = int(run(cli + ["XLEN", "bids"], 30).strip())
        rejected = sum(int(v) for v in run(cli + ["HVALS", "rejects"], 30).split() if v.strip())
        return {"bps": float(row["rps"]), "p50": float(row["p50_latency_ms"]),
                "p99": float(row["p99_latency_ms"]), "stored": stored + rejected,
                "reported": requests, "accepted": stored}
    finally:
        stop(server)
        shutil.rmtree(data, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# PostgreSQL 15 + plpgsql (SELECT ... FOR UPDATE), driven by pgbench.

class Postgres:
    def __init__(self, tmp):
        self.dir = tempfile.mkdtemp(dir=tmp, prefix="pg-")
        self.as_user = []
        if os.geteuid() == 0:  # initdb and postgres refuse to run as root
            self.as_user = ["runuser", "-u", "postgres", "--"]
            uid = pwd.getpwnam("postgres").pw_uid
            os.chown(self.dir, uid, -1)
            os.chmod(tmp, 0o755)
        self.data = os.path.join(self.dir, "data")
        run(self.as_user + [f"{PG_BIN}/initdb", "-D", self.data, "-U", "bench", "--auth=trust",
                            "-E", "UTF8"], 120)
        self.server = None

    def start(self, synchronous_commit):
        options = (f"-p {PG_PORT} -k {self.dir} -c listen_addresses=127.0.0.1 "
                   f"-c synchronous_commit={synchronous_commit} -c fsync=on "
                   f"-c max_connections=120 -c shared_buffers=256MB")
        run(self.as_user + [f"{PG_BIN}/pg_ctl", "-D", self.data, "-o", options, "-l",
                            os.path.join(self.dir, "pg.log"), "-w", "start"], 120)

    def stop(self):
        subprocess.run(self.as_user + [f"{PG_BIN}/pg_ctl", "-D", self.data, "-m", "fast", "-w",
                                       "stop"], capture_output=True, timeout=60)

    def psql(self, *args, db="bench"):
        return run(self.as_user + ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1",
                                   "-p", str(PG_PORT), "-U", "bench", "-d", db, "-At"]
                   + list(args), 120)

    def bench(self, duration_s):
        self.psql("-c", "DROP DATABASE IF EXISTS bench", db="postgres")
        self.psql("-c", "CREATE DATABASE bench", db="postgres")
        self.psql("-f", os.path.join(HERE, "schema.sql"))
        logs = os.path.join(self.dir, "log")
        os.makedirs(logs, exist_ok=True)
        if self.as_user:
            os.chown(logs, pwd.getpwnam("postgres").pw_uid, -1)
        for old in glob.glob(os.path.join(logs, "*")):
            os.remove(old)
        out = run(self.as_user + [f"{PG_BIN}/pgbench", "-n", "-c", str(CLIENTS), "-j", "2",
                                  "-T", str(max(1, round(duration_s))), "-M", "prepared", "-f",
                                  os.path.join(HERE, "bid.pgbench"), "-l", "--log-prefix",
                                  os.path.join(logs, "pgbench"), "-h", "127.0.0.1", "-p",
                                  str(PG_PORT), "-U", "bench", "bench"], duration_s + 120)
        processed = int(re.search(r"number of transactions actually processed: (\d+)", out)[1])
        tps = float(re.search(r"tps = ([\d.]+) \(without initial connection time\)", out)[1])
        latencies = []
        for name in glob.glob(os.path.join(logs, "pgbench*")):
            with open(name) as f:
                latencies += [int(line.split()[2]) for line in f if line.strip()]
        latencies.sort()
        pct = (lambda p: latencies[min(len(latencies) - 1, int(p * len(latencies)))] / 1000.0
               if latencies else None)
        stored = int(self.psql("-c", "SELECT (SELECT count(*) FROM bids) + "
                                     "(SELECT count(*) FROM rejects)").strip())
        accepted = int(self.psql("-c", "SELECT count(*) FROM bids").strip())
        return {"bps": tps, "p50": pct(0.5), "p99": pct(0.99), "stored": stored,
                "reported": processed, "accepted": accepted}


# ---------------------------------------------------------------------------------------------
# This engine: auctiond with its durable journal, driven by auction-loadgen over WebSocket.

class Engine:
    def __init__(self, tmp):
        self.tmp = tmp

    def start(self):
        self.data = tempfile.mkdtemp(dir=self.tmp, prefix="engine-")
        self.tokens = os.path.join(self.data, "tokens")
        self.log = open(os.path.join(self.data, "auctiond.log"), "w")
        self.server = subprocess.Popen(
            [os.path.join(BUILD, "server", "auctiond"), "--data-dir",
             os.path.join(self.data, "data"), "--listen", f"127.0.0.1:{ENGINE_PORT}",
             "--admin-listen", "127.0.0.1:0", "--demo", "--demo-bidders", "1000",
             "--demo-tokens-file", self.tokens, "--demo-open-lots", "1000",
             "--bids-per-second", "1000000", "--bid-burst", "1000000",
             "--messages-per-second", "1000000", "--message-burst", "1000000",
             "--max-connections", "5000"], stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while not os.path.exists(self.tokens):  # auctiond renames it into place when whole
            if time.time() > deadline or self.server.poll() is not None:
                raise Failure("auctiond did not start")
            time.sleep(0.05)
        wait_port(ENGINE_PORT)

    def load(self, connections, duration_s, in_flight=1, rate=0, extra=()):
        out = run([os.path.join(BUILD, "tools", "auction-loadgen"), "--target",
                   f"127.0.0.1:{ENGINE_PORT}", "--tokens", self.tokens, "--connections",
                   str(connections), "--lots", "1000", "--duration", str(duration_s),
                   "--in-flight", str(in_flight), "--rate", str(rate), "--json", *extra],
                  duration_s + 120)
        return json.loads(out.strip().splitlines()[-1])

    def stop_and_count(self):
        """Stops the server and counts the bids its journal holds: (all bids, accepted)."""
        stop(self.server, 60)
        self.log.close()
        csv_text = run([os.path.join(BUILD, "tools", "auction-replay"), "--data-dir",
                        os.path.join(self.data, "data"), "--quiet", "export"], 300)
        bids = accepted = 0
        for row in csv.DictReader(io.StringIO(csv_text)):
            if row["event"] == "bid":
                bids += 1
                accepted += row["accepted"] == "true"
        shutil.rmtree(self.data, ignore_errors=True)
        return bids, accepted

    def run(self, connections, duration_s, in_flight=1, rate=0):
        self.start()
        try:
            report = self.load(connections, duration_s, in_flight, rate)
        finally:
            bids, accepted = self.stop_and_count()
        if report["missing"] or report["duplicates"]:
            raise Failure(f"auction-loadgen: {report['missing']} bids unanswered, "
                          f"{report['duplicates']} answered twice")
        if accepted != report["accepted"]:
            raise Failure(f"journal holds {accepted} accepted bids, loadgen saw {report['accepted']}")
        return {"bps": report["bids_per_second"], "p50": report["p50_ms"], "p99": report["p99_ms"],
                "stored": bids, "reported": report["answered"], "accepted": accepted}

    def ping_run(self, connections, duration_s):
        """A reference, not a bid: the same connections sending pings, which auctiond answers
        from its IO thread without the core or the journal. It shows what the WebSocket round
        trip alone allows on this machine."""
        self.start()
        try:
            report = self.load(connections, duration_s, extra=["--ping"])
        finally:
            stop(self.server, 60)
            self.log.close()
            shutil.rmtree(self.data, ignore_errors=True)
        if report["missing"] or report["duplicates"]:
            raise Failure(f"auction-loadgen --ping: {report['missing']} pings unanswered, "
                          f"{report['duplicates']} answered twice")
        return {"bps": report["bids_per_second"], "p50": report["p50_ms"], "p99": report["p99_ms"],
                "stored": None, "reported": report["answered"]}


# ---------------------------------------------------------------------------------------------

def measure(args, tmp):
    results = {}

    def add(system, durability, clients, pipelining, run_result):
        key = (system, durability, clients, pipelining)
        results.setdefault(key, Result(*key)).runs.append(run_result)
        r = run_result
        print(f"  {system:<9} {durability:<30} {clients:>5} {pipelining:<12} "
              f"{r['bps']:>10.0f} bids/s  p50 {fmt(r['p50'])}  p99 {fmt(r['p99'])}  "
              f"stored {'-' if r['stored'] is None else r['stored']}/{r['reported']}", flush=True)

    redis_modes = [("none", 1), ("none", 16), ("always", 1), ("always", 16)]
    pg_modes = ["on", "off"]
    if args.smoke:
        redis_modes, pg_modes = [("none", 1), ("always", 1)], ["on"]
    postgres = Postgres(tmp)
    engine = Engine(tmp)
    try:
        for run_index in range(args.runs):
            print(f"== run {run_index + 1} of {args.runs}", flush=True)
            for durability, pipeline in redis_modes:
                label = "none" if durability == "none" else "appendfsync always"
                add("Redis+Lua", label, CLIENTS, "none" if pipeline == 1 else f"{pipeline} deep",
                    redis_run(tmp, durability, pipeline, args.redis_requests))
            for mode in pg_modes:
                postgres.start(mode)
                try:
                    add("Postgres", f"synchronous_commit {mode}", CLIENTS, "none",
                        postgres.bench(args.duration))
                finally:
                    postgres.stop()
            add("engine", "fsync'd journal", CLIENTS, "none",
                engine.run(CLIENTS, args.duration))
            add("engine", PING_ROW, CLIENTS, "none", engine.ping_run(CLIENTS, args.duration))
            if not args.smoke:
                add("engine", "fsync'd journal", CLIENTS, "16 in flight",
                    engine.run(CLIENTS, args.duration, in_flight=16))
                closed = engine.run(1000, args.duration)
                add("engine", "fsync'd journal", 1000, "none", closed)
                # Open loop at 80 % of the closed loop's rate in the same run: a rate it sustains.
                add("engine", "fsync'd journal", 1000, "open loop, 80% of max",
                    engine.run(1000, args.duration, rate=int(closed["bps"] * 0.8)))
    finally:
        postgres.stop()
    return list(results.values())


def fmt(value, digits=2):
    return "-" if value is None else f"{value:.{digits}f}"


def print_table(results, markdown):
    engine = {r.pipelining: r for r in results
              if r.system == "engine" and r.clients == CLIENTS and r.durability != PING_ROW}
    header = ["system", "durability", "clients", "pipelining", "bids/s (median)", "p50 ms",
              "p99 ms", "stored = reported", "engine ÷ this"]
    rows = []
    for r in results:
        peer = engine.get("none" if r.pipelining == "none" else "16 in flight")
        stored = {True: "yes", False: "NO", None: "n/a"}[r.stored_ok()]
        ratio = ("" if r.system == "engine" or peer is None
                 else f"{peer.median('bps') / r.median('bps'):.1f}×")
        rows.append([r.system, r.durability, str(r.clients), r.pipelining,
                     f"{r.median('bps'):,.0f}", fmt(r.median('p50')), fmt(r.median('p99')),
                     stored, ratio])
    if markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for row in rows:
            print("| " + " | ".join(row) + " |")
        return
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(header)]
    for row in [header] + rows:
        print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)))


def check_floors(results):
    """Issue 8's floors, at equal client counts (50, no pipelining). Returns the lines."""
    by_key = {r.key(): r for r in results}
    engine = by_key.get(("engine", "fsync'd journal", CLIENTS, "none"))
    lines = []
    for key, floor in [(("Redis+Lua", "appendfsync always", CLIENTS, "none"), 4),
                       (("Postgres", "synchronous_commit on", CLIENTS, "none"), 10)]:
        peer = by_key.get(key)
        if engine and peer:
            ratio = engine.median("bps") / peer.median("bps")
            lines.append(f"floor: durable engine ≥ {floor}× {key[0]} {key[1]} at {CLIENTS} clients: "
                         f"{ratio:.1f}× — {'met' if ratio >= floor else 'MISSED'}")
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=float, default=10, help="seconds per pgbench / loadgen run")
    parser.add_argument("--redis-requests", type=int, default=200_000)
    parser.add_argument("--smoke", action="store_true",
                        help="one short run of the main rows (the test suite's check)")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    args = parser.parse_args()
    if args.smoke:
        args.runs, args.duration, args.redis_requests = 1, 2, 3_000
    tmp = tempfile.mkdtemp(prefix="auction-peers-")
    try:
        print(f"machine: {os.cpu_count()} cores, {time.strftime('%Y-%m-%d', time.gmtime())}; "
              f"{CLIENTS} clients; durations {args.duration} s; Redis {args.redis_requests} "
              f"requests per run", flush=True)
        results = measure(args, tmp)
        print()
        print_table(results, args.markdown)
        for line in check_floors(results):
            print(line)
        if any(r.stored_ok() is False for r in results):
            print("peers: a system stored a different number of bids than its tool reported",
                  file=sys.stderr)
            return 1
        return 0
    except (Failure, subprocess.TimeoutExpired) as e:
        print(f"peers: {e}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
