import { assertEquals, assertThrows } from "../../tests/assert.ts";
import {
  canLoad,
  defaultFirewallType,
  dlopenFirst,
  exportsSymbol,
  libNames,
  openedEagerly,
  osName,
} from "./libs.ts";

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

Deno.test("dlopenFirst: generic calls give what bound functions give; only bound opens are recorded", async () => {
  const symbols = {
    getuid: { parameters: [], result: "u32" },
    strlen: { parameters: ["buffer"], result: "usize" },
    no_such_function_here: { parameters: [], result: "i32", optional: true },
    poll: { parameters: ["buffer", "u64", "i32"], result: "i32", nonblocking: true },
  } as const;
  const text = new TextEncoder().encode("fwknop\0");
  const before = openedEagerly().length;
  const generic = dlopenFirst(libNames("c"), symbols, true);
  assertEquals(openedEagerly().length, before, "a generic open binds nothing");
  const bound = dlopenFirst(libNames("c"), symbols, false);
  assertEquals(openedEagerly().length, before + 1, "a bound open is recorded");
  for (const lib of [generic, bound]) {
    assertEquals([lib.getuid(), Number(lib.strlen(text))], [Deno.uid(), 6]);
    assertEquals(lib.no_such_function_here, null, "a missing optional function is null");
    const polled = lib.poll(null, 0n, 0);
    assertEquals(polled instanceof Promise, true, "nonblocking stays bound as given");
    assertEquals(await polled, 0);
  }
});

Deno.test("exportsSymbol and canLoad look without binding", () => {
  assertEquals(exportsSymbol("c", "getuid"), true);
  assertEquals(exportsSymbol("c", "no_such_function_here"), false);
  assertEquals(canLoad("c"), true);
});

Deno.test("dlopenFirst: a missing library or a missing required function throws the loader's error", () => {
  assertThrows(() => dlopenFirst(["libnot-a-library.so.9"], {}), Error);
  assertThrows(
    () => dlopenFirst(libNames("c"), { no_such_function_here: { parameters: [], result: "i32" } }),
    Error,
  );
});
