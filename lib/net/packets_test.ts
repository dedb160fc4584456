import { assertEquals, assertThrows } from "../../tests/assert.ts";
import { checksum, icmpPacket, ipv4Bytes, tcpSynPacket, udpPacket } from "./packets.ts";

const hex = (b: Uint8Array) => [...b].map((v) => v.toString(16).padStart(2, "0")).join("");
const payload = new TextEncoder().encode("abc");
const addr = { src: "10.0.0.1", dst: "10.0.0.2", sport: 40000, dport: 62201, id: 7 };

Deno.test("checksum of a header holding its own checksum is zero", () => {
  const p = udpPacket(addr, payload);
  assertEquals(checksum(p.subarray(0, 20)), 0);
});

Deno.test("udpPacket golden bytes", () => {
  assertEquals(
    hex(udpPacket(addr, payload)),
    // IP checksum a7c4 and UDP checksum 9838, worked out by hand per RFC 1071.
    "4500001f00070000ff11a7c40a0000010a0000029c40f2f9000b9838616263",
  );
  const p = udpPacket(addr, payload);
  // UDP checksum verifies over the pseudo header.
  const pseudo = Uint8Array.from([10, 0, 0, 1, 10, 0, 0, 2, 0, 17, 0, 11]);
  assertEquals(checksum(pseudo, p.subarray(20)), 0);
});

Deno.test("tcpSynPacket is a SYN with seq 1, window 32767 and a valid checksum", () => {
  const p = tcpSynPacket(addr, payload);
  assertEquals(p[9], 6);
  const tcp = p.subarray(20);
  assertEquals(hex(tcp.subarray(0, 16)), "9c40f2f900000001000000005002" + "7fff");
  const pseudo = Uint8Array.from([10, 0, 0, 1, 10, 0, 0, 2, 0, 6, 0, 23]);
  assertEquals(checksum(pseudo, tcp), 0);
});

Deno.test("icmpPacket fills id and sequence only for echo requests", () => {
  const reply = icmpPacket(
    { src: "10.0.0.1", dst: "10.0.0.2", type: 0, code: 0, echoId: 9 },
    payload,
  );
  assertEquals(hex(reply.subarray(20, 28)).slice(8), "00000000");
  assertEquals(checksum(reply.subarray(20)), 0);
  const req = icmpPacket(
    { src: "10.0.0.1", dst: "10.0.0.2", type: 8, code: 0, echoId: 9 },
    payload,
  );
  assertEquals(hex(req.subarray(24, 28)), "00090001");
  assertEquals(checksum(req.subarray(20)), 0);
});

Deno.test("ipv4Bytes refuses non-addresses", () => {
  assertEquals([...ipv4Bytes("1.2.3.4")], [1, 2, 3, 4]);
  assertThrows(() => ipv4Bytes("1.2.3"), TypeError, "IPv4");
  assertThrows(() => ipv4Bytes("1.2.3.256"), TypeError);
});
