import fc from "npm:fast-check@3.23.2";
import { assertEquals } from "../tests/assert.ts";
import { MAX_LOG_LINE, parseLogLine } from "./log_line.ts";

// The example line of SPEC §12.3, and an nft `log` line from the kernel ring.
const SYSLOG =
  "Jun 20 11:24:56 host kernel: [ 7356.47] IN=lo OUT= MAC=00:00:00:00:00:00:00:00:00:00:00:00:08:00 SRC=127.0.0.1 DST=127.0.0.1 LEN=60 TOS=0x10 PREC=0x00 TTL=64 ID=34848 DF PROTO=TCP SPT=12345 DPT=61083 WINDOW=32792 RES=0x00 SYN URGP=0";
const NFT_UDP =
  "knock: IN=veth1 OUT= MAC=aa:bb:cc:dd:ee:ff:11:22:33:44:55:66:08:00 SRC=192.0.2.1 DST=192.0.2.2 LEN=29 TOS=0x00 PREC=0x00 TTL=64 ID=1 DF PROTO=UDP SPT=40000 DPT=7002 LEN=9 ";
const V6_ICMP =
  "IN=veth1 OUT= SRC=2001:0db8:0001:0000:0000:0000:0000:0001 DST=2001:0db8:0001:0000:0000:0000:0000:0002 LEN=64 TC=0 HOPLIMIT=64 FLOWLBL=0 PROTO=ICMPv6 TYPE=128 CODE=0 ID=7 SEQ=1 ";
// An ICMP error carries the packet it answers in brackets: only the outer one is read.
const ICMP_ERR =
  "fw IN=eth0 OUT= MAC= SRC=192.0.2.9 DST=192.0.2.2 LEN=88 TOS=0x00 PREC=0xC0 TTL=64 ID=5 PROTO=ICMP TYPE=3 CODE=3 [SRC=192.0.2.2 DST=192.0.2.9 LEN=60 TOS=0x00 PREC=0x00 TTL=64 ID=1 DF PROTO=TCP SPT=7001 DPT=40000 WINDOW=0 RES=0x00 SYN URGP=0 ] ";
// What the kernel printed when a local user's program crashed in a file it named like a
// LOG line (reproduced on Linux 6.18 with an mmap()ed file; facility 0, like a real one).
const SEGFAULT =
  "python3[15066]: segfault at 0 ip 00007fd57b9aa000 sp 00007ffeed5615d8 error 4 in IN=x OUT= MAC= SRC=203.0.113.99 DST=198.51.100.1 LEN=60 TOS=0x00 PREC=0x00 TTL=64 ID=1 DF PROTO=TCP SPT=40000 DPT=7001 WINDOW=64240 RES=0x00 SYN URGP=0 [0,7fd57b9aa000+1000] likely on CPU 0 (core 0, socket 0)";

Deno.test("LOG lines: TCP SYN, UDP and ICMP knocks are read; others are not", () => {
  const syn = parseLogLine(SYSLOG);
  assertEquals([syn?.src.text, syn?.proto, syn?.sport, syn?.dport, syn?.tcpFlags], [
    "127.0.0.1",
    6,
    12345,
    61083,
    0x02,
  ]);
  const udp = parseLogLine(NFT_UDP);
  assertEquals([udp?.src.text, udp?.proto, udp?.dport], ["192.0.2.1", 17, 7002]);
  const icmp = parseLogLine(V6_ICMP);
  assertEquals([icmp?.src.text, icmp?.proto], ["2001:db8:1::1", 58]);
  const err = parseLogLine(ICMP_ERR);
  assertEquals([err?.src.text, err?.proto, err?.dport], ["192.0.2.9", 1, 0]);
  const synack = parseLogLine(SYSLOG.replace("RES=0x00 SYN URGP", "RES=0x00 ACK SYN URGP"));
  assertEquals(synack?.tcpFlags, 0x12);
  // A bridge line and nf_log's decoded MAC form.
  const bridged = parseLogLine(
    NFT_UDP.replace("OUT= MAC=aa:bb:cc:dd:ee:ff:11:22:33:44:55:66:08:00", "OUT= PHYSIN=eth1 MAC="),
  );
  assertEquals(bridged?.dport, 7002);
  const macsrc = parseLogLine(
    NFT_UDP.replace(
      "MAC=aa:bb:cc:dd:ee:ff:11:22:33:44:55:66:08:00",
      "MACSRC=aa:bb:cc:dd:ee:ff MACDST=11:22:33:44:55:66 MACPROTO=0800",
    ),
  );
  assertEquals(macsrc?.dport, 7002);
  // TCP sequence numbers (--log-tcp-sequence) and UID/GID/MARK fields.
  const seq = parseLogLine(
    SYSLOG.replace("WINDOW=", "SEQ=1 ACK=0 WINDOW=").concat(" UID=0 GID=0 MARK=0x1"),
  );
  assertEquals([seq?.dport, seq?.tcpFlags], [61083, 0x02]);
});

Deno.test("LOG lines: forged, foreign and odd lines are refused", () => {
  for (
    const bad of [
      "",
      "Jun 20 sshd[1]: Accepted publickey for root",
      SEGFAULT,
      // The review's forged line: a user's words between the fields.
      "mallory[4242]: hello IN=x OUT= SRC=203.0.113.99 DST=198.51.100.1 PROTO=TCP SPT=1 DPT=7001 hi",
      SYSLOG.concat(" and more"),
      SYSLOG.replace("SRC=127.0.0.1", "SRC=999.1.1.1"),
      SYSLOG.replace("SRC=127.0.0.1", "SRC=127.0.0.01"),
      SYSLOG.replace("DST=127.0.0.1", "DST=::1"), // families differ
      SYSLOG.replace("DPT=61083", "DPT=99999"),
      SYSLOG.replace("DPT=61083", "DPT=061083"),
      SYSLOG.replace("DPT=61083", "DPT=-1"),
      SYSLOG.replace("SPT=12345 ", ""),
      SYSLOG.replace("PROTO=TCP", "PROTO=tcp"),
      SYSLOG.replace("IN=lo OUT=", "IN=lo  OUT="),
      SYSLOG.replace("IN=lo", "IN=a/b"),
      SYSLOG.replace("IN=lo", "IN=sixteen-chars-xy"),
      SYSLOG.replace("MAC=", "MAC=zz"),
      SYSLOG.replace(" SRC=", "\tSRC="),
      SYSLOG.replace("TTL=64", "TTL=64\u00e9"),
      SYSLOG.replace("kernel:", "kernel:\u0000"),
      NFT_UDP.replace("PROTO=UDP", "PROTO=GRE"),
      V6_ICMP.replace("PROTO=ICMPv6", "PROTO=ICMP"), // ICMP over IPv6
      NFT_UDP.replace("PROTO=UDP", "PROTO=ICMPv6"),
      V6_ICMP.replace("SRC=2001:0db8:0001:0000:0000:0000:0000:0001", "SRC=2001:db8:1::1"),
      `${"x".repeat(401 - "knock: ".length)}${NFT_UDP}`, // more before IN= than a syslog header and a prefix
      NFT_UDP.padEnd(MAX_LOG_LINE + 1, " "),
    ]
  ) assertEquals(parseLogLine(bad), undefined, bad);
  // Exactly at the limit is still read.
  assertEquals(parseLogLine(NFT_UDP.padEnd(MAX_LOG_LINE, " "))?.dport, 7002);
  assertEquals(parseLogLine(`${"x".repeat(400 - "knock: ".length)}${NFT_UDP}`)?.dport, 7002);
});

Deno.test("LOG lines: random text never throws, and extra words are never read", () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 300 }), (s) => {
      parseLogLine(`IN=x OUT= ${s}`);
      parseLogLine(s);
      // A lowercase word or punctuation after the fields makes any line foreign.
      if (/[,+!?'"]|(?:^|\s)[a-z]/.test(s)) {
        assertEquals(parseLogLine(`${NFT_UDP}${s}`), undefined, s);
      }
    }),
    { numRuns: 3000 },
  );
});
