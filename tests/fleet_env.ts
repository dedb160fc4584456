/**
 * The fleet tests' network: a hub namespace with a bridge, a real
 * `redis-server` on the hub's address, a client namespace and N gateway
 * namespaces, each gateway behind Debian's default-drop nftables ruleset
 * with a TCP listener, running our daemon in fleet mode.
 *
 *     hub 10.77.0.1 (bridge, redis-server :6379)
 *      |- client 10.77.0.2
 *      |- gw1 10.77.0.11, gw2 10.77.0.12, ...
 *
 * @module
 */
import { haveCommand } from "./env.ts";
import { type Background, must, Netns, netnsUnavailable } from "./netns.ts";
import { DEBIAN_RULESET, loadRuleset } from "./nft_env.ts";
import { type OurServer, startOurs } from "./ours.ts";

const LISTEN = new URL("./tools/listen.ts", import.meta.url).pathname;
export const HUB = "10.77.0.1";
export const CLIENT = "10.77.0.2";
export const REDIS_PORT = 6379;
/** The service port the gateways protect. */
export const SERVICE = 2222;
export const gwAddr = (i: number): string => `10.77.0.${11 + i}`;
export const gwName = (i: number): string => `gw${i + 1}`;

let ifCounter = 0;

/** Why the fleet tests cannot run here, if they cannot. */
export async function fleetUnavailable(): Promise<string | undefined> {
  const ns = await netnsUnavailable();
  if (ns !== undefined) return ns;
  if (!(await haveCommand("nft", ["--version"]))) return "nft is not installed (Debian nftables)";
  if (!(await haveCommand("redis-server", ["--version"]))) {
    return "redis-server is not installed (Debian redis-server)";
  }
  return undefined;
}

/** A node on the hub's bridge. */
async function attach(hub: Netns, ns: Netns, addr: string): Promise<string> {
  const id = `${Deno.pid % 10000}${ifCounter++}`;
  const hubIf = `fh${id}`;
  const nsIf = `fn${id}`;
  await must(["ip", "link", "add", hubIf, "type", "veth", "peer", "name", nsIf]);
  await must(["ip", "link", "set", hubIf, "netns", hub.name]);
  await must(["ip", "link", "set", nsIf, "netns", ns.name]);
  await hub.must(["ip", "link", "set", hubIf, "master", "br0", "up"]);
  await ns.must(["ip", "addr", "add", `${addr}/24`, "dev", nsIf]);
  await ns.must(["ip", "link", "set", nsIf, "up"]);
  return nsIf;
}

/** The fleet's network and Redis. */
export class FleetNet {
  readonly hub: Netns;
  readonly client: Netns;
  readonly gateways: { ns: Netns; intf: string; listener: Background }[];
  redis: Background | undefined;
  /** The fleet key file every gateway names in FLEET_KEY_FILE (mode 0600). */
  readonly keyFile: string;

  private constructor(
    hub: Netns,
    client: Netns,
    gateways: { ns: Netns; intf: string; listener: Background }[],
  ) {
    this.hub = hub;
    this.client = client;
    this.gateways = gateways;
    this.keyFile = `${Deno.makeTempDirSync({ prefix: "fleet-key-" })}/fleet.key`;
    const key = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));
    Deno.writeTextFileSync(this.keyFile, `${key}\n`, { mode: 0o600 });
  }

  /** Builds the hub, the client and `n` gateways, and starts Redis. */
  static async create(n: number): Promise<FleetNet> {
    const hub = await Netns.create("fhub");
    await hub.must(["ip", "link", "add", "br0", "type", "bridge"]);
    await hub.must(["ip", "addr", "add", `${HUB}/24`, "dev", "br0"]);
    await hub.must(["ip", "link", "set", "br0", "up"]);
    const client = await Netns.create("fcli");
    await attach(hub, client, CLIENT);
    const gateways = [];
    for (let i = 0; i < n; i++) {
      const ns = await Netns.create(`fgw${i + 1}`);
      const intf = await attach(hub, ns, gwAddr(i));
      await loadRuleset(ns, DEBIAN_RULESET);
      const listener = ns.spawn(["deno", "run", "--allow-net", LISTEN, "0.0.0.0", String(SERVICE)]);
      await listener.waitFor(/listening/);
      gateways.push({ ns, intf, listener });
    }
    const net = new FleetNet(hub, client, gateways);
    await net.startRedis();
    return net;
  }

  /** Starts redis-server on the hub (no persistence: a restart loses everything). */
  async startRedis(): Promise<void> {
    this.redis = this.hub.spawn([
      "redis-server",
      "--bind",
      HUB,
      "--port",
      String(REDIS_PORT),
      "--save",
      "",
      "--appendonly",
      "no",
      "--protected-mode",
      "no",
      "--dir",
      Deno.makeTempDirSync({ prefix: "redis-" }),
    ]);
    await this.redis.waitFor(/Ready to accept connections/, 10_000);
  }

  /** Kills Redis (SIGKILL: no goodbye to the clients). */
  async killRedis(): Promise<void> {
    await this.redis?.stop("SIGKILL");
    this.redis = undefined;
  }

  /** fwknopd.conf for gateway `i`. */
  conf(i: number, extra = ""): string {
    return [
      `PCAP_INTF ${this.gateways[i]!.intf};`,
      "FIREWALL_TYPE nftables;",
      `FLEET_REDIS_URL redis://${HUB}:${REDIS_PORT};`,
      "FLEET_NAME test;",
      `FLEET_GATEWAY ${gwName(i)};`,
      `FLEET_KEY_FILE ${this.keyFile};`,
      "RULES_CHECK_THRESHOLD 0;",
      extra,
    ].join("\n");
  }

  /** Starts our daemon on gateway `i` (in `dir` to restart on the same files). */
  start(i: number, access: string, extra = "", dir?: string): Promise<OurServer> {
    return startOurs(this.gateways[i]!.ns, this.conf(i, extra), access, dir);
  }

  /** Whether the client can reach gateway `i`'s service. */
  open(i: number): Promise<boolean> {
    return this.client.tcpOpen(gwAddr(i), SERVICE, 500);
  }

  /** A command through redis-cli on the hub (what anyone with Redis access can type). */
  async redisCli(...args: string[]): Promise<string> {
    return await this.hub.must(["redis-cli", "-h", HUB, "-p", String(REDIS_PORT), ...args]);
  }

  async cleanup(): Promise<void> {
    await this.killRedis();
    await Deno.remove(this.keyFile.replace(/\/fleet\.key$/, ""), { recursive: true });
    for (const g of this.gateways) {
      await g.listener.stop();
      await g.ns.delete();
    }
    await this.client.delete();
    await this.hub.delete();
  }
}
