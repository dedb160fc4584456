import { assertEquals } from "../../tests/assert.ts";
import { defaultFirewallType, libNames, osName } from "./libs.ts";

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
