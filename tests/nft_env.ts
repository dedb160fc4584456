/**
 * What the nftables and IPv6 namespace tests share: a client and a server
 * namespace joined over both families, Debian's ruleset layout, and our
 * client run inside a namespace.
 *
 * @module
 */
import { haveCommand } from "./env.ts";
import { type Background, link, Netns, netnsUnavailable } from "./netns.ts";

const CLIENT = new URL("../client.ts", import.meta.url).pathname;
const LISTEN = new URL("./tools/listen.ts", import.meta.url).pathname;
/** The client's and server's addresses (documentation prefixes). */
export const C4 = "192.0.2.1";
export const S4 = "192.0.2.2";
export const C6 = "2001:db8:1::1";
export const S6 = "2001:db8:1::2";

/** Debian's /etc/nftables.conf, made default-drop (ND and established traffic allowed). */
export const DEBIAN_RULESET = `flush ruleset
table inet filter {
  chain input {
    type filter hook input priority filter; policy drop;
    iif lo accept
    ct state established,related accept
    icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-advert } accept
  }
  chain forward {
    type filter hook forward priority filter; policy drop;
    ct state established,related accept
  }
  chain output {
    type filter hook output priority filter; policy accept;
  }
}
`;

/** Why these tests cannot run here, if they cannot. */
export async function nftUnavailable(): Promise<string | undefined> {
  const ns = await netnsUnavailable();
  if (ns !== undefined) return ns;
  if (!(await haveCommand("nft", ["--version"]))) return "nft is not installed (Debian nftables)";
  if (!(await haveCommand("fwknop", ["-V", "--no-rc-file"]))) {
    return "fwknop is not installed (Debian package fwknop-client)";
  }
  return undefined;
}

/** A client and a server namespace joined over IPv4 and IPv6, with a TCP listener on `ports`. */
export async function pair(ports: number[]): Promise<{
  client: Netns;
  server: Netns;
  intf: string;
  listener?: Background;
  cleanup(): Promise<void>;
}> {
  const client = await Netns.create("ncli");
  const server = await Netns.create("nsrv");
  const { aIf, bIf } = await link(client, `${C4}/24`, server, `${S4}/24`);
  await client.must(["ip", "-6", "addr", "add", `${C6}/64`, "dev", aIf, "nodad"]);
  await server.must(["ip", "-6", "addr", "add", `${S6}/64`, "dev", bIf, "nodad"]);
  const listener = ports.length === 0 ? undefined : server.spawn([
    "deno",
    "run",
    "--allow-net",
    LISTEN,
    "::",
    ...ports.map(String),
  ]);
  await listener?.waitFor(/listening/);
  return {
    client,
    server,
    intf: bIf,
    listener,
    async cleanup() {
      await listener?.stop();
      await client.delete();
      await server.delete();
    },
  };
}

/** Runs our client in the client namespace. */
export function ourClient(ns: Netns, args: string[]): Promise<{ code: number; out: string }> {
  return ns.sh(["deno", "run", "-A", CLIENT, ...args, "--no-save-args", "--no-rc-file"], 30_000);
}

/** Loads a ruleset into a namespace with `nft -f`. */
export async function loadRuleset(ns: Netns, ruleset: string): Promise<void> {
  const file = await Deno.makeTempFile({ suffix: ".nft" });
  await Deno.writeTextFile(file, ruleset);
  try {
    await ns.must(["nft", "-f", file]);
  } finally {
    await Deno.remove(file);
  }
}
