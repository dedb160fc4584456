/**
 * `fwknop-ts --keep-open` against our daemon behind a default-drop
 * iptables firewall: with a 10 s grant (`-f 10`), a command that runs 35 s
 * opens a new connection every second and none is refused; after the
 * command ends, the grant closes. The command's exit status is the
 * client's.
 */
import { assert, assertEquals } from "./assert.ts";
import { skip } from "./env.ts";
import { netnsUnavailable, poll } from "./netns.ts";
import { type OurServer, startOurs } from "./ours.ts";
import { C4, pair, S4 } from "./nft_env.ts";

const CLIENT = new URL("../client.ts", import.meta.url).pathname;
const PORT = 10022;
const ROUNDS = 35;
const ACCESS = "SOURCE ANY\nKEY keep-key\nHMAC_KEY keep-hmac\nFW_ACCESS_TIMEOUT 10\n";

/** A command that connects once a second for ROUNDS seconds and fails if one is refused. */
const PROBE = `ok=0; fail=0
for i in $(seq 1 ${ROUNDS}); do
  if timeout 0.8 bash -c 'exec 3<>/dev/tcp/${S4}/${PORT}'; then ok=$((ok+1)); else fail=$((fail+1)); echo "refused at $i"; fi
  sleep 1
done
echo "ok=$ok fail=$fail"
[ "$fail" = 0 ] && exit 0 || exit 5
`;

Deno.test("keep-open: a 35 s command behind a 10 s grant is never refused; the grant closes after it", async () => {
  const why = await netnsUnavailable(); // root, namespaces and iptables
  if (why !== undefined) return skip(why);
  const p = await pair([PORT]);
  let ours: OurServer | undefined;
  const dir = await Deno.makeTempDir({ prefix: "keep_open_" });
  try {
    const s = p.server;
    await s.must(["iptables", "-A", "INPUT", "-i", "lo", "-j", "ACCEPT"]);
    await s.must(
      ["iptables", "-A", "INPUT", "-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED"]
        .concat(["-j", "ACCEPT"]),
    );
    await s.must(["iptables", "-P", "INPUT", "DROP"]);
    ours = await startOurs(s, `PCAP_INTF ${p.intf};\nPCAP_FILTER udp port 62201;\n`, ACCESS);
    assert(!(await p.client.tcpOpen(S4, PORT)), "the port is open before any packet");
    await Deno.writeTextFile(`${dir}/probe.sh`, PROBE);
    const r = await p.client.sh([
      "deno",
      "run",
      "-A",
      CLIENT,
      "-A",
      `tcp/${PORT}`,
      "-a",
      C4,
      "-D",
      S4,
      "--key-rijndael",
      "keep-key",
      "--key-hmac",
      "keep-hmac",
      "-f",
      "10",
      "--no-save-args",
      "--no-rc-file",
      "--keep-open",
      "--",
      "bash",
      `${dir}/probe.sh`,
    ], 90_000);
    const log = ours.daemon.output;
    assertEquals(r.code, 0, `${r.out}\ndaemon:\n${log.slice(-3000)}`);
    assert(r.out.includes(`ok=${ROUNDS} fail=0`), r.out);
    // One packet at the start and one every 5 s: at least 7 in 35 s, each one accepted.
    const packets = log.split("\n").filter((l) => /SPA Packet from IP: 192\.0\.2\.1/.test(l));
    assert(packets.length >= 7, `${packets.length} packets:\n${log.slice(-3000)}`);
    assert(!/Replay|refused|Error/i.test(log.replace(/refused: 0/g, "")), log.slice(-3000));
    // No more renewals: the grant closes within its 10 s (and a second of expiry timing).
    const closed = await poll(async () => !(await p.client.tcpOpen(S4, PORT)), true, 13_000);
    assert(closed, `still open after the command ended:\n${ours.daemon.output.slice(-2000)}`);
    const rules = await s.must(["iptables", "-S", "FWKNOP_INPUT"]);
    assert(!rules.includes(C4), rules);
  } finally {
    await ours?.stop();
    await p.cleanup();
    await Deno.remove(dir, { recursive: true });
  }
});
