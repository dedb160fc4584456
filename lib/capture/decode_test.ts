import { assertEquals } from "../../tests/assert.ts";
import { udpFrame } from "../../tests/pcap.ts";
import { icmpPacket, tcpSynPacket } from "../net/packets.ts";
import { type CapturedPacket, payloadText } from "./packet.ts";
import { decodeFrame, DLT } from "./decode.ts";

/** A decoded packet with its payload and addresses as text, for comparisons. */
function view(p: CapturedPacket | undefined) {
  return p === undefined
    ? undefined
    : { ...p, payload: payloadText(p.payload), src: p.src.text, dst: p.dst.text };
}

/** An IPv6 packet (optionally with a hop-by-hop header) carrying `l4` as protocol `next`. */
function ipv6Packet(next: number, l4: Uint8Array, hopByHop = false): Uint8Array {
  const src = [0x20, 0x01, 0x0d, 0xb8, ...new Array(11).fill(0), 1];
  const dst = [0x20, 0x01, 0x0d, 0xb8, ...new Array(11).fill(0), 2];
  const ext = hopByHop ? [next, 0, 1, 4, 0, 0, 0, 0] : [];
  const len = ext.length + l4.length;
  return new Uint8Array([
    0x60,
    0,
    0,
    0,
    len >> 8,
    len & 255,
    hopByHop ? 0 : next,
    64,
    ...src,
    ...dst,
    ...ext,
    ...l4,
  ]);
}

function udpHeader(sport: number, dport: number, data: Uint8Array): Uint8Array {
  const len = 8 + data.length;
  return new Uint8Array([
    sport >> 8,
    sport & 255,
    dport >> 8,
    dport & 255,
    len >> 8,
    len & 255,
    0,
    0,
    ...data,
  ]);
}

const payload = "x".repeat(150);
const enc = new TextEncoder();

Deno.test("decodeFrame reads Ethernet/IPv4/UDP", () => {
  const f = udpFrame({ payload, src: "192.0.2.1", dst: "192.0.2.2", sport: 4000, dport: 62201 });
  assertEquals(view(decodeFrame(DLT.EN10MB, f)), {
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
  assertEquals(view(decodeFrame(DLT.EN10MB, vlan))?.payload, payload);
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
  assertEquals(view(decodeFrame(DLT.EN10MB, pppoe))?.payload, payload);
  const sll = new Uint8Array([0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0x08, 0x00, ...ip]);
  assertEquals(view(decodeFrame(DLT.LINUX_SLL, sll))?.payload, payload);
  assertEquals(view(decodeFrame(DLT.RAW, ip))?.payload, payload);
});

Deno.test("decodeFrame reads TCP and ICMP payloads", () => {
  const tcp = tcpSynPacket(
    { src: "10.0.0.1", dst: "10.0.0.2", sport: 1, dport: 62201 },
    enc.encode(payload),
  );
  assertEquals(view(decodeFrame(DLT.RAW, tcp)), {
    payload,
    src: "10.0.0.1",
    dst: "10.0.0.2",
    proto: 6,
    sport: 1,
    dport: 62201,
    tcpFlags: 0x02,
  });
  // A bare SYN (a knock) comes out with an empty payload and its port for the prefilter.
  const syn = tcpSynPacket(
    { src: "10.0.0.1", dst: "10.0.0.2", sport: 1, dport: 61083 },
    new Uint8Array(),
  );
  const seen: unknown[] = [];
  const k = decodeFrame(DLT.RAW, syn, (...a) => (seen.push(a), true));
  assertEquals([view(k)?.payload, k?.dport, k?.tcpFlags], ["", 61083, 0x02]);
  assertEquals(seen, [[-1, 0, 6, 61083, 0x0a000001, 0x02]]);
  const icmp = icmpPacket(
    { src: "10.0.0.1", dst: "10.0.0.2", type: 8, code: 0 },
    enc.encode(payload),
  );
  assertEquals(view(decodeFrame(DLT.RAW, icmp))?.payload, payload);
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
  assertEquals(view(decodeFrame(DLT.EN10MB, f, () => true))?.payload, "8abc");
});

Deno.test("decodeFrame reads IPv6 UDP, ICMPv6 and extension headers, and drops fragments", () => {
  const data = enc.encode(payload);
  const udp = ipv6Packet(17, udpHeader(4000, 62201, data));
  assertEquals(view(decodeFrame(DLT.RAW, udp)), {
    payload,
    src: "2001:db8::1",
    dst: "2001:db8::2",
    proto: 17,
    sport: 4000,
    dport: 62201,
  });
  const eth = new Uint8Array([...new Array(12).fill(2), 0x86, 0xdd, ...udp]);
  assertEquals(decodeFrame(DLT.EN10MB, eth)?.src.text, "2001:db8::1");
  const sll2 = new Uint8Array([0x86, 0xdd, ...new Array(18).fill(0), ...udp]);
  assertEquals(view(decodeFrame(DLT.LINUX_SLL2, sll2))?.payload, payload);
  const hop = ipv6Packet(17, udpHeader(4000, 62201, data), true);
  assertEquals(decodeFrame(DLT.RAW, hop)?.dport, 62201);
  const icmp6 = ipv6Packet(58, new Uint8Array([128, 0, 0, 0, 0, 1, 0, 1, ...data]));
  assertEquals(view(decodeFrame(DLT.RAW, icmp6))?.proto, 58);
  assertEquals(view(decodeFrame(DLT.RAW, icmp6))?.payload, payload);
  const frag = ipv6Packet(44, new Uint8Array([17, 0, 0, 1, 0, 0, 0, 1, ...udpHeader(1, 2, data)]));
  assertEquals(decodeFrame(DLT.RAW, frag), undefined);
  for (let n = 0; n < udp.length; n += 7) decodeFrame(DLT.RAW, udp.subarray(0, n));
  assertEquals(decodeFrame(DLT.RAW, udp.subarray(0, 47)), undefined);
});

Deno.test("decodeFrame copies the payload: capture reuses its frame buffer", () => {
  const f = udpFrame({ payload });
  const first = decodeFrame(DLT.EN10MB, f)!;
  f.fill(0x41, f.length - 150);
  const second = decodeFrame(DLT.EN10MB, f)!;
  assertEquals(payloadText(first.payload), payload);
  assertEquals(payloadText(second.payload), "A".repeat(150));
});
