#!/usr/bin/env python3
"""Several client attempts to different servers / ports / families from one process, each
starting at a fixed offset after a common start (threads: no process start-up jitter).

  multiconnect.py [--start-in S] [--timeout S] [--send TEXT] [--read] SRC,SPORT,DST,DPORT,OFFSET ...

tcpctl.py burst does this for one server port; sets/views.sh (vlan) needs v4 and v6 and two
ports in the same run, timed alike in two runs.  Each attempt is tcpctl.py's own connect().
Exits when every attempt is done (each bounded by --timeout and the read timeout).
"""
import argparse
import os
import sys
import threading
import time

sys.dont_write_bytecode = True   # no __pycache__ inside fixtures/tools
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tcpctl  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--start-in", type=float, default=0.3)
    ap.add_argument("--timeout", type=float, default=2.0)
    ap.add_argument("--send", default="")
    ap.add_argument("--read", action="store_true")
    ap.add_argument("--read-timeout", type=float, default=2.0)
    ap.add_argument("attempts", nargs="+")
    args = ap.parse_args()
    t0 = time.time() + args.start_in
    threads = []
    for spec in args.attempts:
        src, sport, dst, dport, off = spec.split(",")
        a = argparse.Namespace(src=src, sport=int(sport), dst=dst, dport=int(dport), timeout=args.timeout,
                               send=args.send, read=args.read, read_timeout=args.read_timeout, hold=0.0,
                               reuse=False, at=t0 + float(off))
        t = threading.Thread(target=tcpctl.connect, args=(a,))
        t.start()
        threads.append(t)
    for t in threads:
        t.join()
    return 0


if __name__ == "__main__":
    sys.exit(main())
