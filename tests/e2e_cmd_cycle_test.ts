/**
 * CMD_CYCLE with real commands in network namespaces (issue #24): a
 * default-drop server whose only way in is a set the commands fill. With
 * CMD_CYCLE_PER_PORT, one SPA packet from the stock fwknop client opens each
 * requested port through `nft add element` (and `ipset add`), a port it did
 * not ask for stays closed, and each closes at expiry through the close
 * command; a repeat for a live cycle runs no second OPEN; stopping the
 * daemon runs the pending closes.
 */
import { assert, assertEquals } from "./assert.ts";
import { haveCommand, skip } from "./env.ts";
import { type Netns, poll } from "./netns.ts";
import { type OurServer, startOurs } from "./ours.ts";
import { C4, DEBIAN_RULESET, loadRuleset, nftUnavailable, pair, S4 } from "./nft_env.ts";

const KEYS = ["--key-rijndael", "cycle-key", "--key-hmac", "cycle-hmac"];
const STANZA = "SOURCE 192.0.2.0/24\nKEY cycle-key\nHMAC_KEY cycle-hmac\n";
const PORTS = [10201, 10202, 10203];

/** The stock client asking for `ports` (tcp) for the client's address. */
function stockClient(client: Netns, ports: number[], extra: string[] = []) {
  return client.sh([
    "fwknop",
    "-A",
    ports.map((p) => `tcp/${p}`).join(","),
    "-a",
    C4,
    "-D",
    S4,
    ...KEYS,
    ...extra,
    "--no-save-args",
    "--no-rc-file",
  ]);
}

/** How many daemon lines match. */
const count = (text: string, re: RegExp) => text.split("\n").filter((l) => re.test(l)).length;

/** Waits until `port` is open (or closed, `want` false) from the client. */
async function expectPort(client: Netns, port: number, want: boolean, log: () => string) {
  const got = await poll(() => client.tcpOpen(S4, port), want, want ? 6000 : 10000);
  assert(
    got === want,
    `port ${port} is ${got ? "open" : "closed"}; daemon:\n${log().slice(-2500)}`,
  );
}

/** The per-port stanza with commands that fill the set, and the server's way in. */
const NFT_SET = "inet filter cycle_allow";
const NFT_ACCESS = STANZA + [
  `CMD_CYCLE_OPEN /usr/sbin/nft add element ${NFT_SET} { $IP . $PROTO . $DST_PORT }`,
  `CMD_CYCLE_CLOSE /usr/sbin/nft delete element ${NFT_SET} { $IP . $PROTO . $DST_PORT }`,
  "CMD_CYCLE_TIMER 3",
  "CMD_CYCLE_PER_PORT Y",
].join("\n") + "\n";

async function nftWayIn(server: Netns): Promise<void> {
  await loadRuleset(server, DEBIAN_RULESET);
  await server.must([
    "nft",
    "add",
    "set",
    "inet",
    "filter",
    "cycle_allow",
    "{ type ipv4_addr . inet_proto . inet_service; }",
  ]);
  await server.must([
    "nft",
    "add",
    "rule",
    "inet",
    "filter",
    "input",
    "ip saddr . meta l4proto . th dport @cycle_allow accept",
  ]);
}

async function nftElements(server: Netns): Promise<string> {
  const out = await server.must(["nft", "list", "set", "inet", "filter", "cycle_allow"]);
  return /elements = \{([^}]*)\}/.exec(out)?.[1]?.trim() ?? "";
}

Deno.test({
  name: "e2e CMD_CYCLE: nft, one SPA packet opens each requested port and each closes at expiry",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const why = await nftUnavailable();
    if (why !== undefined) return skip(why);
    const p = await pair(PORTS);
    let ours: OurServer | undefined;
    try {
      await nftWayIn(p.server);
      const conf = `PCAP_INTF ${p.intf};\nPCAP_FILTER udp port 62201;\nFIREWALL_TYPE nftables;\n`;
      ours = await startOurs(p.server, conf, NFT_ACCESS);
      const log = () => ours!.daemon.output;
      await t.step("default drop: nothing is open before SPA", async () => {
        for (const port of PORTS) assert(!(await p.client.tcpOpen(S4, port)), `${port} open`);
      });
      await t.step(
        "two ports asked: two OPEN commands, both open, the third stays closed",
        async () => {
          const r = await stockClient(p.client, [10201, 10202]);
          assert(r.code === 0, r.out);
          await expectPort(p.client, 10201, true, log);
          await expectPort(p.client, 10202, true, log);
          assert(!(await p.client.tcpOpen(S4, 10203)), "10203 was not asked for");
          assertEquals(count(log(), /Running CMD_CYCLE_OPEN command: \/usr\/sbin\/nft add/), 2);
          const elements = await nftElements(p.server);
          assert(/192\.0\.2\.1 \. tcp \. 10201/.test(elements), elements);
          assert(/192\.0\.2\.1 \. tcp \. 10202/.test(elements), elements);
        },
      );
      await t.step("each closes at expiry through its CLOSE command", async () => {
        await expectPort(p.client, 10201, false, log);
        await expectPort(p.client, 10202, false, log);
        assert(await poll(async () => (await nftElements(p.server)) === "", true, 5000));
        assertEquals(count(log(), /Timer expired, running CMD_CYCLE_CLOSE command/), 2);
      });
      await t.step("a repeat for a live cycle runs no second OPEN, and one CLOSE", async () => {
        const opens = () => count(log(), /Running CMD_CYCLE_OPEN command: .* 10203 \}/);
        const closes = () =>
          count(log(), /Timer expired, running CMD_CYCLE_CLOSE command: .* 10203/);
        assert((await stockClient(p.client, [10203])).code === 0);
        await expectPort(p.client, 10203, true, log);
        assert((await stockClient(p.client, [10203])).code === 0);
        const moved = /CMD_CYCLE for 192\.0\.2\.1 tcp\/10203 is already open; close moved to \d+/;
        assert(await poll(() => Promise.resolve(moved.test(log())), true, 5000), log());
        await expectPort(p.client, 10203, false, log);
        assert(await poll(() => Promise.resolve(closes() === 1), true, 5000), log());
        assertEquals(opens(), 1, log());
      });
      await t.step("stopping the daemon runs the pending CLOSE commands", async () => {
        const r = await stockClient(p.client, [10201], ["-f", "600"]);
        assert(r.code === 0, r.out);
        await expectPort(p.client, 10201, true, log);
        await ours!.stop();
        assert(/Running CMD_CYCLE_CLOSE command at exit: .* 10201/.test(log()), log());
        assertEquals(await nftElements(p.server), "");
        assert(!(await p.client.tcpOpen(S4, 10201)), "still open after the daemon stopped");
        ours = undefined;
      });
    } finally {
      await ours?.stop();
      await p.cleanup();
    }
  },
});

const IPSET_ACCESS = STANZA + [
  "CMD_CYCLE_OPEN /usr/sbin/ipset add fwk_cycle $IP,$PROTO:$DST_PORT",
  "CMD_CYCLE_CLOSE /usr/sbin/ipset del fwk_cycle $IP,$PROTO:$DST_PORT",
  "CMD_CYCLE_TIMER 3",
  "CMD_CYCLE_PER_PORT Y",
].join("\n") + "\n";

Deno.test({
  name: "e2e CMD_CYCLE: ipset behind an iptables default drop, per port, closed at expiry",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const why = await nftUnavailable();
    if (why !== undefined) return skip(why);
    if (!(await haveCommand("ipset", ["--version"]))) {
      return skip("ipset is not installed (Debian ipset)");
    }
    const p = await pair(PORTS);
    let ours: OurServer | undefined;
    try {
      const s = p.server;
      await s.must(["ipset", "create", "fwk_cycle", "hash:ip,port"]);
      await s.must(["iptables", "-A", "INPUT", "-i", "lo", "-j", "ACCEPT"]);
      await s.must(
        ["iptables", "-A", "INPUT", "-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED"]
          .concat(["-j", "ACCEPT"]),
      );
      await s.must(["iptables", "-A", "INPUT", "-m", "set", "--match-set", "fwk_cycle", "src,dst"]
        .concat(["-j", "ACCEPT"]));
      await s.must(["iptables", "-P", "INPUT", "DROP"]);
      const conf = `PCAP_INTF ${p.intf};\nPCAP_FILTER udp port 62201;\n`;
      ours = await startOurs(s, conf, IPSET_ACCESS);
      const log = () => ours!.daemon.output;
      for (const port of PORTS) assert(!(await p.client.tcpOpen(S4, port)), `${port} open`);
      const r = await stockClient(p.client, [10202, 10203]);
      assert(r.code === 0, r.out);
      await expectPort(p.client, 10202, true, log);
      await expectPort(p.client, 10203, true, log);
      assert(!(await p.client.tcpOpen(S4, 10201)), "10201 was not asked for");
      const members = await s.must(["ipset", "list", "fwk_cycle"]);
      assert(/192\.0\.2\.1,tcp:10202/.test(members) && /192\.0\.2\.1,tcp:10203/.test(members));
      await expectPort(p.client, 10202, false, log);
      await expectPort(p.client, 10203, false, log);
      assert(
        await poll(
          async () => !/192\.0\.2\.1,/.test(await s.must(["ipset", "list", "fwk_cycle"])),
          true,
          5000,
        ),
        "the set still has members",
      );
    } finally {
      await ours?.stop();
      await p.cleanup();
    }
  },
});
