import { assertEquals } from "../../tests/assert.ts";
import {
  parsePort,
  parseProtoPort,
  parseProtoPortList,
  portsText,
  readProtoPortLoose,
} from "./proto_port.ts";

Deno.test("parseProtoPort reads tcp/N and udp/N with N in 1..65535 only", () => {
  assertEquals(parseProtoPort("tcp/22"), { proto: "tcp", port: 22 });
  assertEquals(parseProtoPort("udp/65535"), { proto: "udp", port: 65535 });
  for (
    const bad of ["TCP/22", "tcp/0", "tcp/65536", "tcp/", "tcp/2a", "icmp/1", "tcp/22\n", " tcp/22"]
  ) {
    assertEquals(typeof parseProtoPort(bad), "string", bad);
  }
});

Deno.test("parsePort refuses more than five digits", () => {
  assertEquals(parsePort("000022"), 'port "000022" has more than 5 digits');
  assertEquals(parsePort("00022"), 22);
});

Deno.test("parsePort says a port is out of range, not that it is not a number (-A tcp/222222)", () => {
  assertEquals(parsePort("222222"), "port 222222 is out of range 1..65535");
  assertEquals(parsePort("65536"), "port 65536 is out of range 1..65535");
  assertEquals(parsePort("0"), "port 0 is out of range 1..65535");
  assertEquals(parsePort("00000"), "port 0 is out of range 1..65535");
  assertEquals(parsePort("0065536"), "port 65536 is out of range 1..65535");
  assertEquals(parsePort("9".repeat(400)), `port ${"9".repeat(400)} is out of range 1..65535`);
  assertEquals(parseProtoPort("tcp/222222"), "port 222222 is out of range 1..65535");
  assertEquals(parsePort("65535"), 65535);
  assertEquals(parsePort("1"), 1);
  for (const bad of ["", "-1", "+22", "2 2", "22x", "0x16", "２２"]) {
    assertEquals(parsePort(bad), `port "${bad}" is not a number`, bad);
  }
});

Deno.test("parseProtoPortList stops at the first bad entry", () => {
  assertEquals(parseProtoPortList("tcp/22,udp/53"), [
    { proto: "tcp", port: 22 },
    { proto: "udp", port: 53 },
  ]);
  assertEquals(parseProtoPortList("tcp/22,udp/x"), 'port "x" is not a number');
  assertEquals(portsText([{ proto: "udp", port: 53 }]), "udp/53");
});

Deno.test("readProtoPortLoose reads access.conf entries as fwknopd does", () => {
  assertEquals(readProtoPortLoose(" TCP/22 "), { value: { proto: "tcp", port: 22 }, exact: true });
  assertEquals(readProtoPortLoose("tcp/22x"), { value: { proto: "tcp", port: 22 }, exact: false });
  assertEquals(readProtoPortLoose("udp/"), { value: { proto: "udp", port: 0 }, exact: false });
  assertEquals(readProtoPortLoose("tcp/65536"), '"tcp/65536" is not tcp/PORT or udp/PORT');
  assertEquals(typeof readProtoPortLoose(`tcp/22${"x".repeat(30)}`), "string");
});

Deno.test("parseMessageIp returns the address it checked, or the reason", async () => {
  const { parseMessageIp, checkMessageIp } = await import("./ip_text.ts");
  const a = parseMessageIp("2001:db8::7");
  assertEquals(typeof a !== "string" && a.text, "2001:db8::7");
  assertEquals(parseMessageIp("010.0.0.1"), '"010.0.0.1" has an octet with a leading zero');
  assertEquals(
    checkMessageIp("::ffff:1.2.3.4"),
    '"::ffff:1.2.3.4" is not a dotted-quad IPv4 or an IPv6 address',
  );
});
