import { assert, assertEquals, assertRejects } from "../tests/assert.ts";
import { sample, scripted, testGrant } from "../tests/scripted_runner.ts";
import { parseAddr } from "../lib/net/addr.ts";
import { Pf } from "./pf.ts";
import { anchorListed, parseAnchorRules, ruleText } from "./pf_cmd.ts";
import { FirewallError } from "./backend.ts";

const OPTS = { exe: "/sbin/pfctl", anchor: "fwknop" };
const T = 1796170855;
const LIST = "/sbin/pfctl -a fwknop -s rules";
const WRITE = "/sbin/pfctl -a fwknop -f -";

// The expected rule text is fwknopd's PF_ADD_RULE_ARGS (fw_util_pf.h) filled in:
// "pass in quick proto %u from %s to %s port %u keep state label _exp_%u".
Deno.test("pf golden: access grant appended to the anchor's rules in one write", async () => {
  const s = scripted({ [LIST]: { stdout: sample("pfctl_anchor_rules_openbsd.txt") } });
  const fw = new Pf(OPTS, s.run);
  const lines = await fw.open(testGrant("192.0.2.20", ["tcp/22", "udp/53"], T));
  assertEquals(s.calls, [LIST, WRITE]);
  assertEquals(
    s.inputs[1],
    [
      ...sample("pfctl_anchor_rules_openbsd.txt").trim().split("\n"),
      `pass in quick proto 6 from 192.0.2.20 to any port 22 keep state label _exp_${T}`,
      `pass in quick proto 17 from 192.0.2.20 to any port 53 keep state label _exp_${T}`,
    ].join("\n") + "\n",
  );
  assertEquals(lines, [
    `Added Rule for 192.0.2.20, tcp/22,udp/53 expires at ${T}`,
    `Added Rule for 192.0.2.20, tcp/22,udp/53 expires at ${T}`,
  ]);
});

Deno.test("pf golden: ENABLE_DESTINATION_RULE and IPv6", () => {
  const g = testGrant("2001:db8::5", ["tcp/443"], T);
  assertEquals(
    ruleText(g, g.ports[0]!),
    `pass in quick proto 6 from 2001:db8::5 to any port 443 keep state label _exp_${T}`,
  );
  g.dst = parseAddr("2001:db8::1")!;
  assertEquals(
    ruleText(g, g.ports[0]!),
    `pass in quick proto 6 from 2001:db8::5 to 2001:db8::1 port 443 keep state label _exp_${T}`,
  );
});

Deno.test("pf golden: NAT and local NAT are refused as fwknopd refuses them, running nothing", async () => {
  const s = scripted();
  const fw = new Pf(OPTS, s.run);
  await assertRejects(
    () => fw.open(testGrant("192.0.2.20", ["tcp/22"], T, {})),
    FirewallError,
    "Forwarding/NAT requests are not currently supported.",
  );
  await assertRejects(
    () => fw.open(testGrant("192.0.2.20", ["tcp/22"], T, { kind: "local" })),
    FirewallError,
    "Local NAT requests are not currently supported.",
  );
  assertEquals(s.calls, []);
});

Deno.test("pf golden: the anchor check at start names the pf.conf line to add", async () => {
  const hooked = scripted({ "/sbin/pfctl -s Anchor": { stdout: sample("pfctl_s_anchor.txt") } });
  await new Pf(OPTS, hooked.run).init();
  assertEquals(hooked.calls, ["/sbin/pfctl -s Anchor"]);
  const other = scripted({ "/sbin/pfctl -s Anchor": { stdout: "  ftp-proxy\n  spa/fwknop\n" } });
  await assertRejects(
    () => new Pf(OPTS, other.run).init(),
    FirewallError,
    `the fwknop anchor is not active in the pf policy: add the line 'anchor "fwknop"'`,
  );
});

Deno.test("pf golden: expiry rewrites the anchor without the due rules; an empty anchor is flushed", async () => {
  const s = scripted({ [LIST]: { stdout: sample("pfctl_anchor_rules_freebsd.txt") } });
  const fw = new Pf(OPTS, s.run);
  const r = await fw.sweep(1796170855);
  assertEquals(s.calls, [LIST, WRITE]);
  const rest = sample("pfctl_anchor_rules_freebsd.txt").trim().split("\n").slice(1);
  assertEquals(s.inputs[1], rest.join("\n") + "\n", "rules of others stay as pfctl printed them");
  assertEquals(r, { removed: ["Deleting rule with expire time of 1796170855."], next: 1796170900 });

  const last = scripted({
    [LIST]: {
      stdout: `${ruleText(testGrant("192.0.2.20", ["tcp/22"], T), { proto: "tcp", port: 22 })}\n`,
    },
  });
  await new Pf(OPTS, last.run).sweep(T);
  assertEquals(last.calls, [LIST, "/sbin/pfctl -a fwknop -F all"]);
});

Deno.test("pf golden: close removes exactly the grant's rules; extending swaps in one write", async () => {
  const s = scripted({ [LIST]: { stdout: sample("pfctl_anchor_rules_openbsd.txt") } });
  const fw = new Pf(OPTS, s.run);
  const old = testGrant("192.0.2.10", ["tcp/22"], 1796170855);
  assertEquals(await fw.close(old), ["Deleting rule with expire time of 1796170855."]);
  assert(!s.inputs[1]!.includes("192.0.2.10") && s.inputs[1]!.includes("192.0.2.11"));
  await fw.open(testGrant("192.0.2.10", ["tcp/22"], 1796170955), old);
  const written = s.inputs.at(-1)!;
  assert(!written.includes("_exp_1796170855") && written.includes("_exp_1796170955"), written);
  assertEquals(
    await fw.close(testGrant("192.0.2.77", ["tcp/22"], T)),
    [],
    "nothing of it: no write",
  );
  assertEquals(s.calls.at(-1), LIST);
});

Deno.test("pf list parsers on output samples", () => {
  assertEquals(
    parseAnchorRules(sample("pfctl_anchor_rules_openbsd.txt")).map((r) => [r.src, r.expires]),
    [
      ["192.0.2.10", 1796170855],
      ["192.0.2.11", 1796170900],
      ["2001:db8::5", 1796171000],
    ],
  );
  assertEquals(parseAnchorRules(sample("pfctl_anchor_rules_freebsd.txt")).length, 2);
  assertEquals(
    parseAnchorRules("No ALTQ support in kernel\nALTQ related functions disabled\n"),
    [],
  );
  assert(anchorListed(sample("pfctl_s_anchor.txt"), "fwknop"));
  assert(!anchorListed(sample("pfctl_s_anchor.txt"), "spa"));
});
