import { assert, assertEquals, assertRejects } from "../tests/assert.ts";
import { sample, scripted, testGrant } from "../tests/scripted_runner.ts";
import { parseAddr } from "../lib/net/addr.ts";
import { Ipfw, type IpfwOptions } from "./ipfw.ts";
import {
  addRuleArgs,
  parseDynamicRuleNumbers,
  parseRuleNumbers,
  parseStaticRules,
} from "./ipfw_cmd.ts";
import { FirewallError } from "./backend.ts";

// fwknopd 2.6's defaults (fwknopd_common.h) and its FIREWALL_EXE on FreeBSD.
const OPTS: IpfwOptions = {
  exe: "/sbin/ipfw",
  startRule: 10000,
  maxRules: 65535,
  activeSet: 1,
  expireSet: 2,
  purgeInterval: 30,
  checkState: false,
};
const T = 1796170855;

// The expected lines are fwknopd's format strings (fw_util_ipfw.h) filled in:
// IPFW_ADD_RULE_ARGS "add %u set %u pass %u from %s to %s dst-port %u setup keep-state // _exp_%u".
Deno.test("ipfw golden: access grant, one rule number for all its ports", async () => {
  const s = scripted();
  const fw = new Ipfw(OPTS, s.run);
  const lines = await fw.open(testGrant("192.0.2.10", ["tcp/22", "udp/53"], T));
  assertEquals(s.calls, [
    `/sbin/ipfw add 10000 set 1 pass 6 from 192.0.2.10 to me dst-port 22 setup keep-state // _exp_${T}`,
    `/sbin/ipfw add 10000 set 1 pass 17 from 192.0.2.10 to me dst-port 53 setup keep-state // _exp_${T}`,
  ]);
  assertEquals(lines, [
    `Added Rule 10000 for 192.0.2.10, tcp/22,udp/53 expires at ${T}`,
    `Added Rule 10000 for 192.0.2.10, tcp/22,udp/53 expires at ${T}`,
  ]);
  await fw.open(testGrant("192.0.2.11", ["tcp/22"], T));
  assert(s.calls[2]!.startsWith("/sbin/ipfw add 10001 set 1 pass 6 from 192.0.2.11"));
});

Deno.test("ipfw golden: ENABLE_DESTINATION_RULE and IPv6 destinations", () => {
  const g = testGrant("192.0.2.10", ["tcp/22"], T);
  g.dst = parseAddr("198.51.100.1")!;
  assertEquals(
    addRuleArgs(10000, 1, g, g.ports[0]!).join(" "),
    `add 10000 set 1 pass 6 from 192.0.2.10 to 198.51.100.1 dst-port 22 setup keep-state // _exp_${T}`,
  );
  const g6 = testGrant("2001:db8::5", ["tcp/443"], T);
  assertEquals(
    addRuleArgs(10001, 1, g6, g6.ports[0]!).join(" "),
    `add 10001 set 1 pass 6 from 2001:db8::5 to me6 dst-port 443 setup keep-state // _exp_${T}`,
  );
});

Deno.test("ipfw golden: NAT and local NAT are refused as fwknopd refuses them, running nothing", async () => {
  const s = scripted();
  const fw = new Ipfw(OPTS, s.run);
  await assertRejects(
    () => fw.open(testGrant("192.0.2.10", ["tcp/22"], T, {})),
    FirewallError,
    "Forwarding/NAT requests are not currently supported.",
  );
  await assertRejects(
    () => fw.open(testGrant("192.0.2.10", ["tcp/22"], T, { kind: "local" })),
    FirewallError,
    "Local NAT requests are not currently supported.",
  );
  assertEquals(s.calls, []);
});

Deno.test("ipfw golden: init with check-state, disabled expire set, rule map from the lists", async () => {
  const s = scripted({
    "/sbin/ipfw -S set 1 list": { stdout: "" },
    "/sbin/ipfw -S set 2 list": { stdout: sample("ipfw_set2_S_list.txt") },
  });
  const fw = new Ipfw({ ...OPTS, checkState: true }, s.run);
  await fw.init();
  assertEquals(s.calls, [
    "/sbin/ipfw -S set 1 list",
    "/sbin/ipfw add 10000 set 1 check-state",
    "/sbin/ipfw set disable 2",
    "/sbin/ipfw -S set 2 list",
  ]);
  assertEquals(fw.notes, [
    "Added check-state rule 10000 to set 1",
    "Set ipfw expire set 2 to disabled.",
  ]);
  // 10000 is the check-state rule; 10005 and 10006 wait in the expire set: the next grant takes 10001.
  await fw.open(testGrant("192.0.2.10", ["tcp/22"], T));
  assert(s.calls.at(-1)!.startsWith("/sbin/ipfw add 10001 set 1 "));
});

Deno.test("ipfw golden: expiry moves the rule to the expire set; purge deletes it once its states are gone", async () => {
  const s = scripted({
    "/sbin/ipfw set 1 list": { stdout: sample("ipfw_set1_list.txt") },
    "/sbin/ipfw -S set 2 list": { stdout: sample("ipfw_set2_S_list.txt") },
    "/sbin/ipfw -d set 2 list": { stdout: sample("ipfw_set2_d_list.txt") },
  });
  const fw = new Ipfw(OPTS, s.run);
  await fw.init();
  s.calls.length = 0;
  const r = await fw.sweep(1796170899);
  assertEquals(s.calls, [
    "/sbin/ipfw set 1 list",
    "/sbin/ipfw set move rule 10001 to 2",
    "/sbin/ipfw -d set 2 list",
    "/sbin/ipfw set 2 delete 10006",
    "/sbin/ipfw set 2 delete 10001",
  ]);
  assertEquals(r.removed, [
    "Moved rule 10001 with expire time of 1796170855 to set 2.",
    "Purged rule 10006 from set 2",
    "Purged rule 10001 from set 2",
  ]);
  // The next expiry is rule 10002's; 10005 still has a connection, so the next purge is due too.
  assertEquals(fw.housekeepingAt, 1796170899 + 30);
  assertEquals(r.next, 1796170900);
});

Deno.test("ipfw golden: close moves exactly the grant's rule; flush deletes the active set", async () => {
  const s = scripted({ "/sbin/ipfw set 1 list": { stdout: sample("ipfw_set1_list.txt") } });
  const fw = new Ipfw(OPTS, s.run);
  assertEquals(await fw.close(testGrant("192.0.2.11", ["tcp/22", "udp/53"], 1796170900)), [
    "Moved rule 10002 with expire time of 1796170900 to set 2.",
  ]);
  await fw.flush();
  assertEquals(s.calls, [
    "/sbin/ipfw set 1 list",
    "/sbin/ipfw set move rule 10002 to 2",
    "/sbin/ipfw set 1 list",
    "/sbin/ipfw delete set 1",
  ]);
});

Deno.test("ipfw: a port the firewall refuses rolls the grant's rule number back", async () => {
  const g = testGrant("192.0.2.10", ["tcp/22", "udp/53"], T);
  const s = scripted({
    [`/sbin/ipfw add 10000 set 1 pass 17 from 192.0.2.10 to me dst-port 53 setup keep-state // _exp_${T}`]:
      { code: 65, stderr: "ipfw: bad rule" },
  });
  const fw = new Ipfw(OPTS, s.run);
  await assertRejects(() => fw.open(g), FirewallError, "ipfw: bad rule");
  assertEquals(s.calls.at(-1), "/sbin/ipfw set 1 delete 10000");
  await fw.open(testGrant("192.0.2.12", ["tcp/22"], T));
  assert(s.calls.at(-1)!.startsWith("/sbin/ipfw add 10000 "), "the number is free again");
});

Deno.test("ipfw: IPFW_MAX_RULES is a hard limit with fwknopd's message", async () => {
  const fw = new Ipfw({ ...OPTS, maxRules: 1 }, scripted().run);
  await fw.open(testGrant("192.0.2.10", ["tcp/22"], T));
  await assertRejects(
    () => fw.open(testGrant("192.0.2.11", ["tcp/22"], T)),
    FirewallError,
    "Access request rejected: Maximum allowed number of rules has been reached.",
  );
});

Deno.test("ipfw list parsers on output samples", () => {
  assertEquals(
    parseStaticRules(sample("ipfw_set1_list.txt")).map((r) => [r.num, r.expires, r.src]),
    [
      [10001, 1796170855, "192.0.2.10"],
      [10002, 1796170900, "192.0.2.11"],
      [10002, 1796170900, "192.0.2.11"],
      [10003, 1796171000, "2001:db8::5"],
    ],
  );
  const disabled = parseStaticRules(sample("ipfw_set2_S_list.txt"));
  assertEquals(disabled.map((r) => [r.num, r.disabled]), [[10005, true], [10006, true]]);
  assertEquals(parseRuleNumbers(sample("ipfw_set1_list.txt")), [
    10000,
    10001,
    10002,
    10002,
    10003,
    10004,
  ]);
  // --fw-list's form (-d -S -T): the time stamp column does not disturb the parse.
  assertEquals(parseStaticRules(sample("ipfw_set1_dST_list.txt")).map((r) => r.num), [
    10001,
    10002,
  ]);
  assertEquals([...parseDynamicRuleNumbers(sample("ipfw_set2_d_list.txt"))], [10005]);
  assertEquals([...parseDynamicRuleNumbers(sample("ipfw_set2_d_list_fbsd10.txt"))], [10005]);
  assertEquals([...parseDynamicRuleNumbers("")], []);
});
