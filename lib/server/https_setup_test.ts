import { assertEquals } from "../../tests/assert.ts";
import { type CapturedPacket, payloadText } from "../capture/packet.ts";
import { parseAddr } from "../net/addr.ts";
import { SerialSink } from "./https_setup.ts";
import { HTTPS_MAX_PENDING, peerAddress, spaPacket } from "./https_spa.ts";

const pkt = (n: number): CapturedPacket => spaPacket(`/${n}`, peerAddress(`192.0.2.1:${n}`)!, 443);

Deno.test("https sink: one packet at a time, in order; past the queue's limit packets are dropped", async () => {
  const seen: string[] = [];
  let busy = 0;
  let most = 0;
  const sink = new SerialSink(async (p) => {
    most = Math.max(most, ++busy);
    await new Promise((r) => setTimeout(r, 1));
    seen.push(payloadText(p.payload));
    busy--;
  }, () => {});
  for (let i = 0; i < HTTPS_MAX_PENDING + 10; i++) sink.submit(pkt(i));
  await sink.idle();
  assertEquals(most, 1);
  assertEquals(seen.length, HTTPS_MAX_PENDING);
  assertEquals(seen[0], "0");
  assertEquals(sink.dropped, 10);
});

Deno.test("https sink: a failing packet is reported and the next one still runs", async () => {
  const errors: unknown[] = [];
  const seen: string[] = [];
  const sink = new SerialSink((p) => {
    if (p.payload === "1") throw new Error("boom");
    seen.push(payloadText(p.payload));
    return undefined;
  }, (e) => errors.push(e));
  for (const i of [1, 2]) sink.submit(pkt(i));
  await sink.idle();
  assertEquals(seen, ["2"]);
  assertEquals(errors.length, 1);
});

Deno.test("https packet: the URL-safe form back to base64, the TCP peer as source, IPv4-mapped unmapped", () => {
  const p = spaPacket("/ab-cd_ef", peerAddress("::ffff:198.51.100.7:5555")!, 8443);
  assertEquals(p.payload, "ab+cd/ef");
  assertEquals(p.src.text, "198.51.100.7");
  assertEquals([p.proto, p.sport, p.dport, p.dst.text], [6, 5555, 8443, "0.0.0.0"]);
  const v6 = spaPacket("/x", peerAddress("2001:db8::9:1234")!, 443);
  assertEquals([v6.src.text, v6.sport, v6.dst.text], ["2001:db8::9", 1234, "::"]);
  assertEquals(peerAddress("not-an-address:1"), undefined);
  assertEquals(parseAddr("2001:db8::9")!.text, "2001:db8::9");
});
