import { assertEquals } from "../../tests/assert.ts";
import { addressToward, type IfaceAddress } from "./route.ts";

const a = (address: string, netmask: string, internal = false): IfaceAddress => ({
  address,
  netmask,
  family: "IPv4",
  internal,
});
const HOST = [
  a("127.0.0.1", "255.0.0.0", true),
  a("192.0.2.1", "255.255.255.0"),
  a("198.51.100.7", "255.255.0.0"),
  { address: "2001:db8::1", netmask: "ffff:ffff::", family: "IPv6", internal: false },
];

Deno.test("local address: the subnet that holds the destination, else the only address there is", () => {
  assertEquals(addressToward(HOST, "192.0.2.9"), "192.0.2.1");
  assertEquals(addressToward(HOST, "198.51.3.3"), "198.51.100.7");
  assertEquals(addressToward(HOST, "127.0.0.1"), "127.0.0.1");
  assertEquals(addressToward(HOST, "203.0.113.1"), undefined, "two candidates: no guess");
  assertEquals(addressToward(HOST.slice(0, 2), "203.0.113.1"), "192.0.2.1");
  assertEquals(addressToward(HOST, "not an address"), undefined);
});
