#!/usr/bin/env python3
"""Tiny TCP endpoints for holdout/run.sh (runs inside the sc-* namespaces).

Copied from the fixture helpers (fixtures/tools/tcpctl.py of the fx-backlog branch) and
extended for the held-out sets: server modes unread / shutwr / read-linger0, clients that send
N separate segments (--segments), bursts from several client addresses (--src A,B), clients
that send nothing (--no-data).

  tcpctl.py serve   --host H --ports 8080,8087          accept, read, reply, close
        [--backlog N] [--accept-interval S] [--mode M] [--request-bytes N] [--reply-bytes N]
        listen(N) (default 16); with --accept-interval, accept() one connection,
        then wait S seconds before the next accept() (a slow listener)
        --mode what each accepted connection gets (default reply):
          reply      read once, reply "synscope-ok ...", wait for the client's FIN, close
          bulk       read --request-bytes bytes (or to EOF), send --reply-bytes bytes,
                     wait for the client's FIN, close
          rst        close at once with SO_LINGER {1, 0} (RST), nothing read
          close      close() at once (FIN), nothing read
          reply-rst  read once, reply, then close with SO_LINGER {1, 0} (RST)
          unread     wait --unread-wait seconds (the client's data arrives), close() without
                     reading: the kernel resets (RST+ACK) a socket closed with unread data
          shutwr     read once, reply, shutdown(SHUT_WR) (FIN), read to EOF, close
          read-linger0  read once, no reply, close with SO_LINGER {1, 0} (RST+ACK)
  tcpctl.py nolisten --host H --port P --backlog 1       listen(backlog), never accept()
  tcpctl.py connect --src A --sport N --dst B --dport N  one client attempt
        [--timeout S] [--send TEXT] [--read] [--read-timeout S] [--hold S] [--reuse]
        [--send-delay S] [--send-bytes N] [--read-bytes N]
        --send-delay: wait S seconds after connect() before sending; --send-bytes: send
        N bytes (after TEXT); --read-bytes: read until N bytes arrived (or EOF / timeout)
  tcpctl.py burst --src A[,A2..] --sports N,N,.. --offsets S,S,.. --dst B --dport N
        [--timeout S] [--send TEXT] [--read] [--read-timeout S] [--hold S]
        [--send-bytes N] [--read-bytes N] [--send-delay S] [--segments N] [--no-data]
        several clients in one process, client i connecting offsets[i] seconds
        after a common start (threads; no process start-up jitter); an offset written
        +S chains client i to client i-1: it starts S seconds after that one finished;
        --together: clients with the same offset send their SYNs in one tight loop of
        non-blocking connect() calls (within ~0.5 ms), then each goes on in its own thread

Every process exits on its own: servers after --lifetime seconds (default 120),
clients after timeout + hold.  The script also kills them explicitly.
"""
import argparse
import errno
import os
import select
import socket
import struct
import sys
import threading
import time


def family_of(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def sockaddr(addr, port):
    return (addr, port, 0, 0) if ":" in addr else (addr, port)


def log(msg):
    print(msg, flush=True)


def handle(conn):
    try:
        conn.settimeout(3.0)
        data = conn.recv(1024)
        if data:
            conn.sendall(b"synscope-ok " + data[:32])
        # wait for the client's FIN (bounded by the timeout)
        while conn.recv(1024):
            pass
    except OSError:
        pass
    finally:
        conn.close()


def handle_bulk(conn, request_bytes, reply_bytes):
    try:
        conn.settimeout(10.0)
        got = 0
        while got < request_bytes:
            d = conn.recv(65536)
            if not d:
                break
            got += len(d)
        conn.sendall(b"r" * reply_bytes)
        while conn.recv(65536):
            pass
    except OSError:
        pass
    finally:
        conn.close()


LINGER0 = struct.pack("ii", 1, 0)


def handle_rst(conn):
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER0)
    conn.close()


def handle_close(conn):
    conn.close()


def handle_reply_rst(conn):
    try:
        conn.settimeout(3.0)
        data = conn.recv(1024)
        if data:
            conn.sendall(b"synscope-ok " + data[:32])
    except OSError:
        pass
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER0)
    conn.close()


def handle_unread(conn, wait):
    time.sleep(wait)
    conn.close()


def handle_shutwr(conn):
    try:
        conn.settimeout(3.0)
        data = conn.recv(1024)
        if data:
            conn.sendall(b"synscope-ok " + data[:32])
        conn.shutdown(socket.SHUT_WR)
        while conn.recv(1024):
            pass
    except OSError:
        pass
    finally:
        conn.close()


def handle_read_linger0(conn):
    try:
        conn.settimeout(3.0)
        conn.recv(1024)
    except OSError:
        pass
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER0)
    conn.close()


def handler_for(args):
    mode = getattr(args, "mode", "reply")
    if mode == "bulk":
        return lambda c: handle_bulk(c, args.request_bytes, args.reply_bytes)
    if mode == "unread":
        return lambda c: handle_unread(c, args.unread_wait)
    return {"reply": handle, "rst": handle_rst, "close": handle_close, "reply-rst": handle_reply_rst,
            "shutwr": handle_shutwr, "read-linger0": handle_read_linger0}[mode]


def serve(args):
    socks = []
    for p in args.ports.split(","):
        s = socket.socket(family_of(args.host), socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(sockaddr(args.host, int(p)))
        s.listen(args.backlog)
        socks.append(s)
        threading.Thread(target=accept_loop, args=(s, args.accept_interval, handler_for(args)),
                         daemon=True).start()
    log("serving %s ports %s backlog %d%s mode %s" % (args.host, args.ports, args.backlog,
        ", one accept() every %.2fs" % args.accept_interval if args.accept_interval else "", args.mode))
    time.sleep(args.lifetime)


def accept_loop(s, interval=0.0, handler=handle):
    while True:
        try:
            conn, peer = s.accept()
        except OSError:
            return
        if interval:
            log("accepted %s port %d" % (peer[0], peer[1]))
        if handler in (handle_rst, handle_close):
            handler(conn)   # at once, in the accepting thread
        else:
            threading.Thread(target=handler, args=(conn,), daemon=True).start()
        if interval:
            time.sleep(interval)


def nolisten(args):
    s = socket.socket(family_of(args.host), socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(sockaddr(args.host, args.port))
    s.listen(args.backlog)
    log("listening %s port %d backlog %d, never accepting" % (args.host, args.port, args.backlog))
    time.sleep(args.lifetime)


def connect(args):
    tag = "%s:%d -> %s:%d" % (args.src, args.sport, args.dst, args.dport)
    if args.at:
        delay = args.at - time.time()
        if delay < 0:
            log("%s: started %.0f ms late" % (tag, -delay * 1000))
        elif delay < 30:
            time.sleep(delay)
    s = socket.socket(family_of(args.dst), socket.SOCK_STREAM)
    if args.reuse:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(sockaddr(args.src, args.sport))
    s.settimeout(args.timeout)
    t0 = time.time()
    try:
        s.connect(sockaddr(args.dst, args.dport))
    except socket.timeout:
        log("%s: connect timeout after %.2fs" % (tag, time.time() - t0))
        s.close()
        return
    except OSError as e:
        log("%s: connect %s after %.2fs" % (tag, errno.errorcode.get(e.errno, e.errno), time.time() - t0))
        s.close()
        return
    log("%s: connected after %.3fs" % (tag, time.time() - t0))
    session(s, args, tag)


def session(s, args, tag):
    """After connect(): send, read, hold, close (as the options say)."""
    try:
        if getattr(args, "send_delay", 0.0):
            time.sleep(args.send_delay)
        if getattr(args, "segments", 0):
            # N small segments back to back, Nagle off: each send() leaves as its own segment
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            for i in range(args.segments):
                try:
                    s.send(("seg%d-" % (i + 1)).encode() + (args.send or "x").encode())
                except OSError as e:
                    log("%s: segment %d: %s" % (tag, i + 1, errno.errorcode.get(e.errno, e.errno)))
                    break
            log("%s: sent %d segment(s)" % (tag, args.segments))
        elif args.send:
            s.sendall(args.send.encode())
        if getattr(args, "send_bytes", 0):
            s.sendall(b"q" * args.send_bytes)
        if getattr(args, "read_bytes", 0):
            s.settimeout(getattr(args, "read_timeout", 2.0))
            got = 0
            while got < args.read_bytes:
                d = s.recv(65536)
                if not d:
                    break
                got += len(d)
            log("%s: read %d bytes" % (tag, got))
        elif args.read:
            s.settimeout(getattr(args, "read_timeout", 2.0))
            reply = s.recv(1024)
            log("%s: reply %r" % (tag, reply))
        if args.hold:
            time.sleep(args.hold)
    except OSError as e:
        log("%s: after connect: %s" % (tag, errno.errorcode.get(e.errno, e.errno)))
    s.close()
    log("%s: closed" % tag)


def after(prev, pause, a):
    """A chained client: wait until the previous client of the list has finished, then pause."""
    prev.join()
    time.sleep(pause)
    connect(a)


def finish_connect(s, a, t0):
    """A non-blocking connect() already sent the SYN: wait for its outcome, then the session."""
    tag = "%s:%d -> %s:%d" % (a.src, a.sport, a.dst, a.dport)
    left = a.timeout - (time.time() - t0)
    _, w, _ = select.select([], [s], [], max(left, 0))
    if not w:
        log("%s: connect timeout after %.2fs" % (tag, time.time() - t0))
        s.close()
        return
    err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    if err:
        log("%s: connect %s after %.2fs" % (tag, errno.errorcode.get(err, err), time.time() - t0))
        s.close()
        return
    log("%s: connected after %.3fs" % (tag, time.time() - t0))
    s.setblocking(True)
    s.settimeout(a.timeout)
    session(s, a, tag)


def together(group, at):
    """Clients that share an offset: sockets bound beforehand, then every SYN sent in one tight
    loop of non-blocking connect() calls (no thread start-up or GIL hand-over between them)."""
    socks = []
    for a in group:
        s = socket.socket(family_of(a.dst), socket.SOCK_STREAM)
        s.bind(sockaddr(a.src, a.sport))
        s.setblocking(False)
        socks.append(s)
    delay = at - time.time()
    if 0 < delay < 30:
        time.sleep(delay)
    t0 = time.time()
    for s, a in zip(socks, group):
        s.connect_ex(sockaddr(a.dst, a.dport))
    log("together: %d connect() calls in %.2f ms" % (len(group), (time.time() - t0) * 1000))
    threads = [threading.Thread(target=finish_connect, args=(s, a, t0)) for s, a in zip(socks, group)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def burst(args):
    sports = [int(p) for p in args.sports.split(",")]
    offsets = args.offsets.split(",")
    srcs = args.src.split(",")      # several client addresses: client i uses srcs[i % n]
    if len(sports) != len(offsets):
        sys.exit("burst: --sports and --offsets differ in length")
    t0 = time.time() + 0.3
    threads = []

    def client_args(i, sport, at):
        return argparse.Namespace(src=srcs[i % len(srcs)], sport=sport, dst=args.dst, dport=args.dport,
                                  timeout=args.timeout, send="" if args.no_data or not args.send else args.send + str(sport),
                                  read=args.read, read_timeout=args.read_timeout, hold=args.hold, reuse=False,
                                  at=at, send_bytes=0 if args.no_data else args.send_bytes,
                                  read_bytes=args.read_bytes, send_delay=args.send_delay,
                                  segments=args.segments)
    if args.together:
        groups = {}
        for i, (sport, off) in enumerate(zip(sports, offsets)):
            if off.startswith("+"):
                sys.exit("burst: --together does not chain clients")
            groups.setdefault(float(off), []).append(client_args(i, sport, 0.0))
        for off, group in sorted(groups.items()):
            t = threading.Thread(target=together, args=(group, t0 + off))
            t.start()
            threads.append(t)
    else:
        for i, (sport, off) in enumerate(zip(sports, offsets)):
            chained = off.startswith("+") and threads
            a = client_args(i, sport, 0.0 if chained else t0 + float(off.lstrip("+")))
            if chained:
                t = threading.Thread(target=after, args=(threads[-1], float(off[1:]), a))
            else:
                t = threading.Thread(target=connect, args=(a,))
            t.start()
            threads.append(t)
    for t in threads:
        t.join()


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("serve")
    a.add_argument("--host", required=True)
    a.add_argument("--ports", required=True)
    a.add_argument("--backlog", type=int, default=16)
    a.add_argument("--accept-interval", type=float, default=0.0)
    a.add_argument("--lifetime", type=float, default=120)
    a.add_argument("--mode", choices=["reply", "bulk", "rst", "close", "reply-rst", "unread", "shutwr",
                                      "read-linger0"], default="reply")
    a.add_argument("--unread-wait", type=float, default=0.3)
    a.add_argument("--request-bytes", type=int, default=0)
    a.add_argument("--reply-bytes", type=int, default=0)
    a = sub.add_parser("nolisten")
    a.add_argument("--host", required=True)
    a.add_argument("--port", type=int, required=True)
    a.add_argument("--backlog", type=int, default=1)
    a.add_argument("--lifetime", type=float, default=120)
    a = sub.add_parser("connect")
    a.add_argument("--src", required=True)
    a.add_argument("--sport", type=int, required=True)
    a.add_argument("--dst", required=True)
    a.add_argument("--dport", type=int, required=True)
    a.add_argument("--timeout", type=float, default=2.0)
    a.add_argument("--send", default="")
    a.add_argument("--read", action="store_true")
    a.add_argument("--read-timeout", type=float, default=2.0)
    a.add_argument("--hold", type=float, default=0.0)
    a.add_argument("--reuse", action="store_true")
    a.add_argument("--at", type=float, default=0.0)
    a.add_argument("--send-delay", type=float, default=0.0)
    a.add_argument("--send-bytes", type=int, default=0)
    a.add_argument("--read-bytes", type=int, default=0)
    a.add_argument("--segments", type=int, default=0)
    a = sub.add_parser("burst")
    a.add_argument("--src", required=True)
    a.add_argument("--sports", required=True)
    a.add_argument("--offsets", required=True)
    a.add_argument("--dst", required=True)
    a.add_argument("--dport", type=int, required=True)
    a.add_argument("--timeout", type=float, default=4.0)
    a.add_argument("--send", default="data")
    a.add_argument("--read", action="store_true")
    a.add_argument("--read-timeout", type=float, default=2.0)
    a.add_argument("--hold", type=float, default=0.0)
    a.add_argument("--send-bytes", type=int, default=0)
    a.add_argument("--read-bytes", type=int, default=0)
    a.add_argument("--together", action="store_true")
    a.add_argument("--send-delay", type=float, default=0.0)
    a.add_argument("--segments", type=int, default=0)
    a.add_argument("--no-data", action="store_true", help="send nothing (connect, hold, close)")
    args = ap.parse_args()
    {"serve": serve, "nolisten": nolisten, "connect": connect, "burst": burst}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
