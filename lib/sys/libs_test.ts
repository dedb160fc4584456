import { assertEquals, assertNotEquals, assertThrows } from "../../tests/assert.ts";
import { defaultFirewallType, dlopenFirst, libNames, osName } from "./libs.ts";

Deno.test("platform seams: library names and the default firewall per platform", () => {
  assertEquals(libNames("pcap", "linux")[0], "libpcap.so.0.8");
  assertEquals(libNames("c", "darwin")[0], "libSystem.B.dylib");
  assertEquals(libNames("pcap", "darwin").includes("/usr/lib/libpcap.A.dylib"), true);
  assertEquals(libNames("c", "plan9"), libNames("c", "linux"), "unknown: Linux's names");
  assertEquals(
    ["linux", "darwin", "openbsd", "freebsd", "windows"].map((os) => defaultFirewallType(os)),
    ["iptables", "pf", "pf", "ipfw", "iptables"],
  );
  assertEquals(osName(), Deno.build.os);
});

Deno.test("dlopenFirst: a function runs on the generic call until hot, then on its own stub, with the same results", async () => {
  const lib = dlopenFirst(libNames("c"), {
    getuid: { parameters: [], result: "u32" },
    strlen: { parameters: ["buffer"], result: "usize" },
    no_such_function_here: { parameters: [], result: "i32", optional: true },
    poll: { parameters: ["buffer", "u64", "i32"], result: "i32", nonblocking: true },
  }, { calls: 3, withinMs: 500 });
  const lazy = lib.getuid;
  const text = new TextEncoder().encode("fwknop\0");
  const before = [lib.getuid(), lib.getuid(), Number(lib.strlen(text))];
  assertEquals(lib.getuid, lazy, "two calls: not hot yet, still the wrapper");
  assertEquals(before, [Deno.uid(), Deno.uid(), 6]);
  assertEquals(lib.getuid(), Deno.uid(), "the third call within the window binds it");
  assertNotEquals(lib.getuid, lazy, "the table now holds the bound function");
  assertEquals([lib.getuid(), lazy()], [Deno.uid(), Deno.uid()], "the old wrapper still works");
  assertEquals(lib.no_such_function_here, null, "a missing optional function is null");
  const polled = lib.poll(null, 0n, 0);
  assertEquals(polled instanceof Promise, true, "nonblocking stays bound as given");
  assertEquals(await polled, 0);
});

Deno.test("dlopenFirst: calls spread wider than the window never make a function hot", async () => {
  const lib = dlopenFirst(libNames("c"), { getuid: { parameters: [], result: "u32" } }, {
    calls: 2,
    withinMs: 20,
  });
  const lazy = lib.getuid;
  for (let i = 0; i < 4; i++) {
    assertEquals(lib.getuid(), Deno.uid());
    await new Promise((r) => setTimeout(r, 30));
  }
  assertEquals(lib.getuid, lazy, "one call per window: still the generic call");
  lib.getuid();
  lib.getuid();
  assertNotEquals(lib.getuid, lazy, "two calls in a row: bound");
});

Deno.test("dlopenFirst: a missing library or a missing required function throws the loader's error", () => {
  assertThrows(() => dlopenFirst(["libnot-a-library.so.9"], {}), Error);
  assertThrows(
    () => dlopenFirst(libNames("c"), { no_such_function_here: { parameters: [], result: "i32" } }),
    Error,
  );
});
