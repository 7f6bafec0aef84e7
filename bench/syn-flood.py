# SYNs from 127.0.0.1 to 127.0.0.1 ports 9000-9099 through a raw socket: distinct source ports,
# pseudo-random sequence numbers, valid checksums, paced to RATE per second; stops after SECONDS or
# LIMIT packets, whichever comes first, and prints what it sent as JSON. Used by test/live.test.ts
# and bench/live-flood.sh; run it only inside a network namespace of its own (it floods loopback).
#   python3 bench/syn-flood.py RATE SECONDS LIMIT
import socket, struct, sys, time
rate, secs, limit = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
addr = socket.inet_aton('127.0.0.1')
pkt = bytearray(40)
struct.pack_into('!BBHHHBBH4s4s', pkt, 0, 0x45, 0, 40, 0, 0x4000, 64, 6, 0, addr, addr)
struct.pack_into('!HHIIBBHHH', pkt, 20, 0, 0, 0, 0, 0x50, 0x02, 64240, 0, 0)
d = addr + addr + struct.pack('!BBH', 0, 6, 20) + bytes(pkt[20:40])
base = sum(struct.unpack('!%dH' % (len(d) // 2), d))
def fold(x):
    while x >> 16: x = (x & 0xffff) + (x >> 16)
    return x
sent, seq, sport, dport = 0, 1, 10000, 9000
t0 = time.monotonic()
while sent < limit:
    sport += 1
    if sport > 60999: sport, dport = 10000, 9000 + (dport - 8999) % 100
    seq = (seq * 1103515245 + 12345) & 0xffffffff
    struct.pack_into('!HHI', pkt, 20, sport, dport, seq)
    struct.pack_into('!H', pkt, 36, ~fold(base + sport + dport + (seq >> 16) + (seq & 0xffff)) & 0xffff)
    s.sendto(pkt, ('127.0.0.1', 0))
    sent += 1
    if sent % 1000 == 0:
        el = time.monotonic() - t0
        if el >= secs: break
        if sent / rate > el: time.sleep(sent / rate - el)
el = time.monotonic() - t0
print('{"sent": %d, "seconds": %.3f}' % (sent, el))
