/**
 * Network grants (GRANT_SOURCE_PREFIX_V4/_V6) beside single-address grants
 * inside the network, on every backend: the argv or script of each, and
 * that closing one never removes the other.
 */
import { assert, assertEquals } from "../tests/assert.ts";
import { scripted, testGrant } from "../tests/scripted_runner.ts";
import { parseAddr } from "../lib/net/addr.ts";
import { type Grant, sourceNetwork } from "./grant.ts";
import { type Chains, grantRules, Iptables, parseChainSpec } from "./iptables.ts";
import { grantElements, initScript, NFT_DEFAULTS, Nftables, nftMask } from "./nftables.ts";
import { Ipfw } from "./ipfw.ts";
import { addRuleArgs } from "./ipfw_cmd.ts";
import { Pf } from "./pf.ts";
import { ruleText } from "./pf_cmd.ts";
import { GrantTable } from "./grants.ts";
import { MemoryFirewall } from "./memory.ts";

const T = 1_800_000_030;

/** The grant for `src` opened as its /`prefix` network. */
function netGrant(src: string, prefix: number, ports: string[], exp = T): Grant {
  return { ...testGrant(src, ports, exp), ...sourceNetwork(parseAddr(src)!, prefix) };
}

const spec = (t: string) => parseChainSpec(t) as Exclude<ReturnType<typeof parseChainSpec>, string>;
const CHAINS: Chains = {
  input: spec("ACCEPT, filter, INPUT, 1, FWKNOP_INPUT, 1"),
  output: spec("ACCEPT, filter, OUTPUT, 1, FWKNOP_OUTPUT, 1"),
};

Deno.test("iptables: a /24 grant is one -s NET/24 rule beside the host rule inside it", () => {
  const line = (g: Grant) => grantRules(g, CHAINS, false).map((r) => r.argv.join(" "));
  assertEquals(line(netGrant("192.0.2.10", 24, ["tcp/22"])), [
    `-A FWKNOP_INPUT -t filter -p 6 -s 192.0.2.0/24 -d 0.0.0.0/0 --dport 22 -m comment --comment _exp_${T} -j ACCEPT`,
    `-A FWKNOP_OUTPUT -t filter -p 6 -d 192.0.2.0/24 -s 0.0.0.0/0 --sport 22 -m comment --comment _exp_${T} -j ACCEPT`,
  ]);
  assertEquals(line(testGrant("192.0.2.10", ["tcp/22"], T))[0]!.includes("-s 192.0.2.10 "), true);
  assertEquals(
    line(netGrant("2001:db8:1:2::7", 64, ["tcp/22"]))[0],
    [
      `-A FWKNOP_INPUT -t filter -p 6 -s 2001:db8:1:2::/64 -d ::/0 --dport 22`,
      `-m comment --comment _exp_${T} -j ACCEPT`,
    ].join(" "),
  );
  const [rule] = grantRules(netGrant("192.0.2.10", 24, ["tcp/22"]), CHAINS, false);
  assertEquals(
    rule!.text,
    `Added access rule to FWKNOP_INPUT for 192.0.2.0/24 -> 0.0.0.0/0 tcp/22, expires at ${T}`,
  );
});

Deno.test("iptables and firewalld: closing the network grant deletes its rule only", async () => {
  for (const name of ["iptables", "firewalld"] as const) {
    const s = scripted();
    const exe = name === "iptables" ? "/usr/sbin/iptables" : "/usr/bin/firewall-cmd";
    const args = name === "iptables" ? [] : ["--direct", "--passthrough", "ipv4"];
    const fw = new Iptables({ v4: { exe, args, chains: CHAINS }, prepend: false, name }, s.run);
    await fw.close(netGrant("192.0.2.10", 24, ["tcp/22"], 100));
    const deletes = s.calls.filter((c) => c.includes(" -D "));
    assertEquals(deletes.length, 2, name);
    for (const d of deletes) assert(d.includes("192.0.2.0/24") && !d.includes("192.0.2.10"), d);
  }
});

const NFT = { ...NFT_DEFAULTS, outputRules: true };

Deno.test("nftables: a network grant is an element of its prefix's own set, not an interval", () => {
  assertEquals(grantElements(netGrant("192.0.2.10", 24, ["tcp/22"]), NFT), [
    { table: "inet filter", set: "fwknopd_allow4_n24", key: "192.0.2.0 . tcp . 22", prefix: 24 },
    { table: "inet filter", set: "fwknopd_out4_n24", key: "192.0.2.0 . tcp . 22", prefix: 24 },
  ]);
  assertEquals(grantElements(testGrant("192.0.2.10", ["tcp/22"], T), NFT)[0], {
    table: "inet filter",
    set: "fwknopd_allow4",
    key: "192.0.2.10 . tcp . 22",
  });
  const g6 = netGrant("2001:db8:1:2::7", 64, ["tcp/22"]);
  g6.dst = parseAddr("2001:db8::1")!;
  assertEquals(grantElements(g6, NFT_DEFAULTS), [{
    table: "inet filter",
    set: "fwknopd_allow6d_n64",
    key: "2001:db8:1:2:: . 2001:db8::1 . tcp . 22",
    prefix: 64,
  }]);
});

Deno.test("nftables: NAT sets keyed by the source get network copies, those keyed by the target not", () => {
  const g = {
    ...testGrant("192.0.2.10", ["tcp/2222"], T, { ip: "10.0.0.5", port: 22, masquerade: true }),
    ...sourceNetwork(parseAddr("192.0.2.10")!, 24),
  };
  const els = grantElements(g, { ...NFT_DEFAULTS, nat: true, snat: true });
  assert(typeof els !== "string");
  assertEquals(els.map((e) => `${e.set} ${e.key} ${e.prefix ?? "-"}`), [
    "fwknopd_fwd4_n24 192.0.2.0 . tcp . 22 24",
    "fwknopd_dnat4_n24 192.0.2.0 . tcp . 2222 24",
    "fwknopd_masq4 10.0.0.5 . tcp . 22 -",
  ]);
});

Deno.test("nftables: each prefix in use gets hash sets and a masked lookup rule", () => {
  assertEquals(nftMask(4, 24), "255.255.255.0");
  assertEquals(nftMask(4, 20), "255.255.240.0");
  assertEquals(nftMask(6, 64), "ffff:ffff:ffff:ffff::");
  assertEquals(nftMask(6, 56), "ffff:ffff:ffff:ff00::");
  const { script } = initScript(NFT, [{ f: 4, bits: 24 }, { f: 6, bits: 64 }]);
  for (
    const l of [
      "add set inet filter fwknopd_allow4_n24 { type ipv4_addr . inet_proto . inet_service; flags timeout; }",
      "add set inet filter fwknopd_allow6_n64 { type ipv6_addr . inet_proto . inet_service; flags timeout; }",
      "add rule inet filter fwknopd_input ip saddr & 255.255.255.0 . meta l4proto . th dport @fwknopd_allow4_n24 accept",
      "add rule inet filter fwknopd_input ip6 saddr & ffff:ffff:ffff:ffff:: . meta l4proto . th dport @fwknopd_allow6_n64 accept",
      "add rule inet filter fwknopd_output ip daddr & 255.255.255.0 . meta l4proto . th sport @fwknopd_out4_n24 accept",
      // The host rules stay as they were.
      "add rule inet filter fwknopd_input ip saddr . meta l4proto . th dport @fwknopd_allow4 accept",
    ]
  ) assert(script.includes(l), l);
  assert(!script.some((l) => l.includes("interval")), "no interval sets");
  // An IPv6 prefix has no place in an ip-family table.
  const ip = initScript({ ...NFT, table: { family: "ip", name: "filter" } }, [{ f: 6, bits: 64 }]);
  assert(!ip.script.some((l) => l.includes("_n64")));
});

/** A fake nft that records scripts and answers listings from `tables`. */
function fakeNft(tables: Record<string, string> = {}) {
  const scripts: string[] = [];
  return {
    scripts,
    runner: {
      kind: "fake",
      run: (s: string) => {
        scripts.push(s);
        const t = /^list table (.+)\n$/.exec(s)?.[1];
        if (t !== undefined) {
          return Promise.resolve({
            code: t in tables ? 0 : 1,
            stdout: tables[t] ?? "",
            stderr: "",
          });
        }
        const set = /^list (?:set|map) \S+ \S+ (\S+)\n$/.exec(s)?.[1];
        if (set !== undefined) {
          const out = tables[`set ${set}`];
          return Promise.resolve({
            code: out === undefined ? 1 : 0,
            stdout: out ?? "",
            stderr: "",
          });
        }
        return Promise.resolve({ code: 0, stdout: "", stderr: "" });
      },
    },
  };
}

Deno.test("nftables: the first grant of a prefix adds its sets and rule once, then elements only", async () => {
  const nft = fakeNft({ "inet filter": "table inet filter {\n}\n" });
  const fw = new Nftables(NFT_DEFAULTS, nft.runner, () => (T - 30) * 1000);
  const lines = await fw.open(netGrant("192.0.2.10", 24, ["tcp/22"]));
  assertEquals(lines, [
    "Added element 192.0.2.0/24 . tcp . 22 to inet filter fwknopd_allow4_n24, expires at 1800000030",
  ]);
  const setup = nft.scripts.filter((s) => s.includes("add set inet filter fwknopd_allow4_n24"));
  assertEquals(setup.length, 1);
  await fw.open(netGrant("192.0.2.99", 24, ["tcp/22"], T + 10));
  await fw.open(testGrant("192.0.2.10", ["tcp/22"], T));
  assertEquals(nft.scripts.filter((s) => s.includes("add set")).length, 1, "no second setup");
  const last = nft.scripts.at(-1)!;
  assert(last.includes("fwknopd_allow4 { 192.0.2.10 . tcp . 22 timeout"), last);
  // Closing the network grant deletes its element and leaves the host's.
  await fw.close(netGrant("192.0.2.10", 24, ["tcp/22"], T + 10));
  const close = nft.scripts.at(-1)!;
  assert(close.includes("delete element inet filter fwknopd_allow4_n24 { 192.0.2.0 . tcp . 22 }"));
  assert(!close.includes("fwknopd_allow4 {"), close);
});

Deno.test("nftables: network sets of an earlier run get their rules back at start", async () => {
  const listing =
    "table inet filter {\n\tset fwknopd_allow4_n24 {\n\t}\n\tset fwknopd_allow6d_n64 {\n\t}\n" +
    "\tset fwknopd_allow4_n0 {\n\t}\n\tchain input {\n\t}\n}\n";
  const nft = fakeNft({ "inet filter": listing });
  await new Nftables(NFT_DEFAULTS, nft.runner).init();
  const script = nft.scripts.find((s) => s.includes("flush chain inet filter fwknopd_input"))!;
  assert(script.includes("ip saddr & 255.255.255.0 . meta l4proto . th dport @fwknopd_allow4_n24"));
  assert(script.includes("@fwknopd_allow6d_n64"));
  assert(!script.includes("_n0"), "a set name with a bad prefix is not ours to use");
});

Deno.test("nftables --fw-list: a network grant shows its network", async () => {
  const nft = fakeNft({
    "inet filter": "table inet filter {\n\tset fwknopd_allow4_n24 {\n\t}\n}\n",
    "set fwknopd_allow4":
      "set fwknopd_allow4 {\n elements = { 192.0.2.10 . tcp . 22 timeout 30s expires 12s }\n}\n",
    "set fwknopd_allow4_n24":
      "set fwknopd_allow4_n24 {\n elements = { 192.0.2.0 . tcp . 22 timeout 60s expires 50s }\n}\n",
  });
  const out = await new Nftables(NFT_DEFAULTS, nft.runner).list();
  assertEquals(
    out,
    'Grants in nftables inet filter set fwknopd_allow4 (time left after "expires"):\n' +
      "  192.0.2.10 . tcp . 22 timeout 30s expires 12s\n" +
      'Grants in nftables inet filter set fwknopd_allow4_n24 (networks /24, time left after "expires"):\n' +
      "  192.0.2.0/24 . tcp . 22 timeout 60s expires 50s\n",
  );
});

Deno.test("nftables --fw-flush: the network sets go too", async () => {
  const nft = fakeNft({
    "inet filter":
      "table inet filter {\n\tset fwknopd_allow4 {\n\t}\n\tset fwknopd_allow4_n24 {\n\t}\n}\n",
  });
  await new Nftables(NFT_DEFAULTS, nft.runner).flush();
  const drop = nft.scripts.find((s) => s.startsWith("delete set"))!;
  assertEquals(
    drop,
    "delete set inet filter fwknopd_allow4\ndelete set inet filter fwknopd_allow4_n24\n",
  );
});

Deno.test("ipfw: from NET/N beside the host rule, and close retires only the network's rule", async () => {
  const g = netGrant("192.0.2.10", 24, ["tcp/22"]);
  assertEquals(
    addRuleArgs(10001, 1, g, g.ports[0]!).join(" "),
    `add 10001 set 1 pass 6 from 192.0.2.0/24 to me dst-port 22 setup keep-state // _exp_${T}`,
  );
  const s = scripted();
  const fw = new Ipfw({
    exe: "/sbin/ipfw",
    startRule: 10000,
    maxRules: 100,
    activeSet: 1,
    expireSet: 0,
    purgeInterval: 30,
    checkState: false,
  }, s.run);
  await fw.open(testGrant("192.0.2.10", ["tcp/22"], T));
  assertEquals((await fw.open(g))[0], `Added Rule 10001 for 192.0.2.0/24, tcp/22 expires at ${T}`);
  s.answer("/sbin/ipfw set 1 list", {
    stdout: `10000 allow tcp from 192.0.2.10 to me 22 setup keep-state // _exp_${T}\n` +
      `10001 allow tcp from 192.0.2.0/24 to me 22 setup keep-state // _exp_${T}\n`,
  });
  assertEquals(await fw.close(g), [`Removed rule 10001 with expire time of ${T}.`]);
  assertEquals(s.calls.at(-1), "/sbin/ipfw set 1 delete 10001");
});

Deno.test("pf: from NET/N beside the host rule, and close drops only the network's line", async () => {
  const g = netGrant("2001:db8:1:2::7", 64, ["tcp/22"]);
  assertEquals(
    ruleText(g, g.ports[0]!),
    `pass in quick proto 6 from 2001:db8:1:2::/64 to any port 22 keep state label _exp_${T}`,
  );
  const host =
    `pass in quick proto tcp from 2001:db8:1:2::7 to any port = 22 flags S/SA keep state label "_exp_${T}"`;
  const net =
    `pass in quick proto tcp from 2001:db8:1:2::/64 to any port = 22 flags S/SA keep state label "_exp_${T}"`;
  const list = "/sbin/pfctl -a fwknop -s rules";
  const s = scripted({ [list]: { stdout: `${host}\n${net}\n` } });
  const fw = new Pf({ exe: "/sbin/pfctl", anchor: "fwknop" }, s.run);
  assertEquals(await fw.close(g), [`Deleting rule with expire time of ${T}.`]);
  assertEquals(s.inputs.at(-1), `${host}\n`);
});

Deno.test("grant table: network and host grants open, log and close apart; a revocation closes both", async () => {
  let now = (T - 60) * 1000;
  const logs: string[] = [];
  const fw = new MemoryFirewall();
  const t = new GrantTable(fw, { nowMs: () => now, log: (_l, m) => logs.push(m) });
  assertEquals(await t.open(netGrant("192.0.2.10", 24, ["tcp/22"], T)), "opened");
  assertEquals(await t.open(testGrant("192.0.2.10", ["tcp/22"], T - 30)), "opened");
  assertEquals(await t.open(netGrant("192.0.2.99", 24, ["tcp/22"], T - 40)), "already-open");
  assert(logs.some((l) => l.includes("Access for 192.0.2.0/24 tcp/22 is already open until")));
  now = (T - 30) * 1000;
  await t.expire();
  assertEquals(t.live().map((g) => `${g.src.text}/${g.srcPrefix}`), ["192.0.2.0/24"]);
  assert(logs.some((l) => l.startsWith("Removed expired access for 192.0.2.10 tcp/22")));
  await t.open(testGrant("192.0.2.10", ["tcp/22"], T + 30));
  assertEquals(await t.revoke(parseAddr("192.0.2.77")!, "test"), 1, "the network lets .77 in");
  assertEquals(await t.revoke(parseAddr("192.0.2.10")!, "test"), 1);
  assertEquals(t.size, 0);
});

Deno.test("nftables: a new prefix after the admin's flush ruleset starts over, or says the table is gone", async () => {
  const scripts: string[] = [];
  let tableThere = false;
  const runner = {
    kind: "fake",
    run: (s: string) => {
      scripts.push(s);
      if (s.startsWith("list table inet filter")) {
        return Promise.resolve({ code: tableThere ? 0 : 1, stdout: "", stderr: "" });
      }
      const missing = !tableThere && s.includes("add chain inet filter");
      return Promise.resolve({
        code: missing ? 1 : 0,
        stdout: "",
        stderr: missing ? "Error: Could not process rule: No such file or directory" : "",
      });
    },
  };
  const fw = new Nftables(NFT_DEFAULTS, runner, () => (T - 30) * 1000);
  // The table is gone for good: the error is init's, naming what to do.
  const e = await fw.open(netGrant("192.0.2.10", 24, ["tcp/22"])).catch((x: Error) => x);
  assert(e instanceof Error && /table "inet filter" does not exist/.test(e.message), String(e));
  // The admin loads the ruleset again: the next grant builds the prefix's sets and opens.
  tableThere = true;
  const lines = await fw.open(netGrant("192.0.2.10", 24, ["tcp/22"]));
  assertEquals(lines.length, 1);
  assert(scripts.some((s) => s.includes("add set inet filter fwknopd_allow4_n24")));
});
