/**
 * FIREWALL_TYPE iptables on a host that also has an nftables ruleset with a
 * drop policy (Debian's /etc/nftables.conf made default-drop): every base
 * chain at a hook sees each packet, so the iptables rules the daemon adds
 * (in iptables-nft's own `ip filter` table, or in the legacy tables) accept
 * the packet there and the admin's nftables chain drops it anyway. The
 * grant is logged, the port stays closed. At start the daemon lists the
 * ruleset and names each such chain in a warning.
 *
 * @module
 */
import { type NftRunner, nftRunner } from "../../firewall/nft_run.ts";
import type { ServerConfig } from "../config/server_conf.ts";
import type { Runner } from "../sys/exec.ts";
import type { Logger } from "./log.ts";

/** A base chain with a drop policy. */
export interface DropChain {
  /** The table's family (`inet`, `ip`, `ip6`). */
  family: string;
  /** The table's name. */
  table: string;
  /** The base chain's name. */
  chain: string;
  /** Its hook (`input`, `forward`). */
  hook: string;
}

/** Families whose base chains see IPv4 or IPv6 packets at the input and forward hooks. */
const IP_FAMILIES = new Set(["inet", "ip", "ip6"]);
/** The tables iptables-nft and ip6tables-nft make: the rules the daemon adds live there. */
const IPTABLES_NFT_TABLES = new Set(["filter", "nat", "mangle", "raw", "security"]);
/** Where the warning sends the admin. */
export const NFT_DROP_DOC = "docs/firewall-nftables.md";

/** A name as nft prints it: bare, or in double quotes (then it may hold spaces). */
const NAME = String.raw`("[^"]*"|\S+)`;
const TABLE = new RegExp(String.raw`^table (\S+) ${NAME} \{`);
const CHAIN = new RegExp(String.raw`^\s*chain ${NAME} \{`);
const BASE = /\btype \w+ hook (\w+)\b.*\bpolicy (\w+);/;

/**
 * Whether a table is one iptables-nft or ip6tables-nft manages (the
 * daemon's rules go there; its policy is iptables', not the admin's nftables').
 *
 * @param family The table's family (`ip`, `ip6`, `inet`, ...).
 * @param table The table's name.
 * @returns `true` for `ip`/`ip6` `filter`, `nat`, `mangle`, `raw` and `security`.
 */
export function isIptablesNftTable(family: string, table: string): boolean {
  return (family === "ip" || family === "ip6") && IPTABLES_NFT_TABLES.has(table);
}

function unquote(name: string): string {
  return name.length > 1 && name.startsWith('"') && name.endsWith('"') ? name.slice(1, -1) : name;
}

/**
 * The base chains with `policy drop` at the given hooks in `nft list
 * ruleset` output, outside the iptables-nft tables.
 *
 * @param listing The text `nft list ruleset` prints.
 * @param hooks The hooks the daemon's rules depend on (`input`; `forward` with forwarding).
 * @returns The chains, in listing order.
 * @example
 * ```ts
 * import { dropChains } from "./nft_drop_check.ts";
 * const text = "table inet filter {\n\tchain input {\n\t\ttype filter hook input priority filter; policy drop;\n\t}\n}\n";
 * dropChains(text, ["input"]); // [{ family: "inet", table: "filter", chain: "input", hook: "input" }]
 * ```
 */
export function dropChains(listing: string, hooks: readonly string[]): DropChain[] {
  const out: DropChain[] = [];
  let table: { family: string; name: string } | undefined;
  let chain: string | undefined;
  for (const line of listing.split("\n")) {
    const t = TABLE.exec(line);
    if (t !== null) {
      table = { family: t[1]!, name: unquote(t[2]!) };
      chain = undefined;
      continue;
    }
    const c = CHAIN.exec(line);
    if (c !== null) {
      chain = unquote(c[1]!);
      continue;
    }
    const b = BASE.exec(line);
    if (b === null || table === undefined || chain === undefined) continue;
    const [, hook, policy] = b;
    if (policy !== "drop" || !hooks.includes(hook!) || !IP_FAMILIES.has(table.family)) continue;
    if (isIptablesNftTable(table.family, table.name)) continue;
    out.push({ family: table.family, table: table.name, chain, hook: hook! });
  }
  return out;
}

/**
 * The start-up warnings for FIREWALL_TYPE iptables: one per nftables drop chain found.
 *
 * @param nft Runs `list ruleset` (libnftables or the nft binary).
 * @param hooks The hooks to check.
 * @returns The warnings, and why the check could not run (logged at debug level: a
 *   host without nftables, or nft not permitted, is not a fault).
 */
export async function nftDropWarnings(
  nft: () => Promise<NftRunner>,
  hooks: readonly string[],
): Promise<{ warnings: string[]; skipped?: string }> {
  let listing: string;
  try {
    const r = await (await nft()).run("list ruleset");
    if (r.code !== 0) {
      return { warnings: [], skipped: r.stderr.trim() || `nft exited with ${r.code}` };
    }
    listing = r.stdout;
  } catch (e) {
    return { warnings: [], skipped: (e as Error).message };
  }
  const warnings = dropChains(listing, hooks).map((d) =>
    `nftables table ${d.family} ${d.table}, chain ${d.chain} (hook ${d.hook}) has policy drop: ` +
    `packets the iptables rules of fwknopd-ts accept are still dropped there unless that chain ` +
    `accepts them, so granted ports may stay closed; see ${NFT_DROP_DOC} (FIREWALL_TYPE nftables ` +
    `puts the grants in that table)`
  );
  return { warnings };
}

/** The nft binary, when libnftables cannot be used. */
const NFT_EXE = "/usr/sbin/nft";

/**
 * With FIREWALL_TYPE iptables, logs a warning for each nftables drop chain
 * at the input hook (and forward, with ENABLE_IPT_FORWARDING).
 *
 * @param c The configuration.
 * @param run The argv runner (for the nft binary without FFI).
 * @param log The daemon's logger.
 */
export async function checkNftDrop(c: ServerConfig, run: Runner, log: Logger): Promise<void> {
  if (c.get("FIREWALL_TYPE") !== "iptables") return;
  const hooks = c.fw("FORWARDING") ? ["input", "forward"] : ["input"];
  const r = await nftDropWarnings(() => nftRunner(NFT_EXE, run), hooks);
  for (const w of r.warnings) log.log("warning", w);
  if (r.skipped !== undefined) {
    log.log("debug", `Cannot look for nftables drop policies: ${r.skipped}`);
  }
}
