/**
 * fwknopd.conf to a firewall backend: FIREWALL_TYPE (or `--fw-type`)
 * chooses the tool; its variables become the backend's typed options.
 *
 * @module
 */
import type { FirewallBackend } from "../../firewall/backend.ts";
import type { Runner } from "../sys/exec.ts";
import type { ProtoPort } from "../../firewall/grant.ts";
import { parseProtoPort } from "../net/proto_port.ts";
import {
  type Chains,
  type ChainSpec,
  Iptables,
  parseChainSpec,
  STDBUF,
} from "../../firewall/iptables.ts";
import { restoreExe } from "../../firewall/iptables_restore.ts";
import { Nftables, type NftFamily, type NftOptions } from "../../firewall/nftables.ts";
import { Ipfw, type IpfwOptions } from "../../firewall/ipfw.ts";
import { Pf, type PfOptions } from "../../firewall/pf.ts";
import { nftRunner } from "../../firewall/nft_run.ts";
import { ConfigError } from "../config/lexer.ts";
import type { ServerConfig } from "../config/server_conf.ts";

function configError(c: ServerConfig, name: string, why: string): ConfigError {
  return new ConfigError(c.origin(name), name, why);
}

/** The `IPT_*_ACCESS` (or `IP6T_*_ACCESS`, or firewalld's `FIREWD_*_ACCESS`) chains in use. */
export function chainsFrom(c: ServerConfig, prefix: "IPT" | "IP6T" | "FIREWD"): Chains {
  const spec = (kind: string): ChainSpec => {
    const name = `${prefix}_${kind}_ACCESS`;
    const r = parseChainSpec(c.get(name)!);
    if (typeof r === "string") throw configError(c, name, r);
    return r;
  };
  const chains: Chains = { input: spec("INPUT") };
  if (c.fw("OUTPUT")) chains.output = spec("OUTPUT");
  if (prefix === "IPT" && c.bool("ENABLE_DOCKER_USER")) chains.docker = spec("DOCKER_USER");
  if (c.fw("FORWARDING") || c.fw("LOCAL_NAT")) {
    chains.forward = spec("FORWARD");
    chains.dnat = spec("DNAT");
    if (c.fw("SNAT")) {
      chains.snat = spec("SNAT");
      chains.masquerade = spec("MASQUERADE");
    }
  }
  return chains;
}

/** The ip6tables program, or `undefined` when IPv6 grants are off. */
export function ip6tablesExe(c: ServerConfig): string | undefined {
  if (!c.bool("ENABLE_IPV6")) return undefined;
  const explicit = c.get("IP6TABLES_EXE");
  if (explicit !== undefined) return explicit;
  const exe = c.firewallExe();
  return /iptables$/.test(exe) ? exe.replace(/iptables$/, "ip6tables") : undefined;
}

/** firewalld: fwknopd's chains through `firewall-cmd --direct --passthrough ipv4|ipv6`. */
function firewalldFor(c: ServerConfig, run: Runner): Iptables {
  const exe = c.firewallExe();
  const family = (ip: "ipv4" | "ipv6") => ({
    exe,
    args: ["--direct", "--passthrough", ip],
    chains: chainsFrom(c, "FIREWD"),
  });
  return new Iptables({
    v4: family("ipv4"),
    ...(c.bool("ENABLE_IPV6") ? { v6: family("ipv6") } : {}),
    prepend: c.bool("ENABLE_RULE_PREPEND"),
    name: "firewalld",
    commentCheck: c.bool("ENABLE_FIREWD_COMMENT_CHECK"),
  }, run);
}

function iptablesFor(c: ServerConfig, run: Runner): Iptables {
  const exe6 = ip6tablesExe(c);
  return new Iptables({
    v4: { exe: c.firewallExe(), chains: chainsFrom(c, "IPT") },
    ...(exe6 === undefined ? {} : { v6: { exe: exe6, chains: chainsFrom(c, "IP6T") } }),
    prepend: c.bool("ENABLE_RULE_PREPEND"),
    commentCheck: c.bool("ENABLE_IPT_COMMENT_CHECK"),
    restore: true,
    worker: true,
    stdbuf: STDBUF,
  }, run);
}

function protectPorts(c: ServerConfig): ProtoPort[] {
  const text = c.get("NFT_PROTECT_PORTS");
  if (text === undefined || text.trim() === "") return [];
  return text.split(",").map((e) => {
    const p = parseProtoPort(e.trim().toLowerCase());
    if (typeof p === "string") {
      throw configError(c, "NFT_PROTECT_PORTS", `"${e.trim()}" is not tcp/PORT or udp/PORT`);
    }
    return p;
  });
}

/** NftOptions from fwknopd.conf. */
export function nftOptions(c: ServerConfig): NftOptions {
  const t = /^\s*(inet|ip|ip6)\s+([A-Za-z0-9_-]+)\s*$/.exec(c.get("NFT_TABLE")!);
  if (t === null) {
    throw configError(
      c,
      "NFT_TABLE",
      `"${c.get("NFT_TABLE")}" is not "FAMILY NAME" (inet, ip or ip6)`,
    );
  }
  const name = (v: string) => {
    const x = c.get(v)!;
    if (!/^[A-Za-z0-9_-]+$/.test(x)) throw configError(c, v, `"${x}" is not a table or chain name`);
    return x;
  };
  return {
    table: { family: t[1] as NftFamily, name: t[2]! },
    input: name("NFT_INPUT_CHAIN"),
    output: name("NFT_OUTPUT_CHAIN"),
    forward: name("NFT_FORWARD_CHAIN"),
    ownTable: name("NFT_OWN_TABLE"),
    selfContained: c.bool("NFT_SELF_CONTAINED"),
    protect: protectPorts(c),
    outputRules: c.fw("OUTPUT"),
    nat: c.fw("FORWARDING") || c.fw("LOCAL_NAT"),
    snat: c.fw("SNAT"),
  };
}

/** An integer IPFW_* / PF_* variable in its range (fwknopd checks these only on BSD). */
function intVar(c: ServerConfig, name: string, min: number, max: number): number {
  const v = c.get(name)!;
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < min || n > max) {
    throw configError(c, name, `"${v}" is not an integer from ${min} to ${max}`);
  }
  return n;
}

/** IpfwOptions from fwknopd.conf (fwknopd's ranges, held to what ipfw accepts). */
export function ipfwOptions(c: ServerConfig): IpfwOptions {
  const activeSet = intVar(c, "IPFW_ACTIVE_SET_NUM", 0, 30);
  const expireSet = intVar(c, "IPFW_EXPIRE_SET_NUM", 0, 30);
  if (activeSet > 0 && activeSet === expireSet) {
    throw configError(
      c,
      "IPFW_EXPIRE_SET_NUM",
      "Cannot set identical ipfw active and expire sets.",
    );
  }
  return {
    exe: c.firewallExe(),
    startRule: intVar(c, "IPFW_START_RULE_NUM", 1, 65534),
    maxRules: intVar(c, "IPFW_MAX_RULES", 1, 65535),
    activeSet,
    expireSet,
    purgeInterval: intVar(c, "IPFW_EXPIRE_PURGE_INTERVAL", 1, 65535),
    checkState: c.bool("IPFW_ADD_CHECK_STATE"),
  };
}

/** PfOptions from fwknopd.conf. */
export function pfOptions(c: ServerConfig): PfOptions {
  intVar(c, "PF_EXPIRE_INTERVAL", 1, 65535);
  const anchor = c.get("PF_ANCHOR_NAME")!;
  if (!/^[A-Za-z0-9_][A-Za-z0-9_./-]{0,63}$/.test(anchor)) {
    throw configError(c, "PF_ANCHOR_NAME", `"${anchor}" is not an anchor name`);
  }
  return { exe: c.firewallExe(), anchor };
}

/**
 * Builds the configured backend (checking its variables).
 *
 * @param c The configuration.
 * @param run The argv runner.
 * @returns The backend, ready for `init`.
 * @throws {ConfigError} for a bad firewall variable.
 */
export async function makeBackend(c: ServerConfig, run: Runner): Promise<FirewallBackend> {
  if (c.bool("ENABLE_DOCKER_USER") && c.get("FIREWALL_TYPE") !== "iptables") {
    throw configError(
      c,
      "ENABLE_DOCKER_USER",
      `needs FIREWALL_TYPE iptables (Docker's DOCKER-USER chain is an iptables chain); it is ${
        c.get("FIREWALL_TYPE")
      }`,
    );
  }
  switch (c.get("FIREWALL_TYPE")) {
    case "nftables":
      return new Nftables(nftOptions(c), await nftRunner(c.firewallExe(), run));
    case "firewalld":
      return firewalldFor(c, run);
    case "ipfw":
      return new Ipfw(ipfwOptions(c), run);
    case "pf":
      return new Pf(pfOptions(c), run);
    default:
      return iptablesFor(c, run);
  }
}

/** The programs the backend runs (for the permission check). */
export function firewallPrograms(c: ServerConfig): string[] {
  const exe6 = c.get("FIREWALL_TYPE") === "iptables" ? ip6tablesExe(c) : undefined;
  return exe6 === undefined ? [c.firewallExe()] : [c.firewallExe(), exe6];
}

/**
 * The programs iptables grants go through when allowed, besides the
 * firewall's own: the restore programs beside them and `stdbuf`, under
 * which the long-lived restore runs. Without run access to them grants
 * fall back (one restore per grant, then `-C`/`-A`), so the daemon starts
 * without them; the launcher grants them.
 */
export function grantPrograms(c: ServerConfig): string[] {
  if (c.get("FIREWALL_TYPE") !== "iptables") return [];
  const restore = firewallPrograms(c).map(restoreExe).filter((x): x is string => x !== undefined);
  return restore.length === 0 ? [] : [...restore, STDBUF];
}
