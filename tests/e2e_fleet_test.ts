/**
 * Fleet mode end to end: three gateway namespaces, each our daemon behind a
 * default-drop nftables ruleset, sharing one real redis-server.
 *
 * - replay across the fleet: the same packet sent to all three at once,
 *   100 times with fresh packets: exactly one gateway accepts each;
 * - propagation: a FLEET_GROUP grant made on gw1 opens gw2 and gw3, and
 *   closes everywhere at the same expiry; a gateway restarted during a
 *   grant catches up; a grant that expired while it was down is skipped;
 *   `--fleet-revoke` closes a source everywhere; `-S` shows the state;
 * - a Redis writer (redis-cli on the hub): a forged grant for 2000 ports,
 *   a forged revocation with a newline in `by`, and a bogus stored stream
 *   position: nothing opens, no forged log line, one warning and grants
 *   keep flowing;
 * - faults: Redis killed: `closed` grants nothing and says why, `local`
 *   grants and refuses replays locally; Redis back (empty): the daemons
 *   reconnect by themselves and the outage's records are replays fleet-wide.
 */
import { assert, assertEquals } from "./assert.ts";
import { report, skip } from "./env.ts";
import { poll } from "./netns.ts";
import type { OurServer } from "./ours.ts";
import { CLIENT, FleetNet, fleetUnavailable, gwAddr, SERVICE } from "./fleet_env.ts";
import { encodeSpa } from "../lib/spa/packet.ts";
import { MessageType } from "../lib/spa/message.ts";

const SERVER = new URL("../server.ts", import.meta.url).pathname;
const FANOUT = new URL("./tools/send_fanout.ts", import.meta.url).pathname;
const enc = new TextEncoder();
const ROUNDS = 100;

/** Stanza 1: no group (the race); stanza 2: FLEET_GROUP ops. */
const ACCESS = `SOURCE ANY
KEY race-key
HMAC_KEY race-hmac
FW_ACCESS_TIMEOUT 30

SOURCE ANY
KEY fleet-key
HMAC_KEY fleet-hmac
MAX_FW_TIMEOUT 60
FLEET_GROUP ops
`;

function spa(allow: string, key: "race" | "fleet", timeout = 0): string {
  return encodeSpa({
    message: `${allow},tcp/${SERVICE}`,
    messageType: timeout > 0 ? MessageType.CLIENT_TIMEOUT_ACCESS : MessageType.ACCESS,
    ...(timeout > 0 ? { clientTimeout: timeout } : {}),
    username: "fleet",
    key: enc.encode(`${key}-key`),
    hmacKey: enc.encode(`${key}-hmac`),
    timestamp: Math.floor(Date.now() / 1000),
  }).wire;
}

/** Sends packets (one per line) to the given gateways at once. */
async function send(net: FleetNet, lines: string[], gws: number[], intervalMs = 0): Promise<void> {
  const file = await Deno.makeTempFile({ suffix: ".spa" });
  try {
    await Deno.writeTextFile(file, lines.join("\n") + "\n");
    const r = await net.client.sh([
      "deno",
      "run",
      "--allow-read",
      "--allow-net",
      FANOUT,
      file,
      "62201",
      String(intervalMs),
      ...gws.map(gwAddr),
    ], 60_000);
    assert(r.out.includes(`sent ${lines.length}`), r.out);
  } finally {
    await Deno.remove(file);
  }
}

function count(text: string, re: RegExp): number {
  return [...text.matchAll(new RegExp(re.source, "g"))].length;
}

/** No crash and no unhandled rejection in a daemon's output. */
function healthy(d: OurServer): void {
  assert(!/Uncaught|unhandled|panicked/i.test(d.daemon.output), d.daemon.output.slice(-3000));
}

async function race(net: FleetNet, gws: OurServer[]): Promise<void> {
  const lines = Array.from({ length: ROUNDS }, (_, i) => spa(`10.77.9.${i + 1}`, "race"));
  await send(net, lines, [0, 1, 2], 20);
  // Every packet was looked at three times: once accepted, twice a replay.
  const done = () =>
    Promise.resolve(
      gws.reduce((n, g) => n + count(g.daemon.output, /Replay detected from source IP/), 0) >=
        2 * ROUNDS,
    );
  await poll(done, true, 20_000);
  // Each packet opens its own address: it must be open on exactly one gateway.
  const sets = await Promise.all(
    net.gateways.map((g) => g.ns.must(["nft", "list", "set", "inet", "filter", "fwknopd_allow4"])),
  );
  const owners = lines.map((_, i) =>
    sets.filter((t) => new RegExp(`\\b10\\.77\\.9\\.${i + 1} \\. tcp \\. ${SERVICE}\\b`).test(t))
      .length
  );
  const wrong = owners.map((n, i) => [i, n]).filter(([, n]) => n !== 1);
  assertEquals(wrong, [], "packets not accepted by exactly one gateway: [index, gateways]");
  const replays = gws.map((g) =>
    count(g.daemon.output, /Replay detected from source IP: 10\.77\.0\.2/)
  );
  assertEquals(replays.reduce((a, b) => a + b, 0), 2 * ROUNDS);
  for (const g of gws) {
    assert(!/Cannot record the SPA digest/.test(g.daemon.output), g.daemon.output.slice(-2000));
  }
  report(`fleet race: ${ROUNDS} packets x 3 gateways, each accepted once (replays ${replays})`);
}

async function propagation(net: FleetNet, gws: OurServer[]): Promise<void> {
  for (const i of [0, 1, 2]) assert(!(await net.open(i)), `gw${i + 1} open before SPA`);
  const t0 = Date.now();
  await send(net, [spa(CLIENT, "fleet", 6)], [0]);
  for (const i of [0, 1, 2]) {
    assert(await poll(() => net.open(i), true, 5000), `gw${i + 1} did not open`);
  }
  const opened = Date.now() - t0;
  // gw2 marks the grant as the fleet's and names gw1.
  // fwknopd-ts on gw2 with its own files and one command option.
  const onGw2 = (option: string) =>
    net.gateways[1]!.ns.sh([
      ...["deno", "run", "-A", SERVER, option],
      ...["-c", `${gws[1]!.dir}/fwknopd.conf`, "-a", `${gws[1]!.dir}/access.conf`],
    ]);
  const list = await onGw2("--fw-list");
  assert(list.out.includes('comment "fleet_gw1"'), list.out);
  const own = await net.gateways[0]!.ns.sh(["nft", "list", "table", "inet", "filter"]);
  assert(!own.out.includes("fleet_"), "gw1's own grant is not marked as the fleet's");
  // -S: connected, and no lag once applied (asked until it says so: the
  // status file is written on the gateway's own schedule).
  const status = () => onGw2("-S");
  let st = await status();
  for (const end = Date.now() + 20_000; Date.now() < end;) {
    if (/fwknop:test:grants:ops: 0 ms behind/.test(st.out)) break;
    await new Promise((r) => setTimeout(r, 500));
    st = await status();
  }
  assert(/Redis at 10\.77\.0\.1:6379 connected/.test(st.out), st.out);
  assert(/fwknop:test:grants:ops: 0 ms behind/.test(st.out), st.out);
  // Closes everywhere at the same expiry.
  const closedAt: number[] = [];
  for (const i of [0, 1, 2]) {
    assert(!(await poll(() => net.open(i), false, 12_000)), `gw${i + 1} did not close`);
    closedAt.push(Date.now());
  }
  const spread = Math.max(...closedAt) - Math.min(...closedAt);
  assert(spread < 2500, `closed ${spread} ms apart`);
  const exp = (g: OurServer) =>
    /Fleet grant for 10\.77\.0\.2 .*expires at (\d+)/.exec(g.daemon.output)?.[1];
  assertEquals(exp(gws[1]!), exp(gws[2]!));
  assert(exp(gws[1]!) !== undefined);
  report(`fleet propagation: open on all 3 in ${opened} ms, closed within ${spread} ms`);
}

async function restartCatchUp(net: FleetNet, gws: OurServer[]): Promise<void> {
  const dir = gws[1]!.dir;
  await gws[1]!.daemon.stop();
  // A live grant (20 s) and a short one (2 s, for another address) while gw2 is down.
  await send(net, [spa(CLIENT, "fleet", 20), spa("10.77.0.99", "fleet", 2)], [0], 50);
  assert(await poll(() => net.open(2), true, 5000), "gw3 did not open");
  await new Promise((r) => setTimeout(r, 3000));
  // A Redis writer spoils gw2's stored position: one warning, and gw2 still catches up.
  await net.redisCli("SET", "fwknop:test:pos:gw2:fwknop:test:grants:ops", "bogus-id");
  gws[1] = await net.start(1, ACCESS, "FLEET_ON_REDIS_DOWN local;", dir);
  assert(await poll(() => net.open(1), true, 5000), "gw2 did not catch up after its restart");
  await gws[1]!.daemon.waitFor(/Fleet grant for 10\.77\.0\.99 tcp\/2222 from gateway gw1 expired/);
  const set = await net.gateways[1]!.ns.sh(["nft", "list", "table", "inet", "filter"]);
  assert(!set.out.includes("10.77.0.99"), "an expired grant was applied");
  await new Promise((r) => setTimeout(r, 1500));
  assertEquals(
    count(gws[1]!.daemon.output, /stored fleet position "bogus-id"/),
    1,
    gws[1]!.daemon.output.slice(-3000),
  );
  // Revocation: closes the live grant on all three.
  const rv = await net.gateways[2]!.ns.sh([
    "deno",
    "run",
    "-A",
    SERVER,
    "--fleet-revoke",
    CLIENT,
    "-c",
    `${gws[2]!.dir}/fwknopd.conf`,
    "-a",
    `${gws[2]!.dir}/access.conf`,
  ]);
  assert(/Revocation of 10\.77\.0\.2 published to fleet test/.test(rv.out), rv.out);
  for (const i of [0, 1, 2]) {
    assert(!(await poll(() => net.open(i), false, 5000)), `gw${i + 1} still open after revoke`);
  }
  report(
    "fleet restart: gw2 caught up on the live grant, skipped the expired one; revoke closed all",
  );
}

async function forged(net: FleetNet, gws: OurServer[]): Promise<void> {
  for (const i of [0, 1, 2]) assert(!(await net.open(i)), `gw${i + 1} open before the attack`);
  const ports = Array.from({ length: 2000 }, (_, i) => `tcp/${i + 1}`).join(",");
  const exp = String(Math.floor(Date.now() / 1000) + 60);
  await net.redisCli(
    ...["XADD", "fwknop:test:grants:ops", "*", "kind", "grant", "gw", "evil", "src", CLIENT],
    ...["dst", "", "ports", ports, "exp", exp, "stanza", "99"],
  );
  await net.redisCli(
    ...["XADD", "fwknop:test:revoke", "*", "kind", "revoke", "src", "10.77.0.3"],
    ...["by", "x\nFORGED: Added element 6.6.6.6"],
  );
  for (const g of gws) {
    await g.daemon.waitFor(/Refused fleet message .*fwknop:test:grants:ops: malformed or unsigned/);
  }
  for (const i of [0, 1, 2]) {
    assert(!(await poll(() => net.open(i), true, 1500)), `gw${i + 1} opened for a forged grant`);
  }
  for (const g of gws) {
    assert(!/^FORGED/m.test(g.daemon.output), "a forged log line");
    assert(!/Fleet grant for 10\.77\.0\.2 .*from gateway evil/.test(g.daemon.output));
  }
  report("fleet forged: a 2000-port grant and a newline in by, written to Redis, did nothing");
}

async function faults(net: FleetNet, gws: OurServer[]): Promise<void> {
  await net.killRedis();
  // gw1 (closed): refuses and says why.
  await send(net, [spa("10.77.0.2", "race")], [0]);
  await gws[0]!.daemon.waitFor(/cannot be reached .*FLEET_ON_REDIS_DOWN is closed/, 8000);
  assert(!(await net.open(0)), "gw1 opened with Redis down and FLEET_ON_REDIS_DOWN closed");
  // gw2 (local): grants, and refuses a replay of the same packet.
  const outage = spa(CLIENT, "race");
  await send(net, [outage], [1]);
  assert(await poll(() => net.open(1), true, 5000), gws[1]!.daemon.output.slice(-3000));
  await gws[1]!.daemon.waitFor(/FLEET_ON_REDIS_DOWN local/);
  const before = count(gws[1]!.daemon.output, /Replay detected/);
  await send(net, [outage], [1]);
  await poll(
    () => Promise.resolve(count(gws[1]!.daemon.output, /Replay detected/) > before),
    true,
    5000,
  );
  // Redis back, empty: reconnect by themselves; gw2 pushes its outage record.
  await net.startRedis();
  await gws[1]!.daemon.waitFor(/Pushed \d+ local replay record\(s\)/, 10_000);
  await gws[2]!.daemon.waitFor(
    /Connected to the fleet's Redis.*\n[\s\S]*Connected to the fleet's Redis/,
    10_000,
  );
  const before3 = count(gws[2]!.daemon.output, /Replay detected/);
  await send(net, [outage], [2]);
  await poll(
    () => Promise.resolve(count(gws[2]!.daemon.output, /Replay detected/) > before3),
    true,
    5000,
  );
  // gw1 grants again without a restart.
  await send(net, [spa("10.77.0.2", "race")], [0]);
  assert(await poll(() => net.open(0), true, 5000), "gw1 did not grant after Redis came back");
  for (const g of gws) healthy(g);
  report("fleet faults: closed refused, local granted, reconnect pushed the outage's record");
}

Deno.test({
  name: "e2e fleet: one replay cache and shared grants for three gateways on a real Redis",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const why = await fleetUnavailable();
    if (why !== undefined) return skip(why);
    const net = await FleetNet.create(3);
    const gws: OurServer[] = [];
    try {
      gws.push(await net.start(0, ACCESS));
      gws.push(await net.start(1, ACCESS, "FLEET_ON_REDIS_DOWN local;"));
      gws.push(await net.start(2, ACCESS));
      for (const g of gws) {
        await g.daemon.waitFor(/Connected to the fleet's Redis at 10\.77\.0\.1:6379/);
      }
      await t.step("a packet is accepted by exactly one gateway (100 races)", () => race(net, gws));
      await t.step("a group grant opens and closes on every gateway", () => propagation(net, gws));
      await t.step("forged messages written to Redis do nothing", () => forged(net, gws));
      await t.step(
        "restart catch-up, expired grants skipped, revoke",
        () => restartCatchUp(net, gws),
      );
      await t.step("Redis killed and back", () => faults(net, gws));
    } finally {
      for (const g of gws) await g.stop();
      await net.cleanup();
    }
  },
});
