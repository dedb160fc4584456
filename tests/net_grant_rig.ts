/**
 * The network-grant scenario (GRANT_SOURCE_PREFIX_V4/_V6) the iptables and
 * nftables namespace tests share: a client namespace with several addresses
 * of one carrier's pool (192.0.2.1 sends the SPA packet, 192.0.2.77 and
 * 2001:db8:1::77 connect) and addresses outside it (198.51.100.5,
 * 2001:db8:2::5), behind a default-drop server.
 *
 * @module
 */
import { assert, assertMatch } from "./assert.ts";
import { type Netns, poll } from "./netns.ts";
import { type OurServer, startOurs } from "./ours.ts";
import { C4, ourClient, pair, S4, S6 } from "./nft_env.ts";

const SERVER = new URL("../server.ts", import.meta.url).pathname;

/** Keys of the stanza that grants networks (A) and of the one that grants addresses (B). */
const KA = ["--key-rijndael", "net-grant-key", "--key-hmac", "net-grant-hmac"];
const KB = ["--key-rijndael", "host-grant-key", "--key-hmac", "host-grant-hmac"];

/** Stanza 1 opens /24 and /64 networks; stanza 2 single addresses. */
export const NET_GRANT_ACCESS = [
  "SOURCE ANY\nKEY net-grant-key\nHMAC_KEY net-grant-hmac\nFW_ACCESS_TIMEOUT 3\n" +
  "GRANT_SOURCE_PREFIX_V4 24\nGRANT_SOURCE_PREFIX_V6 64\n",
  "SOURCE ANY\nKEY host-grant-key\nHMAC_KEY host-grant-hmac\nFW_ACCESS_TIMEOUT 3\n",
].join("\n");

/** Another address of the client's /24 and /64. */
export const POOL4 = "192.0.2.77";
export const POOL6 = "2001:db8:1::77";
/** Client addresses outside the granted networks (the server has an address on each net). */
export const OUT4 = "198.51.100.5";
export const OUT6 = "2001:db8:2::5";

/** The ports: round 1, round 2, IPv6, the control. */
const P = { net1: 10211, net2: 10212, v6: 10213, control: 10214 };

/**
 * Whether a TCP connection from `src` (bound) to `dst:port` succeeds within
 * 0.7 s. Python binds the source address, which bash's /dev/tcp cannot.
 */
export async function connectFrom(
  ns: Netns,
  src: string,
  dst: string,
  port: number,
): Promise<boolean> {
  const fam = src.includes(":") ? "AF_INET6" : "AF_INET";
  const code = "import socket,sys\n" +
    `s=socket.socket(socket.${fam}, socket.SOCK_STREAM)\ns.settimeout(0.7)\n` +
    "s.bind((sys.argv[1], 0))\ns.connect((sys.argv[2], int(sys.argv[3])))\n";
  const r = await ns.sh(["python3", "-c", code, src, dst, String(port)], 5000);
  return r.code === 0;
}

/** The rig: the namespaces with the extra addresses, and the TCP listener. */
export async function netGrantPair(): Promise<Awaited<ReturnType<typeof pair>>> {
  const p = await pair(Object.values(P));
  const [cIf, sIf] = [await ifName(p.client), p.intf];
  for (const a of [`${POOL4}/24`, `${OUT4}/24`]) {
    await p.client.must(["ip", "addr", "add", a, "dev", cIf]);
  }
  for (const a of [`${POOL6}/64`, `${OUT6}/64`]) {
    await p.client.must(["ip", "-6", "addr", "add", a, "dev", cIf, "nodad"]);
  }
  await p.server.must(["ip", "addr", "add", "198.51.100.2/24", "dev", sIf]);
  await p.server.must(["ip", "-6", "addr", "add", "2001:db8:2::2/64", "dev", sIf, "nodad"]);
  return p;
}

/** The client's veth (the one interface besides lo). */
async function ifName(ns: Netns): Promise<string> {
  const out = await ns.must(["ip", "-o", "link", "show"]);
  const m = /^\d+: (va\w+)@/m.exec(out);
  if (m === null) throw new Error(`No veth in ${ns.name}: ${out}`);
  return m[1]!;
}

/** How the scenario reads the firewall: whether a grant's rule or element is still there. */
export interface FirewallProbe {
  /** Whether the single grant for `addr` on `port` is in the firewall. */
  host(ns: Netns, addr: string, port: number): Promise<boolean>;
  /** Whether the network grant `net` (`192.0.2.0/24`) on `port` is in the firewall. */
  net(ns: Netns, net: string, port: number): Promise<boolean>;
}

/** Sends one SPA packet from the client namespace (our client). */
async function spa(p: { client: Netns }, args: string[]): Promise<void> {
  const r = await ourClient(p.client, args);
  assert(r.code === 0, `client failed: ${r.out}`);
}

/** Round 1: the network grant expires first, the single grant inside it lives on, then ends. */
export async function netClosesFirst(
  p: { client: Netns },
  ours: OurServer,
  addedLine: RegExp,
): Promise<void> {
  const port = P.net1;
  const from = (src: string) => () => connectFrom(p.client, src, S4, port);
  for (const src of [C4, POOL4, OUT4]) assert(!(await from(src)()), `${src} open before SPA`);
  await spa(p, ["-A", `tcp/${port}`, "-s", "-D", S4, "-f", "3", ...KA]);
  await spa(p, ["-A", `tcp/${port}`, "-a", POOL4, "-D", S4, "-f", "12", ...KB]);
  const log = () => ours.daemon.output.slice(-3000);
  assert(await poll(from(POOL4), true, 6000), `${POOL4} did not get in:\n${log()}`);
  assert(await poll(from(C4), true, 3000), `${C4} did not get in:\n${log()}`);
  assert(!(await poll(from(OUT4), true, 1500)), `${OUT4} got in: outside the /24`);
  assertMatch(ours.daemon.output, addedLine);
  // The network grant ends at its own expiry: the sender's address is shut out again ...
  assert(await poll(async () => !(await from(C4)()), true, 12_000), "the /24 did not close");
  // ... while the single grant inside the network, due later, still lets .77 in.
  assert(await from(POOL4)(), `${POOL4} lost its own grant with the network's`);
  assert(await poll(async () => !(await from(POOL4)()), true, 20_000), "the single did not close");
}

/** Round 2: the single grant expires first; the network grant stays (read from the firewall). */
export async function hostClosesFirst(
  p: { client: Netns; server: Netns },
  probe: FirewallProbe,
): Promise<void> {
  const port = P.net2;
  await spa(p, ["-A", `tcp/${port}`, "-s", "-D", S4, "-f", "30", ...KA]);
  await spa(p, ["-A", `tcp/${port}`, "-a", POOL4, "-D", S4, "-f", "2", ...KB]);
  assert(await poll(() => probe.host(p.server, POOL4, port), true, 6000), "no single grant");
  assert(await probe.net(p.server, "192.0.2.0/24", port), "no network grant");
  assert(
    await poll(async () => !(await probe.host(p.server, POOL4, port)), true, 12_000),
    "the single grant did not close at its expiry",
  );
  assert(await probe.net(p.server, "192.0.2.0/24", port), "the network grant closed with it");
  assert(await connectFrom(p.client, POOL4, S4, port), "the network no longer lets .77 in");
}

/** IPv6: the /64 around the sender lets another address of it in, and no other /64. */
export async function v6Network(p: { client: Netns }): Promise<void> {
  const port = P.v6;
  await spa(p, ["-6", "-A", `tcp/${port}`, "-s", "-D", S6, ...KA]);
  const from = (src: string) => () => connectFrom(p.client, src, S6, port);
  assert(await poll(from(POOL6), true, 6000), `${POOL6} did not get in`);
  assert(!(await poll(from(OUT6), true, 1500)), `${OUT6} got in: outside the /64`);
}

/** The control: the outside address gets in with a grant of its own (the path works). */
export async function outsideControl(p: { client: Netns }): Promise<void> {
  const port = P.control;
  assert(!(await connectFrom(p.client, OUT4, S4, port)), "open before SPA");
  await spa(p, ["-A", `tcp/${port}`, "-a", OUT4, "-D", S4, ...KB]);
  assert(await poll(() => connectFrom(p.client, OUT4, S4, port), true, 6000), "no path");
}

/** `fwknopd-ts --fw-list` on the daemon's files, run in the server namespace. */
export async function fwList(server: Netns, ours: OurServer): Promise<string> {
  return await server.must([
    "deno",
    "run",
    "-A",
    SERVER,
    "--fw-list",
    "-c",
    `${ours.dir}/fwknopd.conf`,
    "-a",
    `${ours.dir}/access.conf`,
  ]);
}

/** Starts our daemon for the scenario. */
export function startNetGrantDaemon(server: Netns, conf: string): Promise<OurServer> {
  return startOurs(server, conf, NET_GRANT_ACCESS);
}
