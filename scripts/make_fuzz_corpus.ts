/**
 * Writes the fuzz seed corpus (`tests/fuzz/corpus/<target>/`): valid inputs
 * of each parser, from which the fuzzer mutates. Run once; the files are
 * kept in the repository.
 *
 *     deno run --allow-write=tests/fuzz/corpus scripts/make_fuzz_corpus.ts
 *
 * @module
 */
import { encodeSpa } from "../lib/spa/packet.ts";
import { MessageType } from "../lib/spa/message.ts";
import { EncryptionMode } from "../lib/spa/rijndael.ts";
import { encryptSequence } from "../knock/sequence.ts";

const enc = new TextEncoder();
const OUT = new URL("../tests/fuzz/corpus/", import.meta.url).pathname;
const T = 1_800_000_000;

function spa(message: string, type: MessageType, extra: Record<string, unknown> = {}): string {
  return encodeSpa(
    {
      message,
      messageType: type,
      username: "fuzz",
      key: enc.encode("fuzzkey"),
      mode: EncryptionMode.CBC,
      timestamp: T,
      ...extra,
    } as Parameters<typeof encodeSpa>[0],
  ).wire;
}

function frame(payload: string): string {
  // Ethernet + IPv4 + UDP to 62201, as bytes one per character.
  const p = [...enc.encode(payload)];
  const ip = [
    0x45,
    0,
    0,
    20 + 8 + p.length,
    0,
    0,
    0x40,
    0,
    64,
    17,
    0,
    0,
    192,
    0,
    2,
    1,
    192,
    0,
    2,
    2,
  ];
  ip[2] = (20 + 8 + p.length) >> 8;
  ip[3] = (20 + 8 + p.length) & 0xff;
  const udp = [0x9c, 0x40, 0xf2, 0xf9, (8 + p.length) >> 8, (8 + p.length) & 0xff, 0, 0];
  const eth = [...Array(12).fill(0x02), 0x08, 0x00];
  return String.fromCharCode(...eth, ...ip, ...udp, ...p);
}

const corpus: Record<string, string[]> = {
  "spa-wire": [
    spa("192.0.2.1,tcp/22", MessageType.ACCESS),
    spa("192.0.2.1,tcp/22,udp/53", MessageType.CLIENT_TIMEOUT_ACCESS, { clientTimeout: 60 }),
    spa("192.0.2.1,id", MessageType.COMMAND),
    spa("192.0.2.1,tcp/22", MessageType.NAT_ACCESS, { natAccess: "10.0.0.2,22" }),
  ],
  "spa-message": [
    "1234567890123456:ZnV6eg:1800000000:3.0.0:1:MTkyLjAuMi4xLHRjcC8yMg",
    "1234567890123456:ZnV6eg:1800000000:3.0.0:2:MTkyLjAuMi4xLHRjcC8yMg:MTAuMC4wLjIsMjI:60",
    "1234567890123456:ZnV6eg:1800000000:3.0.0:0:MTkyLjAuMi4xLGlk",
  ],
  "frame": [frame("A".repeat(100)), frame(spa("192.0.2.1,tcp/22", MessageType.ACCESS))],
  "knock-log-line": [
    "Dec  2 06:00:00 host kernel: [123.4] IN=eth0 OUT= MAC=00 SRC=192.0.2.1 DST=192.0.2.2 LEN=60 TOS=0x00 PREC=0x00 TTL=64 ID=1 DF PROTO=TCP SPT=40000 DPT=7001 WINDOW=64240 RES=0x00 SYN URGP=0",
    "IN=eth0 OUT= SRC=2001:db8::1 DST=2001:db8::2 LEN=48 PROTO=UDP SPT=1 DPT=7002 LEN=8",
    "IN=eth0 OUT= SRC=192.0.2.1 DST=192.0.2.2 PROTO=ICMP TYPE=8 CODE=0 ID=1 SEQ=1",
  ],
  "knock-sequence": [
    String.fromCharCode(
      ...encryptSequence(
        { allowIp: "0.0.0.0", proto: "tcp", port: 22, username: "fuzz" },
        "fuzzkey1",
      )
        .cipher,
    ),
  ],
  "knock-window": [
    // Source 192.0.2.1, then a sequence under another key, then the review's stream.
    "\xc0\x00\x02\x01" + String.fromCharCode(
      ...encryptSequence(
        { allowIp: "192.0.2.1", proto: "tcp", port: 22, username: "fuzz" },
        "not the target's key",
      ).cipher,
    ),
    "\xcb\x00\x71\x63" + "Salted__\x01\x02\x03\x04\x05\x06\x07\x08".repeat(8),
  ],
  "access-conf": [
    "SOURCE ANY\nKEY abcdefgh\nHMAC_KEY hmacsecret\nOPEN_PORTS tcp/22, udp/53\nFW_ACCESS_TIMEOUT 30\n",
    "SOURCE 192.0.2.0/24, 2001:db8::/32\nKEY_BASE64 YWJjZGVmZ2g=\nENCRYPTION_MODE CTR\nREQUIRE_USERNAME alice\nACCESS_EXPIRE 12/31/2030\n",
    "SOURCE ANY\nENCRYPT_SEQUENCE Y\nKEY knockkey\nPORT_OFFSET 61000\nOPEN_PORTS tcp/22\n\nSOURCE ANY\nSHARED_SEQUENCE tcp/7001, udp/7002, icmp\nOPEN_PORTS tcp/22\n",
    "SOURCE ANY\nKEY k\nCMD_CYCLE_OPEN /bin/echo $IP\nCMD_CYCLE_CLOSE /bin/echo $IP\nCMD_CYCLE_TIMER 10\nFLEET_GROUP ops\n",
  ],
  "fwknopd-conf": [
    "PCAP_INTF eth0;\nPCAP_FILTER udp port 62201;\nMAX_SPA_PACKET_AGE 120;\nENABLE_IPT_FORWARDING Y;\nIPT_INPUT_ACCESS ACCEPT, filter, INPUT, 1, FWKNOP_INPUT, 1;\n",
    "FIREWALL_TYPE nftables;\nNFT_TABLE inet filter;\nFLEET_REDIS_URL redis://10.0.0.5:6379;\nFLEET_GATEWAY gw1;\nENABLE_METRICS Y;\nMETRICS_ADDRESS 127.0.0.1:9685;\n",
  ],
  "fwknoprc": [
    "[default]\nVERBOSE Y\n\n[srv]\nSPA_SERVER 192.0.2.2\nACCESS tcp/22\nALLOW_IP 192.0.2.1\nKEY_BASE64 YWJjZGVmZ2g=\nHMAC_KEY_BASE64 aG1hYw==\nUSE_HMAC Y\nTIME_OFFSET -1s\n",
  ],
  "knockd-conf": [
    "[options]\n  Interface = eth0\n[openSSH]\n  sequence = 7000,8000:udp,9000\n  seq_timeout = 5\n  tcpflags = syn\n  command = /usr/sbin/iptables -A INPUT -s %IP% -p tcp --dport 22 -j ACCEPT\n",
  ],
  "fleet-message": [
    "kind=grant\ngw=gw1\nsrc=192.0.2.1\ndst=\nports=tcp/22,udp/53\nexp=1800000000\nstanza=2",
    '{"proto":17,"srcIp":"192.0.2.1","srcPort":1,"dstIp":"192.0.2.2","dstPort":62201,"time":1800000000,"gateway":"gw1"}',
  ],
};

for (const [target, inputs] of Object.entries(corpus)) {
  Deno.mkdirSync(`${OUT}${target}`, { recursive: true });
  inputs.forEach((input, i) => {
    Deno.writeTextFileSync(`${OUT}${target}/seed-${i}.json`, JSON.stringify(input) + "\n");
  });
}
// deno-lint-ignore no-console
console.log(`wrote ${Object.values(corpus).flat().length} seeds`);
