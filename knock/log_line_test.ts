import fc from "npm:fast-check@3.23.2";
import { assertEquals } from "../tests/assert.ts";
import { parseLogLine } from "./log_line.ts";
import { fileSource } from "./log_source.ts";

// The example line of SPEC §12.3, and an nft `log` line from the kernel ring.
const SYSLOG =
  "Jun 20 11:24:56 host kernel: [ 7356.47] IN=lo OUT= MAC=00:00:00:00:00:00:00:00:00:00:00:00:08:00 SRC=127.0.0.1 DST=127.0.0.1 LEN=60 TOS=0x10 PREC=0x00 TTL=64 ID=34848 DF PROTO=TCP SPT=12345 DPT=61083 WINDOW=32792 RES=0x00 SYN URGP=0";
const NFT_UDP =
  "knock: IN=veth1 OUT= MAC=aa:bb:cc:dd:ee:ff:11:22:33:44:55:66:08:00 SRC=192.0.2.1 DST=192.0.2.2 LEN=29 TOS=0x00 PREC=0x00 TTL=64 ID=1 DF PROTO=UDP SPT=40000 DPT=7002 LEN=9";
const V6_ICMP =
  "IN=veth1 OUT= SRC=2001:db8:1::1 DST=2001:db8:1::2 LEN=64 TC=0 HOPLIMIT=64 FLOWLBL=0 PROTO=ICMPv6 TYPE=128 CODE=0 ID=7 SEQ=1";

Deno.test("LOG lines: TCP SYN, UDP and ICMPv6 knocks are read; others are not", () => {
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
  const synack = parseLogLine(SYSLOG.replace("RES=0x00 SYN URGP", "RES=0x00 ACK SYN URGP"));
  assertEquals(synack?.tcpFlags, 0x12);
  for (
    const bad of [
      "",
      "Jun 20 sshd[1]: Accepted publickey for root",
      SYSLOG.replace("SRC=127.0.0.1", "SRC=999.1.1.1"),
      SYSLOG.replace("DPT=61083", "DPT=99999"),
      NFT_UDP.replace("PROTO=UDP", "PROTO=GRE"),
    ]
  ) assertEquals(parseLogLine(bad), undefined, bad);
});

Deno.test("LOG lines: random text never throws", () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 300 }), (s) => {
      parseLogLine(`IN=x OUT= ${s}`);
      parseLogLine(s);
    }),
    { numRuns: 3000 },
  );
});

Deno.test("syslog file source: follows appends, rotation and truncation", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/messages`;
  await Deno.writeTextFile(path, `${SYSLOG.replace("61083", "1")}\n`); // before start: skipped
  const src = fileSource(path, 20);
  const got: number[] = [];
  const reader = (async () => {
    for await (const p of src.packets()) {
      got.push(p.dport);
      if (got.length === 3) break;
    }
  })();
  await new Promise((r) => setTimeout(r, 60));
  await Deno.writeTextFile(path, `${SYSLOG.replace("61083", "2")}\n`, { append: true });
  await new Promise((r) => setTimeout(r, 60));
  await Deno.rename(path, `${path}.1`); // rotated: a new file
  await Deno.writeTextFile(path, `${SYSLOG.replace("61083", "3")}\n`);
  await new Promise((r) => setTimeout(r, 60));
  await Deno.writeTextFile(path, ""); // truncated (copytruncate rotation)
  await new Promise((r) => setTimeout(r, 60));
  await Deno.writeTextFile(path, `${SYSLOG.replace("61083", "4")}\n`, { append: true });
  await Promise.race([reader, new Promise((r) => setTimeout(r, 2000))]);
  src.close();
  assertEquals(got, [2, 3, 4]);
  await Deno.remove(dir, { recursive: true });
});
