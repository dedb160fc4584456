import { assertEquals, assertThrows } from "../../tests/assert.ts";
import { UsageError } from "../cli/errors.ts";
import { sharedSequence } from "./knock.ts";

Deno.test("sharedSequence reads tcp/N, udp/N and icmp with the shared proto/port parser", () => {
  const text = "# knocks\n198.51.100.1: TCP/7000, udp/8000 ,icmp\nother: tcp/1,tcp/2\n";
  assertEquals(sharedSequence(text, "198.51.100.1", "f"), [
    { proto: "tcp", port: 7000 },
    { proto: "udp", port: 8000 },
    { proto: "icmp", port: 0 },
  ]);
  assertEquals(sharedSequence(text, "192.0.2.1", "f"), undefined);
  for (const bad of ["tcp/0", "tcp/65536", "tcp/123456", "sctp/1", "tcp/2x"]) {
    assertThrows(
      () => sharedSequence(`d: tcp/1,${bad}`, "d", "f"),
      UsageError,
      `f:1: "${bad}" is not tcp/N, udp/N or icmp`,
    );
  }
});
