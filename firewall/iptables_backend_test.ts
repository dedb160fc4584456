/**
 * The iptables backend's calls, on a scripted runner (the namespace tests
 * run the real iptables): chain set-up with fwknopd's start-up lines, the
 * comment check, rollback of a half-added grant, delete by specification
 * with fwknopd's rule number, the sweep of an earlier run's rules, flush,
 * and IPv6 turned off when ip6tables fails.
 */
import { assert, assertEquals, assertRejects } from "../tests/assert.ts";
import { scripted, testGrant } from "../tests/scripted_runner.ts";
import { type Chains, Iptables, parseChainSpec } from "./iptables.ts";
import { FirewallError } from "./backend.ts";

const spec = (t: string) => parseChainSpec(t) as Exclude<ReturnType<typeof parseChainSpec>, string>;
const CHAINS: Chains = { input: spec("ACCEPT, filter, INPUT, 1, FWKNOP_INPUT, 1") };
const T = 1796170855;
const I = "iptables -w";
const RULE22 =
  `-A FWKNOP_INPUT -t filter -p 6 -s 192.0.2.10 -d 0.0.0.0/0 --dport 22 -m comment --comment _exp_${T} -j ACCEPT`;

function backend(table: Parameters<typeof scripted>[0] = {}, commentCheck = false) {
  const s = scripted(table);
  const fw = new Iptables({
    v4: { exe: "iptables", chains: CHAINS },
    prepend: false,
    commentCheck,
  }, s.run);
  return { s, fw };
}

Deno.test("iptables: init makes the chain and the jump, checks the comment match, says so as fwknopd", async () => {
  const { s, fw } = backend({
    [`${I} -t filter -L FWKNOP_INPUT -n`]: {
      code: 1,
      stderr: "No chain/target/match by that name.",
    },
    [`${I} -t filter -C INPUT -j FWKNOP_INPUT`]: { code: 1 },
  }, true);
  await fw.init();
  assertEquals(s.calls, [
    `${I} -t filter -L FWKNOP_INPUT -n`,
    `${I} -t filter -N FWKNOP_INPUT`,
    `${I} -t filter -C INPUT -j FWKNOP_INPUT`,
    `${I} -t filter -I INPUT 1 -j FWKNOP_INPUT`,
    `${I} -t filter -I FWKNOP_INPUT 1 -s 127.0.0.2 -m comment --comment __TMPCOMMENT__ -j ACCEPT`,
    `${I} -t filter -D FWKNOP_INPUT -s 127.0.0.2 -m comment --comment __TMPCOMMENT__ -j ACCEPT`,
  ]);
  assertEquals(fw.notes, [
    "Added jump rule from chain: INPUT to chain: FWKNOP_INPUT",
    "iptables 'comment' match is available",
  ]);
});

Deno.test("iptables: a missing comment match stops the start with the reason", async () => {
  const { fw } = backend({
    [`${I} -t filter -I FWKNOP_INPUT 1 -s 127.0.0.2 -m comment --comment __TMPCOMMENT__ -j ACCEPT`]:
      { code: 2, stderr: "iptables: Couldn't load match `comment'" },
  }, true);
  await assertRejects(() => fw.init(), FirewallError, "iptables 'comment' match is not available");
});

Deno.test("iptables: a rule the firewall refuses takes the grant's earlier rules with it", async () => {
  const g = testGrant("192.0.2.10", ["tcp/22", "udp/53"], T);
  const { s, fw } = backend({
    [`${I} -C FWKNOP_INPUT -t filter -p 6 -s 192.0.2.10 -d 0.0.0.0/0 --dport 22 -m comment --comment _exp_${T} -j ACCEPT`]:
      { code: 1 },
    [`${I} -C FWKNOP_INPUT -t filter -p 17 -s 192.0.2.10 -d 0.0.0.0/0 --dport 53 -m comment --comment _exp_${T} -j ACCEPT`]:
      { code: 1 },
    [`${I} -A FWKNOP_INPUT -t filter -p 17 -s 192.0.2.10 -d 0.0.0.0/0 --dport 53 -m comment --comment _exp_${T} -j ACCEPT`]:
      { code: 4, stderr: "iptables: Resource temporarily unavailable." },
  });
  await assertRejects(() => fw.open(g), FirewallError, "Resource temporarily unavailable");
  assertEquals(
    s.calls.at(-1),
    `${I} -D FWKNOP_INPUT -t filter -p 6 -s 192.0.2.10 -d 0.0.0.0/0 --dport 22 -m comment --comment _exp_${T} -j ACCEPT`,
  );
});

Deno.test("iptables: an open rule is not added twice; close says fwknopd's rule number", async () => {
  const g = testGrant("192.0.2.10", ["tcp/22"], T);
  const { s, fw } = backend({
    [`${I} -t filter -S FWKNOP_INPUT`]: {
      stdout:
        `-N FWKNOP_INPUT\n-A FWKNOP_INPUT -s 192.0.2.99/32 -p tcp -m tcp --dport 80 -m comment --comment _exp_${
          T + 9
        } -j ACCEPT\n-A FWKNOP_INPUT -s 192.0.2.10/32 -p tcp -m tcp --dport 22 -m comment --comment _exp_${T} -j ACCEPT\n`,
    },
  });
  assertEquals(await fw.open(g), [], "-C found it: nothing added");
  assertEquals(await fw.close(g), [`Removed rule 2 from FWKNOP_INPUT with expire time of ${T}`]);
  assert(s.calls.includes(`${I} ${RULE22.replace("-A ", "-D ")}`), s.calls.join("\n"));
});

Deno.test("iptables: a rule already gone is fine; a failing iptables is not", async () => {
  const g = testGrant("192.0.2.10", ["tcp/22"], T);
  const del = `${I} ${RULE22.replace("-A ", "-D ")}`;
  const chk = `${I} ${RULE22.replace("-A ", "-C ")}`;
  const gone = backend({
    [del]: { code: 1, stderr: "iptables: Bad rule (does a matching rule exist in that chain?)." },
    [chk]: { code: 1, stderr: "iptables: Bad rule (does a matching rule exist in that chain?)." },
  });
  assertEquals(await gone.fw.close(g), []);
  const broken = backend({
    [del]: { code: 4, stderr: "Another app is currently holding the xtables lock." },
    [chk]: { code: 4, stderr: "Another app is currently holding the xtables lock." },
  });
  await assertRejects(() => broken.fw.close(g), FirewallError, "xtables lock");
});

Deno.test("iptables: the sweep removes an earlier run's due rules and reports the next", async () => {
  const { s, fw } = backend({
    [`${I} -t filter -S FWKNOP_INPUT`]: {
      stdout:
        `-N FWKNOP_INPUT\n-A FWKNOP_INPUT -s 192.0.2.10/32 -p tcp -m tcp --dport 22 -m comment --comment _exp_${T} -j ACCEPT\n` +
        `-A FWKNOP_INPUT -s 192.0.2.11/32 -p tcp -m tcp --dport 22 -m comment --comment _exp_${
          T + 60
        } -j ACCEPT\n-A FWKNOP_INPUT -s 192.0.2.12/32 -j ACCEPT\n`,
    },
  });
  const r = await fw.sweep(T);
  assertEquals(r.next, T + 60);
  assertEquals(r.removed.length, 1);
  assertEquals(r.removed, [`Removed rule 1 from FWKNOP_INPUT with expire time of ${T}`]);
  assertEquals(
    s.calls.filter((c) => c.includes(" -D ")),
    [
      `${I} -t filter -D FWKNOP_INPUT -s 192.0.2.10/32 -p tcp -m tcp --dport 22 -m comment --comment _exp_${T} -j ACCEPT`,
    ],
    "the admin's rule without a comment stays",
  );
});

Deno.test("iptables: flush removes every jump, then our chain; list names each chain", async () => {
  let jumps = 2;
  const s = scripted();
  const run: typeof s.run = (argv, o) => {
    if (argv.join(" ") === `${I} -t filter -D INPUT -j FWKNOP_INPUT`) {
      s.calls.push(argv.join(" "));
      return Promise.resolve({ code: jumps-- > 0 ? 0 : 1, stdout: "", stderr: "" });
    }
    return s.run(argv, o);
  };
  const fw = new Iptables({ v4: { exe: "iptables", chains: CHAINS }, prepend: false }, run);
  await fw.flush();
  assertEquals(s.calls, [
    `${I} -t filter -D INPUT -j FWKNOP_INPUT`,
    `${I} -t filter -D INPUT -j FWKNOP_INPUT`,
    `${I} -t filter -D INPUT -j FWKNOP_INPUT`,
    `${I} -t filter -F FWKNOP_INPUT`,
    `${I} -t filter -X FWKNOP_INPUT`,
  ]);
  assert((await fw.list()).startsWith("Listing rules in fwknopd-ts filter/FWKNOP_INPUT chain..."));
  assert((await fw.listAll()).startsWith("Listing all filter rules (iptables)..."));
});

Deno.test("iptables: ip6tables failing at start turns IPv6 grants off with a warning", async () => {
  const s = scripted({
    "ip6tables -w -t filter -L FWKNOP_INPUT -n": { code: 1 },
    "ip6tables -w -t filter -N FWKNOP_INPUT": {
      code: 3,
      stderr: "can't initialize ip6tables table",
    },
  });
  const fw = new Iptables({
    v4: { exe: "iptables", chains: CHAINS },
    v6: { exe: "ip6tables", chains: CHAINS },
    prepend: false,
  }, s.run);
  await fw.init();
  assert(fw.warnings.some((w) => w.startsWith("IPv6 grants are off")), fw.warnings.join());
  await assertRejects(
    () => fw.open(testGrant("2001:db8::5", ["tcp/22"], T)),
    FirewallError,
    "ip6tables is not in use",
  );
});
