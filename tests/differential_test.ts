/**
 * Differential test: one corpus of packets, good and bad, through the stock
 * fwknopd and through fwknopd-ts, both in `-t` mode over the same pcap file.
 * Every packet must get the same decision (which stanzas accepted it).
 */
import { assertEquals } from "./assert.ts";
import { haveCommand, report, skip } from "./env.ts";
import { runFwknopdTest } from "./fwknopd.ts";
import type { UdpRecord } from "./pcap.ts";
import { DigestType } from "../lib/spa/digest.ts";
import { MessageType } from "../lib/spa/message.ts";
import { encodeSpa, type SpaRequest } from "../lib/spa/packet.ts";
import { EncryptionMode } from "../lib/spa/rijndael.ts";

const SERVER = new URL("../server.ts", import.meta.url).pathname;
const enc = new TextEncoder();

const ACCESS = `SOURCE 10.1.0.0/16
KEY key-one
HMAC_KEY hmac-one
OPEN_PORTS tcp/22, udp/53

SOURCE 10.2.0.0/16
KEY key-two
HMAC_KEY hmac-two
HMAC_DIGEST_TYPE sha512
REQUIRE_USERNAME alice

SOURCE 10.3.0.0/16
KEY key-three
ENCRYPTION_MODE CTR
REQUIRE_SOURCE_ADDRESS Y

SOURCE ANY
KEY key-any
HMAC_KEY hmac-any
ENABLE_CMD_EXEC Y
`;

function corpus(now: number): UdpRecord[] {
  const out: UdpRecord[] = [];
  let n = 0;
  const add = (net: number, payload: string) => {
    n++;
    out.push({ payload, src: `10.${net}.${Math.floor(n / 250)}.${(n % 250) + 1}` });
  };
  const one: SpaRequest = {
    message: "10.9.9.9,tcp/22",
    messageType: MessageType.ACCESS,
    username: "bob",
    key: enc.encode("key-one"),
    hmacKey: enc.encode("hmac-one"),
    timestamp: now,
  };
  const two: SpaRequest = {
    ...one,
    key: enc.encode("key-two"),
    hmacKey: enc.encode("hmac-two"),
    hmacType: DigestType.SHA512,
    username: "alice",
  };
  const three: SpaRequest = {
    message: "10.9.9.9,udp/53",
    messageType: MessageType.ACCESS,
    username: "carol",
    key: enc.encode("key-three"),
    mode: EncryptionMode.CTR,
    timestamp: now,
  };
  const any: SpaRequest = { ...one, key: enc.encode("key-any"), hmacKey: enc.encode("hmac-any") };
  for (let i = 0; i < 20; i++) {
    // Good packets for each stanza, and their near misses.
    add(1, encodeSpa(one).wire);
    add(1, encodeSpa({ ...one, message: "10.9.9.9,tcp/22,udp/53" }).wire);
    add(1, encodeSpa({ ...one, message: "10.9.9.9,tcp/23" }).wire); // not in OPEN_PORTS
    add(1, encodeSpa({ ...one, key: enc.encode("key-two") }).wire); // wrong key
    add(2, encodeSpa(two).wire);
    add(2, encodeSpa({ ...two, username: "mallory" }).wire); // username mismatch
    add(2, encodeSpa({ ...two, hmacType: DigestType.SHA256 }).wire); // wrong HMAC type
    add(3, encodeSpa(three).wire);
    add(3, encodeSpa({ ...three, message: "0.0.0.0,udp/53" }).wire); // source address required
    add(3, encodeSpa({ ...three, mode: EncryptionMode.CBC }).wire); // wrong mode
    add(4, encodeSpa(any).wire);
    add(
      4,
      encodeSpa({
        ...any,
        message: "10.9.9.9,touch /tmp/differential",
        messageType: MessageType.COMMAND,
      }).wire,
    );
    add(4, encodeSpa({ ...any, timestamp: now - 1000 }).wire); // stale
    add(4, encodeSpa({ ...any, timestamp: now + 1000 }).wire); // from the future
    add(
      4,
      encodeSpa({
        ...any,
        clientTimeout: 45,
        natAccess: "192.168.1.1,22",
        messageType: MessageType.NAT_ACCESS,
      }).wire,
    ); // NAT not enabled
    const good = encodeSpa(any).wire;
    add(4, good.slice(0, good.length - 5)); // truncated
    add(4, good.slice(0, 40) + (good[40] === "A" ? "B" : "A") + good.slice(41)); // one character changed
    add(4, "U2FsdGVkX1" + good); // prefix re-attached
    add(4, good + "AAAA"); // extended
    add(4, "x".repeat(150 + i)); // garbage
  }
  return out;
}

Deno.test("differential: fwknopd and fwknopd-ts decide every packet alike in -t mode", async () => {
  if (!(await haveCommand("fwknopd", ["-V"]))) {
    return skip("fwknopd is not installed (Debian package fwknop-server)");
  }
  const now = Math.floor(Date.now() / 1000);
  const records = corpus(now);
  const conf = "ENABLE_SPA_PACKET_AGING Y;\n";
  const stock = await runFwknopdTest(conf, ACCESS, records);
  const ours = await runFwknopdTest(conf, ACCESS, records, ["deno", "run", "-A", SERVER]);
  const view = (m: Map<string, number[]>) =>
    records.map((r) => `${r.src}: ${m.get(r.src!)?.join(",") ?? "-"}`);
  assertEquals(view(ours.accepted), view(stock.accepted), ours.output.slice(-2000));
  const accepted = [...stock.accepted.values()].length;
  report(
    `differential: ${records.length} packets, ${accepted} accepted and ${
      records.length - accepted
    } refused by both daemons alike`,
  );
});
