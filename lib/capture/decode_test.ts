import { assertEquals } from "../../tests/assert.ts";
import { udpFrame } from "../../tests/pcap.ts";
import { icmpPacket, tcpSynPacket } from "../net/packets.ts";
import { decodeFrame, DLT } from "./decode.ts";

const payload = "x".repeat(150);
const enc = new TextEncoder();

Deno.test("decodeFrame reads Ethernet/IPv4/UDP", () => {
  const f = udpFrame({ payload, src: "192.0.2.1", dst: "192.0.2.2", sport: 4000, dport: 62201 });
  assertEquals(decodeFrame(DLT.EN10MB, f), {
    payload,
    src: "192.0.2.1",
    dst: "192.0.2.2",
    proto: 17,
    sport: 4000,
    dport: 62201,
  });
});

Deno.test("decodeFrame reads 802.1Q, PPPoE, Linux cooked, raw IP", () => {
  const eth = udpFrame({ payload });
  const ip = eth.subarray(14);
  const vlan = new Uint8Array([...eth.subarray(0, 12), 0x81, 0x00, 0, 5, 0x08, 0x00, ...ip]);
  assertEquals(decodeFrame(DLT.EN10MB, vlan)?.payload, payload);
  const pppoe = new Uint8Array([
    ...eth.subarray(0, 12),
    0x88,
    0x64,
    0x11,
    0,
    0,
    1,
    0,
    ip.length + 2,
    0x00,
    0x21,
    ...ip,
  ]);
  assertEquals(decodeFrame(DLT.EN10MB, pppoe)?.payload, payload);
  const sll = new Uint8Array([0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0x08, 0x00, ...ip]);
  assertEquals(decodeFrame(DLT.LINUX_SLL, sll)?.payload, payload);
  assertEquals(decodeFrame(DLT.RAW, ip)?.payload, payload);
});

Deno.test("decodeFrame reads TCP and ICMP payloads", () => {
  const tcp = tcpSynPacket(
    { src: "10.0.0.1", dst: "10.0.0.2", sport: 1, dport: 62201 },
    enc.encode(payload),
  );
  assertEquals(decodeFrame(DLT.RAW, tcp), {
    payload,
    src: "10.0.0.1",
    dst: "10.0.0.2",
    proto: 6,
    sport: 1,
    dport: 62201,
  });
  const icmp = icmpPacket(
    { src: "10.0.0.1", dst: "10.0.0.2", type: 8, code: 0 },
    enc.encode(payload),
  );
  assertEquals(decodeFrame(DLT.RAW, icmp)?.payload, payload);
});

Deno.test("decodeFrame ignores truncated and foreign frames without throwing", () => {
  const f = udpFrame({ payload });
  for (let n = 0; n < 50; n++) decodeFrame(DLT.EN10MB, f.subarray(0, n));
  assertEquals(decodeFrame(DLT.EN10MB, f.subarray(0, 30)), undefined);
  const arp = f.slice();
  arp[12] = 0x08;
  arp[13] = 0x06;
  assertEquals(decodeFrame(DLT.EN10MB, arp), undefined);
  assertEquals(decodeFrame(999, f), undefined);
});

Deno.test("decodeFrame asks the prefilter with the payload's first byte and length", () => {
  const f = udpFrame({
    payload: "8abc",
    src: "192.0.2.1",
    dst: "192.0.2.2",
    sport: 4000,
    dport: 62201,
  });
  const seen: [number, number][] = [];
  const keep = (first: number, length: number) => (seen.push([first, length]), false);
  assertEquals(decodeFrame(DLT.EN10MB, f, keep), undefined);
  assertEquals(seen, [[0x38, 4]]);
  assertEquals(decodeFrame(DLT.EN10MB, f, () => true)?.payload, "8abc");
});
