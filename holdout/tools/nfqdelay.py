#!/usr/bin/env python3
"""Delay packets by a fixed time using an iptables NFQUEUE (netem stand-in).

  nfqdelay.py --queue N --delay-ms D [--lifetime S]

The kernel this project's fixtures were made on has no sch_netem, so the router
sends the packets to delay to `-j NFQUEUE --queue-num N` and this program gives
each one back (NF_ACCEPT) D milliseconds after it was queued, in order.
Speaks nfnetlink_queue directly over a NETLINK_NETFILTER socket, no libraries.
Exits after --lifetime seconds (default 120); make-fixtures.sh also kills it.
"""
import argparse
import heapq
import os
import select
import socket
import struct
import sys
import time

NETLINK_NETFILTER = 12
NFNL_SUBSYS_QUEUE = 3
NFQNL_MSG_PACKET, NFQNL_MSG_VERDICT, NFQNL_MSG_CONFIG = 0, 1, 2
NFQA_CFG_CMD, NFQA_CFG_PARAMS = 1, 2
NFQNL_CFG_CMD_BIND = 1
NFQNL_COPY_META = 1
NFQA_PACKET_HDR = 1
NFQA_VERDICT_HDR = 2
NLM_F_REQUEST, NLM_F_ACK = 1, 4
NLMSG_ERROR = 2
NF_ACCEPT = 1


def attr(atype, payload):
    ln = 4 + len(payload)
    return struct.pack("=HH", ln, atype) + payload + b"\0" * ((4 - ln % 4) % 4)


def message(mtype, queue, attrs, flags=NLM_F_REQUEST, family=socket.AF_UNSPEC, seq=0):
    body = struct.pack("=BBH", family, 0, socket.htons(queue)) + b"".join(attrs)
    return struct.pack("=IHHII", 16 + len(body), (NFNL_SUBSYS_QUEUE << 8) | mtype, flags, seq, 0) + body


def check_ack(sock):
    data = sock.recv(65536)
    ln, mtype = struct.unpack_from("=IH", data, 0)
    if mtype == NLMSG_ERROR:
        err = struct.unpack_from("=i", data, 16)[0]
        if err != 0:
            raise OSError(-err, "nfqueue config failed: %s" % os.strerror(-err))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--queue", type=int, required=True)
    ap.add_argument("--delay-ms", type=float, required=True)
    ap.add_argument("--lifetime", type=float, default=120)
    args = ap.parse_args()
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
    s.bind((0, 0))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    cmd = struct.pack("=BBH", NFQNL_CFG_CMD_BIND, 0, 0)
    s.send(message(NFQNL_MSG_CONFIG, args.queue, [attr(NFQA_CFG_CMD, cmd)], NLM_F_REQUEST | NLM_F_ACK, seq=1))
    check_ack(s)
    params = struct.pack(">IB", 0, NFQNL_COPY_META)
    s.send(message(NFQNL_MSG_CONFIG, args.queue, [attr(NFQA_CFG_PARAMS, params)], NLM_F_REQUEST | NLM_F_ACK, seq=2))
    check_ack(s)
    print("nfqdelay: queue %d bound, delay %.0f ms" % (args.queue, args.delay_ms), flush=True)
    delay = args.delay_ms / 1000.0
    pending = []  # (release time, seq, packet id)
    n = 0
    deadline = time.monotonic() + args.lifetime
    while time.monotonic() < deadline:
        now = time.monotonic()
        while pending and pending[0][0] <= now:
            _, _, pid = heapq.heappop(pending)
            vh = struct.pack(">II", NF_ACCEPT, pid)
            s.send(message(NFQNL_MSG_VERDICT, args.queue, [attr(NFQA_VERDICT_HDR, vh)]))
        timeout = min(pending[0][0] - now, 1.0) if pending else 1.0
        r, _, _ = select.select([s], [], [], max(timeout, 0))
        if not r:
            continue
        data = s.recv(65536)
        off = 0
        while off + 16 <= len(data):
            ln, mtype = struct.unpack_from("=IH", data, off)
            if ln < 16:
                break
            if mtype == (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET:
                a = off + 20
                while a + 4 <= off + ln:
                    alen, atype = struct.unpack_from("=HH", data, a)
                    if alen < 4:
                        break
                    if atype & 0x7FFF == NFQA_PACKET_HDR:
                        pid = struct.unpack_from(">I", data, a + 4)[0]
                        n += 1
                        heapq.heappush(pending, (time.monotonic() + delay, n, pid))
                    a += (alen + 3) & ~3
            off += (ln + 3) & ~3
    return 0


if __name__ == "__main__":
    sys.exit(main())
