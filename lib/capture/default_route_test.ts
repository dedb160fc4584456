import { assertEquals } from "../../tests/assert.ts";
import { defaultRouteIntfs, defaultRoutesV4, defaultRoutesV6 } from "./default_route.ts";

const HEAD4 =
  "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT     \n";
const r4 = (intf: string, dest: string, flags: string, metric: number, mask: string) =>
  `${intf}\t${dest}\t010200C0\t${flags}\t0\t0\t${metric}\t${mask}\t0\t0\t0          \n`;
const Z32 = "0".repeat(32);
const r6 = (
  dest: string,
  plen: string,
  srcPlen: string,
  metric: string,
  flags: string,
  dev: string,
) => `${dest} ${plen} ${Z32} ${srcPlen} ${Z32} ${metric} 00000001 00000000 ${flags}     ${dev}\n`;

Deno.test("default route: IPv4, the lowest metric wins; other routes and down routes do not count", () => {
  const t = HEAD4 +
    r4("eth0", "000200C0", "0001", 0, "00FFFFFF") +
    r4("wwan0", "00000000", "0003", 700, "00000000") +
    r4("eth1", "00000000", "0003", 100, "00000000") +
    r4("eth2", "00000000", "0002", 0, "00000000") + // not up
    r4("eth3", "00000000", "0203", 0, "00000000"); // reject
  assertEquals(defaultRoutesV4(t), ["eth1"]);
  assertEquals(defaultRoutesV4(HEAD4), []);
  assertEquals(defaultRoutesV4(""), []);
});

Deno.test("default route: IPv6, the kernel's reject route on lo and source routes are not default", () => {
  const t = r6("20010db8000100000000000000000000", "40", "00", "00000100", "00000001", "eth0") +
    r6(Z32, "00", "00", "00000400", "00000003", "wg0") +
    r6(Z32, "00", "30", "00000001", "00000003", "eth9") + // source-specific
    r6(Z32, "00", "00", "ffffffff", "00200200", "lo");
  assertEquals(defaultRoutesV6(t), ["wg0"]);
  assertEquals(defaultRoutesV6(r6(Z32, "00", "00", "ffffffff", "00200200", "lo")), []);
});

Deno.test("default route: both families, IPv4 first, each name once", () => {
  const v4 = HEAD4 + r4("eth0", "00000000", "0003", 0, "00000000");
  const same = r6(Z32, "00", "00", "00000400", "00000003", "eth0");
  const other = r6(Z32, "00", "00", "00000400", "00000003", "wg0");
  assertEquals(defaultRouteIntfs({ v4, v6: same }), ["eth0"]);
  assertEquals(defaultRouteIntfs({ v4, v6: other }), ["eth0", "wg0"]);
  assertEquals(defaultRouteIntfs({ v4: "", v6: other }), ["wg0"]);
});

Deno.test("default route: garbage, short lines and impossible names are skipped", () => {
  const t = HEAD4 +
    "eth0\t00000000\n" +
    r4("eth0", "zz000000", "0003", 0, "00000000") +
    r4("eth0", "00000000", "0003", 0, "0000000000") + // mask too long to be one
    r4("bad/name", "00000000", "0003", 0, "00000000") +
    r4("a-very-long-name0", "00000000", "0003", 0, "00000000") +
    r4("ok0", "00000000", "0003", 5, "00000000");
  assertEquals(defaultRoutesV4(t), ["ok0"]);
  const v6 = "x\n" + r6("0".repeat(31), "00", "00", "1", "00000003", "short") +
    r6(Z32, "00", "00", "nothex", "00000003", "nm0") + r6(Z32, "00", "00", "1", "00000003", "v60");
  assertEquals(defaultRoutesV6(v6), ["v60"]);
});
