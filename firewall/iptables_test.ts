import { assert, assertEquals } from "../tests/assert.ts";
import { testGrant } from "../tests/scripted_runner.ts";
import { run } from "../lib/sys/exec.ts";
import {
  type Chains,
  grantRules,
  Iptables,
  parseChainSpec,
  parseRuleSpecs,
  splitRuleLine,
} from "./iptables.ts";

const spec = (t: string) => parseChainSpec(t) as Exclude<ReturnType<typeof parseChainSpec>, string>;
const chains: Chains = {
  input: spec("ACCEPT, filter, INPUT, 1, FWKNOP_INPUT, 1"),
  output: spec("ACCEPT, filter, OUTPUT, 1, FWKNOP_OUTPUT, 1"),
  forward: spec("ACCEPT, filter, FORWARD, 1, FWKNOP_FORWARD, 1"),
  dnat: spec("DNAT, nat, PREROUTING, 1, FWKNOP_PREROUTING, 1"),
  masquerade: spec("MASQUERADE, nat, POSTROUTING, 1, FWKNOP_MASQUERADE, 1"),
};
const line = (r: { argv: string[] }) => ["iptables", ...r.argv].join(" ");

const grant = testGrant;

// Expected lines are the commands SPEC §13.13 recorded from the stock fwknopd.
Deno.test("grantRules: plain access matches fwknopd's commands", () => {
  const g = grant("1.2.3.4", ["tcp/22", "udp/53"], 1795318962);
  assertEquals(grantRules(g, { input: chains.input }, false).map(line), [
    "iptables -A FWKNOP_INPUT -t filter -p 6 -s 1.2.3.4 -d 0.0.0.0/0 --dport 22 -m comment --comment _exp_1795318962 -j ACCEPT",
    "iptables -A FWKNOP_INPUT -t filter -p 17 -s 1.2.3.4 -d 0.0.0.0/0 --dport 53 -m comment --comment _exp_1795318962 -j ACCEPT",
  ]);
});

Deno.test("grantRules: NAT, local NAT and OUTPUT match fwknopd's commands", () => {
  const nat = grant("1.2.3.4", ["tcp/2222"], 1795318990, { ip: "192.168.1.55", port: 22 });
  assertEquals(grantRules(nat, chains, false).map(line), [
    "iptables -A FWKNOP_FORWARD -t filter -p 6 -s 1.2.3.4 --dport 22 -m comment --comment _exp_1795318990 -j ACCEPT",
    "iptables -A FWKNOP_PREROUTING -t nat -p 6 -s 1.2.3.4 -d 0.0.0.0/0 --dport 2222 -m comment --comment _exp_1795318990 -j DNAT --to-destination 192.168.1.55:22",
    "iptables -A FWKNOP_MASQUERADE -t nat -p 6 -d 192.168.1.55 --dport 22 -m comment --comment _exp_1795318990 -j MASQUERADE --to-ports 2222",
  ]);
  const local = grant("1.2.3.5", ["tcp/55000"], 1795318991, {
    kind: "local",
    ip: "127.0.0.1",
    port: 22,
  });
  assertEquals(grantRules(local, chains, false).map(line), [
    "iptables -A FWKNOP_INPUT -t filter -p 6 -s 1.2.3.5 -d 0.0.0.0/0 --dport 22 -m comment --comment _exp_1795318991 -j ACCEPT",
    "iptables -A FWKNOP_PREROUTING -t nat -p 6 -s 1.2.3.5 -d 0.0.0.0/0 --dport 55000 -m comment --comment _exp_1795318991 -j DNAT --to-destination 127.0.0.1:22",
    "iptables -A FWKNOP_MASQUERADE -t nat -p 6 -d 127.0.0.1 --dport 22 -m comment --comment _exp_1795318991 -j MASQUERADE --to-ports 55000",
  ]);
  const out = grant("1.2.3.6", ["tcp/22"], 1795318996);
  assertEquals(grantRules(out, chains, false).map(line), [
    "iptables -A FWKNOP_INPUT -t filter -p 6 -s 1.2.3.6 -d 0.0.0.0/0 --dport 22 -m comment --comment _exp_1795318996 -j ACCEPT",
    "iptables -A FWKNOP_OUTPUT -t filter -p 6 -d 1.2.3.6 -s 0.0.0.0/0 --sport 22 -m comment --comment _exp_1795318996 -j ACCEPT",
  ]);
});

Deno.test("parseChainSpec refuses malformed specifications", () => {
  assertEquals(typeof parseChainSpec("ACCEPT, filter, INPUT, 1, FWKNOP_INPUT"), "string");
  assertEquals(typeof parseChainSpec("ACCEPT; filter, INPUT, 1, FWKNOP_INPUT, 1"), "string");
});

Deno.test("grantRules: IPv6 grants use ::/0 and the same layout; prepend inserts", () => {
  const g = grant("2001:db8::7", ["tcp/22"], 1795318962);
  assertEquals(grantRules(g, { input: chains.input }, true).map(line), [
    "iptables -I FWKNOP_INPUT -t filter -p 6 -s 2001:db8::7 -d ::/0 --dport 22 -m comment --comment _exp_1795318962 -j ACCEPT",
  ]);
  assertEquals(
    grantRules(g, { input: chains.input }, false)[0]!.text,
    "Added access rule to FWKNOP_INPUT for 2001:db8::7 -> ::/0 tcp/22, expires at 1795318962",
  );
});

Deno.test("parseRuleSpecs turns -S lines into delete argv by specification", () => {
  const text = `-N FWKNOP_INPUT
-A FWKNOP_INPUT -s 1.2.3.4/32 -p tcp -m tcp --dport 22 -m comment --comment _exp_1795318962 -j ACCEPT
-A FWKNOP_INPUT -s 5.6.7.8/32 -p tcp -m tcp --dport 80 -j ACCEPT
-A FWKNOP_INPUT -s 1.2.3.9/32 -m comment --comment "_exp_1795318999 note" -j ACCEPT
`;
  assertEquals(parseRuleSpecs(text), [
    {
      expires: 1795318962,
      del:
        "-D FWKNOP_INPUT -s 1.2.3.4/32 -p tcp -m tcp --dport 22 -m comment --comment _exp_1795318962 -j ACCEPT"
          .split(" "),
      num: 1,
    },
    {
      expires: 1795318999,
      del: [
        "-D",
        "FWKNOP_INPUT",
        "-s",
        "1.2.3.9/32",
        "-m",
        "comment",
        "--comment",
        "_exp_1795318999 note",
        "-j",
        "ACCEPT",
      ],
      num: 3,
    },
  ]);
  assertEquals(splitRuleLine('-A X --comment "a \\"b\\" c"'), ["-A", "X", "--comment", 'a "b" c']);
});

Deno.test("grantRules: a grant from the fleet names its gateway after the expiry", () => {
  const g = grant("1.2.3.4", ["tcp/22"], 1795318962);
  g.origin = { ...g.origin, via: "fleet", gateway: "gw-eu1" };
  const [r] = grantRules(g, { input: chains.input }, false).map(line);
  assert(r!.includes("--comment _exp_1795318962_fleet_gw-eu1 -j ACCEPT"), r);
  // The expiry is still read by the sweep (and by fwknopd, which stops at the first non-digit).
  const spec =
    `-A FWKNOP_INPUT -s 1.2.3.4/32 -p tcp -m tcp --dport 22 -m comment --comment _exp_1795318962_fleet_gw-eu1 -j ACCEPT`;
  assertEquals(parseRuleSpecs(spec).map((x) => x.expires), [1795318962]);
});

Deno.test("firewalld mode: fwknopd's firewall-cmd --direct --passthrough argv, no -w", async () => {
  const ran: string[] = [];
  const run = (argv: readonly string[]) => {
    ran.push(argv.join(" "));
    // -C and -D: no such rule (firewall-cmd's exit code and message for a missing rule).
    const missing = argv.includes("-C") || argv.includes("-D");
    return Promise.resolve({
      code: missing ? 13 : 0,
      stdout: missing ? "" : "success\n",
      stderr: missing
        ? "Error: COMMAND_FAILED: ... Bad rule (does a matching rule exist in that chain?)."
        : "",
    });
  };
  const fw = new Iptables({
    v4: {
      exe: "firewall-cmd",
      args: ["--direct", "--passthrough", "ipv4"],
      chains: { input: chains.input },
    },
    prepend: false,
    name: "firewalld",
  }, run);
  assertEquals(fw.name, "firewalld");
  const g = grant("1.2.3.4", ["tcp/22"], 1795318962);
  await fw.open(g);
  assertEquals(
    ran.at(-1),
    "firewall-cmd --direct --passthrough ipv4 -A FWKNOP_INPUT -t filter -p 6 -s 1.2.3.4 -d 0.0.0.0/0 --dport 22 -m comment --comment _exp_1795318962 -j ACCEPT",
  );
  // A rule already gone (exit 13, "Bad rule") counts as closed.
  await fw.close(g);
  assert(ran.at(-1)!.startsWith("firewall-cmd --direct --passthrough ipv4 -C FWKNOP_INPUT"));
});

Deno.test("grantRules: ENABLE_DOCKER_USER adds a DOCKER-USER rule on the original port", () => {
  const docker = spec("ACCEPT, filter, DOCKER-USER, 1, FWKNOP_DOCKER_USER, 1");
  const g = grant("1.2.3.4", ["tcp/8080"], 1795318962);
  assertEquals(grantRules(g, { input: chains.input, docker }, false).map(line).slice(1), [
    "iptables -A FWKNOP_DOCKER_USER -t filter -p 6 -s 1.2.3.4 -m conntrack --ctorigdstport 8080 -m comment --comment _exp_1795318962 -j ACCEPT",
  ]);
});

Deno.test("a hanging firewall command is killed after the timeout and the grant fails", async () => {
  const dir = await Deno.makeTempDir();
  const exe = `${dir}/iptables`;
  // -C (check) answers at once "not there"; anything else hangs.
  await Deno.writeTextFile(exe, '#!/bin/sh\ncase "$*" in *" -C "*) exit 1;; esac\nexec sleep 30\n');
  await Deno.chmod(exe, 0o755);
  const fw = new Iptables({
    v4: { exe, chains: { input: chains.input } },
    prepend: false,
    timeoutMs: 300,
  }, run);
  const t0 = Date.now();
  let msg = "";
  try {
    await fw.open(grant("1.2.3.4", ["tcp/22"], 1795318962));
  } catch (e) {
    msg = (e as Error).message;
  }
  assert(Date.now() - t0 < 5000, `took ${Date.now() - t0} ms`);
  assert(/Cannot add rule/.test(msg), msg);
  await Deno.remove(dir, { recursive: true });
});
