/**
 * Reads fwknopd.conf (with `-O` overrides and command-line settings) and
 * the access stanzas into what the engine needs; loads GnuPG keys.
 * Used at start and on every SIGHUP.
 *
 * @module
 */
import { stat } from "../sys/files.ts";
import { type AccessStanza, loadAccess } from "../config/access_conf.ts";
import type { KnockStanza } from "../../knock/watcher.ts";
import { ConfigError, folderFiles, readConf } from "../config/lexer.ts";
import { parseKnockdConf } from "../../knock/knockd_conf.ts";
import { loadServerConfig, type ServerConfig } from "../config/server_conf.ts";
import { fleetOptions } from "../fleet/options.ts";
import { alertOptions } from "../alerts/options.ts";
import type { EngineSettings } from "./engine.ts";
import type { ServerFlags } from "./flags.ts";
import { knockTrapWarnings } from "./knock_trap.ts";
import { DEFAULT_CONF_DIR } from "../config/paths.ts";
import { parseIntfList } from "../capture/intf_list.ts";
import { UsageError } from "../cli/errors.ts";

/** The default fwknopd.conf. */
export const DEFAULT_CONF = `${DEFAULT_CONF_DIR}/fwknopd.conf`;

/** How a warning line starts on stderr, as fwknopd's own warnings do. */
const WARNING = "Warning: ";

/** A loaded configuration. */
export interface Loaded {
  config: ServerConfig;
  settings: EngineSettings;
  /** Lines about the files that do not stop the start, each starting `Warning: `. */
  warnings: string[];
  /** fwknopd's informational lines about the files (logged at info). */
  notices: string[];
  /** The access files read (access.conf or the folder's files, knock files). */
  accessPaths: string[];
  /** Knock stanzas outside KNOCK_ACCESS_FILE, which the stock fwknopd refuses (`-D` warns). */
  rollbackWarnings?: string[];
}

/** Command-line options that set fwknopd.conf variables. */
const CLI_VARS: readonly [keyof ServerFlags, string][] = [
  ["interface", "PCAP_INTF"],
  ["pcapFilter", "PCAP_FILTER"],
  ["pcapFile", "PCAP_FILE"],
  ["digestFile", "DIGEST_FILE"],
  ["pidFile", "FWKNOP_PID_FILE"],
  ["runDir", "FWKNOP_RUN_DIR"],
  ["gpgHomeDir", "GPG_HOME_DIR"],
  ["gpgExe", "GPG_EXE"],
  ["sudoExe", "SUDO_EXE"],
  ["accessFile", "ACCESS_FILE"],
  ["accessFolder", "ACCESS_FOLDER"],
  ["fwType", "FIREWALL_TYPE"],
];

function permissionWarnings(paths: string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    try {
      if ((stat(p).mode & 0o077) !== 0) {
        out.push(`${p}: permissions should be 0600 (readable by root only)`);
      }
    } catch {
      // reported when read
    }
  }
  return out;
}

/**
 * Loads the configuration.
 *
 * @param f The command line.
 * @returns The configuration, engine settings and warnings.
 * @throws {ConfigError} naming file, line and variable.
 */
export function load(f: ServerFlags): Loaded {
  const confPath = f.configFile ?? DEFAULT_CONF;
  const overrides = f.overrideConfig?.split(",") ?? [];
  const config = loadServerConfig(confPath, overrides);
  for (const [opt, name] of CLI_VARS) {
    const v = f[opt];
    if (typeof v === "string") config.set(name, v);
  }
  const intf = f.interface === undefined ? undefined : parseIntfList(f.interface);
  if (intf !== undefined && "error" in intf) {
    throw new UsageError(`Cannot use -i "${f.interface}": ${intf.error}`);
  }
  if (f.udpServer) config.set("ENABLE_UDP_SERVER", "Y");
  if (f.pcapAnyDirection) config.set("ENABLE_PCAP_ANY_DIRECTION", "Y");
  const folder = config.get("ACCESS_FOLDER");
  const accessPaths = folder !== undefined ? folderFiles(folder) : [config.get("ACCESS_FILE")!];
  // fwknop 1.x knock stanzas in their own file (`NAME: value;`), after access.conf's.
  const knockFile = config.get("KNOCK_ACCESS_FILE");
  if (knockFile !== undefined) accessPaths.push(knockFile);
  const access = loadAccess(accessPaths);
  const warnings = [
    ...config.warnings,
    ...access.warnings,
    ...permissionWarnings([confPath, ...overrides, ...accessPaths]),
  ];
  const pcapFile = config.get("PCAP_FILE") !== undefined && config.get("ENABLE_UDP_SERVER") !== "Y";
  // A pcap file is old by nature: aging is off unless the file says otherwise.
  const aging = pcapFile && !config.has("ENABLE_SPA_PACKET_AGING")
    ? false
    : config.bool("ENABLE_SPA_PACKET_AGING");
  const snatIp = config.get("SNAT_TRANSLATE_IP");
  const knocks = access.stanzas.filter((s) => s.knock !== undefined).map(knockStanza);
  const knockd = config.get("KNOCKD_CONF");
  if (knockd !== undefined) {
    const r = knockdStanzas(knockd, access.stanzas.length + 1);
    knocks.push(...r.stanzas);
    warnings.push(...r.warnings);
  }
  fleetOptions(config, access.stanzas); // FLEET_* errors name their file and line at load (-T too)
  alertOptions(config); // so do ALERT_*, EMAIL_ADDRESSES and ALERTING_METHODS
  checkNatStanzas(config, access.stanzas);
  warnings.push(...forwardAllWarnings(config, access.stanzas));
  checkChains(config); // a bad IPT_*_ACCESS names its line at load, as fwknopd refuses it there
  const settings: EngineSettings = {
    stanzas: access.stanzas.filter((s) => s.knock === undefined),
    knocks,
    knockSource: config.get("KNOCK_SOURCE") === "pcap" ? "pcap" : "log",
    policy: {
      test: f.test,
      aging,
      maxAge: config.int("MAX_SPA_PACKET_AGE"),
      http: config.bool("ENABLE_SPA_OVER_HTTP"),
      anyUserAgent: config.bool("ALLOW_ANY_USER_AGENT"),
      xForwardedFor: config.bool("ENABLE_X_FORWARDED_FOR"),
      natForwarding: config.fw("FORWARDING"),
      natLocal: config.fw("LOCAL_NAT"),
      replay: config.bool("ENABLE_DIGEST_PERSISTENCE"),
      destinationRule: config.bool("ENABLE_DESTINATION_RULE"),
      sudoExe: config.get("SUDO_EXE")!,
      ...(config.get("FLEET_REDIS_URL") === undefined
        ? {}
        : { clockSkew: config.int("FLEET_CLOCK_SKEW") }),
      ...(snatIp === undefined ? {} : { snatTranslateIp: snatIp }),
    },
  };
  if (knockd !== undefined) accessPaths.push(knockd);
  const rollbackWarnings = knockTrapWarnings(access.stanzas, knockFile);
  const notices = access.stanzas.filter((s) => !s.requireSourceAddress).map((s) =>
    `Warning: REQUIRE_SOURCE_ADDRESS not enabled for access stanza source: '${s.raw.get("SOURCE")}'`
  );
  return {
    config,
    settings,
    warnings: warnings.map((w) => w.startsWith(WARNING) ? w : `${WARNING}${w}`),
    notices,
    accessPaths,
    rollbackWarnings,
  };
}

/**
 * fwknopd refuses FORCE_NAT and FORCE_SNAT in a stanza while fwknopd.conf
 * allows neither forwarding nor local NAT. FORCE_MASQUERADE is not checked
 * there: with FORWARD_ALL it is accepted (fwknopd 2.6.10 gives the stanza
 * FORCE_NAT 0.0.0.0 0 without checking), without it the stanza check
 * refuses it.
 *
 * @throws {ConfigError} at the stanza, with fwknopd's wording.
 */
function checkNatStanzas(c: ServerConfig, stanzas: readonly AccessStanza[]): void {
  if (c.fw("FORWARDING") || c.fw("LOCAL_NAT")) return;
  const p = c.get("FIREWALL_TYPE") === "firewalld" ? "FIREWD" : "IPT";
  for (const s of stanzas) {
    // Only as written: FORWARD_ALL alone is accepted (fwknopd refuses it per packet).
    const v = ["FORCE_NAT", "FORCE_SNAT"].find((n) => s.raw.has(n));
    if (v === undefined) continue;
    throw new ConfigError(
      s.origin,
      v,
      `stanza #${s.index}: ${v} requires either ENABLE_${p}_FORWARDING or ENABLE_${p}_LOCAL_NAT in fwknopd.conf`,
    );
  }
}

/**
 * FORWARD_ALL while fwknopd.conf enables neither forwarding nor local NAT
 * is accepted (with FORCE_MASQUERADE too, as fwknopd 2.6.10 accepts it),
 * but its packets open nothing: there is no FORWARD, DNAT or MASQUERADE
 * chain to add to (fwknopd 2.6.10 logs an "Added SNAT ALL rule" whose
 * iptables command failed). Said once at load instead of silently per packet.
 */
function forwardAllWarnings(c: ServerConfig, stanzas: readonly AccessStanza[]): string[] {
  if (c.fw("FORWARDING") || c.fw("LOCAL_NAT")) return [];
  const p = c.get("FIREWALL_TYPE") === "firewalld" ? "FIREWD" : "IPT";
  return stanzas.filter((s) => s.forwardAll && !s.raw.has("FORCE_NAT")).map((s) =>
    `${s.origin.file}:${s.origin.line}: stanza #${s.index}: FORWARD_ALL${
      s.forceMasquerade ? " with FORCE_MASQUERADE" : ""
    } opens nothing while fwknopd.conf sets neither ENABLE_${p}_FORWARDING nor ENABLE_${p}_LOCAL_NAT: its SPA packets are accepted and no rule is added`
  );
}

/** The six chain specifications fwknopd checks at parse time, whatever the firewall. */
const CHAIN_VARS = ["INPUT", "OUTPUT", "FORWARD", "DNAT", "SNAT", "MASQUERADE"];

/**
 * fwknopd's parse-time check of every `*_ACCESS` chain specification, used
 * or not: letters, digits, `_`, spaces and commas, six fields. The fields
 * themselves (a jump position that is not a number) are checked when the
 * firewall is set up, as fwknopd does.
 */
function checkChains(c: ServerConfig): void {
  const type = c.get("FIREWALL_TYPE");
  const prefixes = type === "firewalld"
    ? ["FIREWD"]
    : c.bool("ENABLE_IPV6") && type === "iptables"
    ? ["IPT", "IP6T"]
    : ["IPT"];
  for (const p of prefixes) {
    for (const kind of CHAIN_VARS) {
      const name = `${p}_${kind}_ACCESS`;
      const v = c.get(name)!;
      if (!/^[A-Za-z0-9 ,_]*$/.test(v) || v.split(",").length !== 6) {
        throw new ConfigError(
          c.origin(name),
          name,
          `Invalid ${name} specification "${v}": six comma-separated fields of letters, digits and '_'`,
        );
      }
    }
  }
}

/** knockd.conf's sections as knock stanzas numbered from `first`. */
function knockdStanzas(
  path: string,
  first: number,
): { stanzas: KnockStanza[]; warnings: string[] } {
  const r = parseKnockdConf(readConf(path), path, first);
  return { stanzas: r.sections.map((s) => s.stanza), warnings: r.warnings };
}

/** A knock stanza for the watcher, from an access stanza with knock settings. */
export function knockStanza(s: AccessStanza): KnockStanza {
  const k = s.knock!;
  const out: KnockStanza = {
    index: s.index,
    source: s.source,
    mode: k.mode,
    offset: k.offset,
    sequence: k.sequence,
    openPorts: s.openPorts ?? [],
    knockInterval: k.interval,
    fwAccessTimeout: s.fwAccessTimeout,
    requireSourceAddress: s.requireSourceAddress,
  };
  const key = s.raw.get("KEY");
  if (key !== undefined) out.key = key;
  if (k.knockLimit !== undefined) out.knockLimit = k.knockLimit;
  if (k.minTimeDiff !== undefined) out.minTimeDiff = k.minTimeDiff;
  if (k.maxTimeDiff !== undefined) out.maxTimeDiff = k.maxTimeDiff;
  if (k.usernames !== undefined) out.requireUsername = k.usernames;
  if (k.allowAddresses !== undefined) out.allowAddresses = k.allowAddresses;
  if (k.permitClientPorts === true) out.permitClientPorts = true;
  if (s.restrictPorts !== undefined) out.restrictPorts = s.restrictPorts;
  if (s.grantPrefixV4 !== undefined) out.grantPrefixV4 = s.grantPrefixV4;
  if (s.grantPrefixV6 !== undefined) out.grantPrefixV6 = s.grantPrefixV6;
  return out;
}

/** Exports the keys of GnuPG stanzas from their GnuPG homes (through the gpg binary). */
export async function attachGpgKeys(l: Loaded): Promise<void> {
  for (const s of l.settings.stanzas) {
    const g = s.gpgPolicy;
    if (g === undefined) continue;
    const { privateKeys, publicKeys } = await import("../gpg_keys.ts");
    const src = {
      home: g.homeDir ?? l.config.get("GPG_HOME_DIR")!,
      exe: g.exe ?? l.config.get("GPG_EXE")!,
    };
    try {
      g.keys = {
        decryptionKeys: await privateKeys(src, g.decryptId, g.decryptPw),
        verificationKeys: await publicKeys(src),
      };
    } catch (e) {
      throw new ConfigError(
        s.origin,
        "GPG_HOME_DIR",
        `stanza #${s.index}: ${(e as Error).message}`,
      );
    }
  }
}
