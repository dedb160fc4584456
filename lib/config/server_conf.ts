/**
 * fwknopd.conf: every variable of fwknopd 2.6 with its default, its type and
 * whether fwknopd-ts honours it yet. `$NAME` at the start of a value is
 * replaced by another variable's value.
 *
 * @module
 */
import { defaultFirewallType } from "../sys/libs.ts";
import { ConfigError, type ConfLine, lexConf, type Origin, readConf } from "./lexer.ts";
import { DEFAULT_CONF_DIR, DEFAULT_RUN_DIR } from "./paths.ts";
import { parseIntfList } from "../capture/intf_list.ts";

type Kind = "bool" | "string" | { min: number; max: number };

interface VarSpec {
  def?: string;
  kind: Kind;
  /** Why it is not honoured, when it is not. */
  unsupported?: string;
}

const I = (min: number, max: number): Kind => ({ min, max });
const LATER = "not supported yet by fwknopd-ts; it has no effect";
const NOBATCH =
  "without effect in fwknopd-ts (it reads packets as they come, without batches or sleeps)";
const NOEFFECT = "without effect in fwknopd-ts";

/** The variables, in fwknopd's -D order. */
export const SERVER_VARS: ReadonlyMap<string, VarSpec> = new Map<string, VarSpec>([
  ["CONFIG_FILE", { kind: "string" }],
  ["OVERRIDE_CONFIG", { kind: "string" }],
  ["PCAP_INTF", { def: "eth0", kind: "string" }],
  ["PCAP_FILE", { kind: "string" }],
  ["ENABLE_PCAP_PROMISC", { def: "N", kind: "bool" }],
  ["PCAP_FILTER", { def: "udp port 62201", kind: "string" }],
  ["PCAP_DISPATCH_COUNT", { def: "100", kind: I(1, 8388608), unsupported: NOBATCH }],
  ["PCAP_LOOP_SLEEP", { def: "100000", kind: I(1, 8388608), unsupported: NOBATCH }],
  ["ENABLE_PCAP_ANY_DIRECTION", { def: "N", kind: "bool" }],
  ["EXIT_AT_INTF_DOWN", { def: "Y", kind: "bool" }],
  ["MAX_SNIFF_BYTES", { def: "1500", kind: I(1, 32768) }],
  ["ENABLE_SPA_PACKET_AGING", { def: "Y", kind: "bool" }],
  ["MAX_SPA_PACKET_AGE", { def: "120", kind: I(1, 100000) }],
  ["ENABLE_DIGEST_PERSISTENCE", { def: "Y", kind: "bool" }],
  ["RULES_CHECK_THRESHOLD", { def: "20", kind: I(0, 8388608) }],
  ["CMD_EXEC_TIMEOUT", { kind: "string", unsupported: NOEFFECT }],
  ["ENABLE_SPA_OVER_HTTP", { def: "N", kind: "bool" }],
  ["ALLOW_ANY_USER_AGENT", { def: "N", kind: "bool" }],
  ["ENABLE_TCP_SERVER", { def: "N", kind: "bool" }],
  // fwknopd loads any number here; a port is checked when the server starts (lib/server/daemon.ts).
  ["TCPSERV_PORT", { def: "62201", kind: I(1, 2147483647) }],
  ["ENABLE_UDP_SERVER", { def: "N", kind: "bool" }],
  ["UDPSERV_PORT", { def: "62201", kind: I(0, 2147483647) }],
  ["UDPSERV_SELECT_TIMEOUT", { def: "500000", kind: I(1, 8388608), unsupported: NOEFFECT }],
  ["LOCALE", { kind: "string", unsupported: NOEFFECT }],
  ["SYSLOG_IDENTITY", { def: "fwknopd", kind: "string" }],
  ["SYSLOG_FACILITY", { def: "LOG_DAEMON", kind: "string", unsupported: NOEFFECT }],
  ["ENABLE_X_FORWARDED_FOR", { def: "N", kind: "bool" }],
  ["ENABLE_DESTINATION_RULE", { def: "N", kind: "bool" }],
  ["ENABLE_RULE_PREPEND", { def: "N", kind: "bool" }],
  ["ENABLE_NAT_DNS", { def: "Y", kind: "bool", unsupported: NOEFFECT }],
  ["ENABLE_IPT_FORWARDING", { def: "N", kind: "bool" }],
  ["ENABLE_IPT_LOCAL_NAT", { def: "N", kind: "bool" }],
  ["ENABLE_IPT_SNAT", { def: "N", kind: "bool" }],
  ["SNAT_TRANSLATE_IP", { kind: "string" }],
  ["ENABLE_IPT_OUTPUT", { def: "N", kind: "bool" }],
  ["FLUSH_IPT_AT_INIT", { def: "Y", kind: "bool" }],
  ["FLUSH_IPT_AT_EXIT", { def: "Y", kind: "bool" }],
  ["IPT_INPUT_ACCESS", { def: "ACCEPT, filter, INPUT, 1, FWKNOP_INPUT, 1", kind: "string" }],
  ["IPT_OUTPUT_ACCESS", { def: "ACCEPT, filter, OUTPUT, 1, FWKNOP_OUTPUT, 1", kind: "string" }],
  ["IPT_FORWARD_ACCESS", { def: "ACCEPT, filter, FORWARD, 1, FWKNOP_FORWARD, 1", kind: "string" }],
  ["IPT_DNAT_ACCESS", { def: "DNAT, nat, PREROUTING, 1, FWKNOP_PREROUTING, 1", kind: "string" }],
  ["IPT_SNAT_ACCESS", { def: "SNAT, nat, POSTROUTING, 1, FWKNOP_POSTROUTING, 1", kind: "string" }],
  ["IPT_MASQUERADE_ACCESS", {
    def: "MASQUERADE, nat, POSTROUTING, 1, FWKNOP_MASQUERADE, 1",
    kind: "string",
  }],
  // fwknop-ts: grants for published container ports in Docker's DOCKER-USER chain.
  ["ENABLE_DOCKER_USER", { def: "N", kind: "bool" }],
  ["IPT_DOCKER_USER_ACCESS", {
    def: "ACCEPT, filter, DOCKER-USER, 1, FWKNOP_DOCKER_USER, 1",
    kind: "string",
  }],
  // ip6tables twins of the IPT_ chains (fwknop-ts; fwknopd has no IPv6).
  ["IP6T_INPUT_ACCESS", { def: "ACCEPT, filter, INPUT, 1, FWKNOP_INPUT, 1", kind: "string" }],
  ["IP6T_OUTPUT_ACCESS", { def: "ACCEPT, filter, OUTPUT, 1, FWKNOP_OUTPUT, 1", kind: "string" }],
  ["IP6T_FORWARD_ACCESS", {
    def: "ACCEPT, filter, FORWARD, 1, FWKNOP_FORWARD, 1",
    kind: "string",
  }],
  ["IP6T_DNAT_ACCESS", { def: "DNAT, nat, PREROUTING, 1, FWKNOP_PREROUTING, 1", kind: "string" }],
  ["IP6T_SNAT_ACCESS", { def: "SNAT, nat, POSTROUTING, 1, FWKNOP_POSTROUTING, 1", kind: "string" }],
  ["IP6T_MASQUERADE_ACCESS", {
    def: "MASQUERADE, nat, POSTROUTING, 1, FWKNOP_MASQUERADE, 1",
    kind: "string",
  }],
  ["ENABLE_IPT_COMMENT_CHECK", { def: "Y", kind: "bool" }],
  // firewalld mode: the same chains through firewall-cmd --direct --passthrough.
  ["ENABLE_FIREWD_FORWARDING", { def: "N", kind: "bool" }],
  ["ENABLE_FIREWD_LOCAL_NAT", { def: "N", kind: "bool" }],
  ["ENABLE_FIREWD_SNAT", { def: "N", kind: "bool" }],
  ["ENABLE_FIREWD_OUTPUT", { def: "N", kind: "bool" }],
  ["FLUSH_FIREWD_AT_INIT", { def: "Y", kind: "bool" }],
  ["FLUSH_FIREWD_AT_EXIT", { def: "Y", kind: "bool" }],
  ["FIREWD_INPUT_ACCESS", { def: "ACCEPT, filter, INPUT, 1, FWKNOP_INPUT, 1", kind: "string" }],
  ["FIREWD_OUTPUT_ACCESS", { def: "ACCEPT, filter, OUTPUT, 1, FWKNOP_OUTPUT, 1", kind: "string" }],
  ["FIREWD_FORWARD_ACCESS", {
    def: "ACCEPT, filter, FORWARD, 1, FWKNOP_FORWARD, 1",
    kind: "string",
  }],
  ["FIREWD_DNAT_ACCESS", { def: "DNAT, nat, PREROUTING, 1, FWKNOP_PREROUTING, 1", kind: "string" }],
  ["FIREWD_SNAT_ACCESS", {
    def: "SNAT, nat, POSTROUTING, 1, FWKNOP_POSTROUTING, 1",
    kind: "string",
  }],
  ["FIREWD_MASQUERADE_ACCESS", {
    def: "MASQUERADE, nat, POSTROUTING, 1, FWKNOP_MASQUERADE, 1",
    kind: "string",
  }],
  ["ENABLE_FIREWD_COMMENT_CHECK", { def: "Y", kind: "bool" }],
  ["IPFW_START_RULE_NUM", { def: "10000", kind: "string" }],
  ["IPFW_MAX_RULES", { def: "65535", kind: "string" }],
  ["IPFW_ACTIVE_SET_NUM", { def: "1", kind: "string" }],
  ["IPFW_EXPIRE_SET_NUM", { def: "2", kind: "string" }],
  ["IPFW_EXPIRE_PURGE_INTERVAL", { def: "30", kind: "string" }],
  ["IPFW_ADD_CHECK_STATE", { def: "N", kind: "bool" }],
  ["FLUSH_IPFW_AT_INIT", { def: "Y", kind: "bool" }],
  ["FLUSH_IPFW_AT_EXIT", { def: "Y", kind: "bool" }],
  ["PF_ANCHOR_NAME", { def: "fwknop", kind: "string" }],
  ["PF_EXPIRE_INTERVAL", { def: "30", kind: "string" }],
  ["ENABLE_NFQ_CAPTURE", { def: "N", kind: "bool", unsupported: LATER }],
  ["NFQ_INTERFACE", { kind: "string", unsupported: LATER }],
  ["NFQ_PORT", { kind: "string", unsupported: LATER }],
  ["NFQ_TABLE", { kind: "string", unsupported: LATER }],
  ["NFQ_CHAIN", { kind: "string", unsupported: LATER }],
  ["NFQ_QUEUE_NUMBER", { kind: "string", unsupported: LATER }],
  ["NFQ_LOOP_SLEEP", { kind: "string", unsupported: LATER }],
  ["FWKNOP_RUN_DIR", { def: DEFAULT_RUN_DIR, kind: "string" }],
  ["FWKNOP_CONF_DIR", { def: DEFAULT_CONF_DIR, kind: "string" }],
  ["ACCESS_FILE", { def: "$FWKNOP_CONF_DIR/access.conf", kind: "string" }],
  ["ACCESS_FOLDER", { kind: "string" }],
  // fwknop-ts: fwknop 1.x knock stanzas (`NAME: value;`) in a file of their own.
  ["KNOCK_ACCESS_FILE", { kind: "string" }],
  // knockd's configuration file: its sequences are watched too.
  ["KNOCKD_CONF", { kind: "string" }],
  // Where knocks are seen: libpcap (pcap), the kernel's records in /dev/kmsg (kmsg) or in the
  // systemd journal (journal), or a syslog file (syslog: forgeable, so only with
  // KNOCK_SYSLOG_FORGEABLE Y; docs/knock.md).
  ["KNOCK_SOURCE", { def: "pcap", kind: "string" }],
  ["KNOCK_SYSLOG_FORGEABLE", { def: "N", kind: "bool" }],
  ["KNOCK_JOURNAL_DIR", { kind: "string" }],
  ["IPT_SYSLOG_FILE", { def: "/var/log/messages", kind: "string" }],
  ["FWKNOP_PID_FILE", { def: "$FWKNOP_RUN_DIR/fwknopd.pid", kind: "string" }],
  ["DIGEST_FILE", { def: "$FWKNOP_RUN_DIR/digest.cache", kind: "string" }],
  ["GPG_HOME_DIR", { def: "/root/.gnupg", kind: "string" }],
  ["GPG_EXE", { def: "/usr/bin/gpg", kind: "string" }],
  ["SUDO_EXE", { def: "/usr/bin/sudo", kind: "string" }],
  // fwknopd's build default for this platform: iptables on Linux, pf on macOS, ipfw on FreeBSD.
  ["FIREWALL_TYPE", { def: defaultFirewallType(), kind: "string" }],
  // Default: /usr/sbin/iptables, or /usr/sbin/nft with FIREWALL_TYPE nftables (see firewallExe).
  ["FIREWALL_EXE", { kind: "string" }],
  ["IP6TABLES_EXE", { kind: "string" }],
  ["ENABLE_IPV6", { def: "Y", kind: "bool" }],
  ["NFT_TABLE", { def: "inet filter", kind: "string" }],
  ["NFT_INPUT_CHAIN", { def: "input", kind: "string" }],
  ["NFT_OUTPUT_CHAIN", { def: "output", kind: "string" }],
  ["NFT_FORWARD_CHAIN", { def: "forward", kind: "string" }],
  ["NFT_OWN_TABLE", { def: "fwknopd", kind: "string" }],
  ["NFT_SELF_CONTAINED", { def: "N", kind: "bool" }],
  ["NFT_PROTECT_PORTS", { kind: "string" }],
  // fwknop-ts: stderr lines as fwknopd's text, or one JSON object each (docs/operations.md).
  ["LOG_FORMAT", { def: "text", kind: "string" }],
  // fwknop-ts: Prometheus metrics on METRICS_ADDRESS (docs/operations.md).
  ["ENABLE_METRICS", { def: "N", kind: "bool" }],
  ["METRICS_ADDRESS", { def: "127.0.0.1:9685", kind: "string" }],
  // fwknop-ts: SPA over HTTPS and the browser page (docs/server.md).
  ["ENABLE_HTTPS_SERVER", { def: "N", kind: "bool" }],
  ["HTTPS_SERVER_PORT", { def: "443", kind: I(1, 65535) }],
  ["HTTPS_CERT_FILE", { kind: "string" }],
  ["HTTPS_KEY_FILE", { kind: "string" }],
  ["HTTPS_WEB_DIR", { kind: "string" }],
  // fwknop-ts fleet mode: one replay cache and shared grants on Redis (docs/fleet.md).
  ["FLEET_REDIS_URL", { kind: "string" }],
  ["FLEET_REDIS_PASSWORD_FILE", { kind: "string" }],
  ["FLEET_REDIS_CA_FILE", { kind: "string" }],
  ["FLEET_KEY_FILE", { kind: "string" }],
  ["FLEET_REDIS_TIMEOUT", { def: "1000", kind: I(10, 60000) }],
  ["FLEET_NAME", { def: "fwknop", kind: "string" }],
  ["FLEET_GATEWAY", { kind: "string" }],
  ["FLEET_ON_REDIS_DOWN", { def: "closed", kind: "string" }],
  ["FLEET_CLOCK_SKEW", { def: "60", kind: I(0, 86400) }],
  ["FLEET_STREAM_MAXLEN", { def: "10000", kind: I(100, 10000000) }],
  // fwknop-ts alerts: mail through an SMTP relay and a webhook (lib/alerts, docs/operations.md);
  // ALERTING_METHODS and EMAIL_ADDRESSES keep fwknop 1.x's names.
  ["ALERTING_METHODS", { def: "ALL", kind: "string" }],
  ["EMAIL_ADDRESSES", { kind: "string" }],
  ["ALERT_SMTP_SERVER", { def: "localhost:25", kind: "string" }],
  ["ALERT_SMTP_STARTTLS", { def: "N", kind: "bool" }],
  ["ALERT_FROM", { kind: "string" }],
  ["ALERT_EMAIL_EVENTS", { def: "grant,replay,fault", kind: "string" }],
  ["ALERT_WEBHOOK_URL", { kind: "string" }],
  ["ALERT_WEBHOOK_EVENTS", { def: "all", kind: "string" }],
  ["ALERT_TIMEOUT", { def: "10", kind: I(1, 300) }],
  ["ALERT_RETRIES", { def: "3", kind: I(0, 10) }],
  ["ALERT_QUEUE_SIZE", { def: "100", kind: I(1, 10000) }],
  ["VERBOSE", { def: "0", kind: I(0, 100) }],
]);

/** The firewalls fwknopd-ts drives (FIREWALL_TYPE, --fw-type). */
export const FIREWALL_TYPES: readonly string[] = [
  "iptables",
  "nftables",
  "firewalld",
  "ipfw",
  "pf",
];

/** Where knocks may be read from (KNOCK_SOURCE). */
export const KNOCK_SOURCES: readonly string[] = ["pcap", "kmsg", "journal", "syslog"];

/**
 * Refuses `KNOCK_SOURCE syslog` unless `KNOCK_SYSLOG_FORGEABLE Y` says the
 * admin knows that any local user can write knock lines into a syslog file
 * (`logger`); the kernel-only sources need no such setting.
 *
 * @param c The loaded configuration.
 * @throws {ConfigError} at KNOCK_SOURCE's line, naming the setting and the safe sources.
 */
export function checkKnockSource(c: ServerConfig): void {
  if (c.get("KNOCK_SOURCE") !== "syslog" || c.bool("KNOCK_SYSLOG_FORGEABLE")) return;
  throw new ConfigError(
    c.origin("KNOCK_SOURCE"),
    "KNOCK_SOURCE",
    "syslog lets any local user forge knocks (logger writes the same lines): " +
      "use kmsg, journal or pcap, or set KNOCK_SYSLOG_FORGEABLE Y to accept that",
  );
}

/** The firewall-mode switches that exist as ENABLE_IPT_* and ENABLE_FIREWD_*. */
export type FwSwitch = "FORWARDING" | "LOCAL_NAT" | "SNAT" | "OUTPUT";

/** A parsed fwknopd.conf. */
export class ServerConfig {
  readonly #values = new Map<string, string>();
  /** Where each variable was set, for errors found after loading. */
  readonly #origins = new Map<string, Origin>();
  /** Warnings for the log (unknown or unsupported variables). */
  readonly warnings: string[] = [];

  /** The raw value, `$VAR` expanded, or `undefined` when unset. */
  get(name: string): string | undefined {
    const v = this.#values.get(name) ?? SERVER_VARS.get(name)?.def;
    if (v === undefined) return undefined;
    return this.#expand(v, 0);
  }

  #expand(v: string, depth: number): string {
    const m = /^\$([A-Z_]+)(.*)$/.exec(v);
    if (m === null || depth > 8) return v;
    const inner = this.#values.get(m[1]!) ?? SERVER_VARS.get(m[1]!)?.def;
    return inner === undefined ? v : this.#expand(inner, depth + 1) + m[2];
  }

  /** A boolean variable (`Y`/`y` is true). */
  bool(name: string): boolean {
    return /^[Yy]/.test(this.get(name) ?? "N");
  }

  /** The firewall program: FIREWALL_EXE, else the default for FIREWALL_TYPE. */
  firewallExe(): string {
    const type = this.get("FIREWALL_TYPE");
    return this.get("FIREWALL_EXE") ??
      (type === "nftables"
        ? "/usr/sbin/nft"
        : type === "firewalld"
        ? "/usr/bin/firewall-cmd"
        : type === "ipfw"
        ? "/sbin/ipfw"
        : type === "pf"
        ? "/sbin/pfctl"
        : "/usr/sbin/iptables");
  }

  /**
   * A firewall switch: ENABLE_FIREWD_<name> with FIREWALL_TYPE firewalld, else
   * ENABLE_IPT_<name> (which nftables mode reads too, as fwknopd's does).
   */
  fw(name: FwSwitch): boolean {
    return this.bool(`${this.#fwPrefix()}_${name}`);
  }

  /**
   * FLUSH_IPT_AT_INIT / _AT_EXIT, FLUSH_FIREWD_AT_* with firewalld,
   * FLUSH_IPFW_AT_* with ipfw; pf's anchor is always emptied, as fwknopd does.
   */
  flushAt(when: "INIT" | "EXIT"): boolean {
    const type = this.get("FIREWALL_TYPE");
    if (type === "pf") return true;
    const prefix = type === "firewalld" ? "FIREWD" : type === "ipfw" ? "IPFW" : "IPT";
    return this.bool(`FLUSH_${prefix}_AT_${when}`);
  }

  #fwPrefix(): string {
    return this.get("FIREWALL_TYPE") === "firewalld" ? "ENABLE_FIREWD" : "ENABLE_IPT";
  }

  /** An integer variable (ranges were checked at load). */
  int(name: string): number {
    return Number(this.get(name));
  }

  /** Sets a value from the command line (already validated by the caller). */
  set(name: string, value: string): void {
    this.#values.set(name, value);
  }

  /** Whether the file set the variable. */
  has(name: string): boolean {
    return this.#values.has(name);
  }

  /** Applies lexed lines, checking names and ranges. */
  apply(lines: ConfLine[]): void {
    for (const l of lines) {
      const spec = SERVER_VARS.get(l.name);
      if (spec === undefined) {
        this.warnings.push(`${l.file}:${l.line}: ignoring unknown variable ${l.name}`);
        continue;
      }
      if (typeof spec.kind === "object") {
        const expanded = this.#expand(l.value, 0);
        const n = Number(expanded);
        if (!/^\d+$/.test(expanded) || n < spec.kind.min || n > spec.kind.max) {
          throw new ConfigError(
            l,
            l.name,
            `"${l.value}" is not a whole number from ${spec.kind.min} to ${spec.kind.max}`,
          );
        }
      }
      if (
        l.name === "METRICS_ADDRESS" &&
        !/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/.test(l.value)
      ) {
        throw new ConfigError(l, l.name, `"${l.value}" is not HOST:PORT (IPv6 as [ADDR]:PORT)`);
      }
      if (l.name === "SYSLOG_FACILITY" && !/^LOG_(DAEMON|LOCAL[0-7])$/i.test(l.value)) {
        throw new ConfigError(
          l,
          l.name,
          `"${l.value}" is not LOG_DAEMON or LOG_LOCAL0 to LOG_LOCAL7`,
        );
      }
      if (l.name === "PCAP_INTF") {
        const intf = parseIntfList(l.value); // a name, a list (eth0,wg0) or auto
        if ("error" in intf) throw new ConfigError(l, l.name, intf.error);
      }
      if (l.name === "LOG_FORMAT" && !["text", "json"].includes(l.value)) {
        throw new ConfigError(l, l.name, `"${l.value}" is not text or json`);
      }
      if (l.name === "FLEET_ON_REDIS_DOWN" && !["closed", "local"].includes(l.value)) {
        throw new ConfigError(l, l.name, `"${l.value}" is not closed or local`);
      }
      if (l.name === "KNOCK_SOURCE" && !KNOCK_SOURCES.includes(l.value)) {
        throw new ConfigError(l, l.name, `"${l.value}" is not ${KNOCK_SOURCES.join(", ")}`);
      }
      if (l.name === "FIREWALL_TYPE" && !FIREWALL_TYPES.includes(l.value)) {
        throw new ConfigError(
          l,
          l.name,
          `"${l.value}" is not one of ${FIREWALL_TYPES.join(", ")}`,
        );
      }
      if (spec.unsupported !== undefined && !(spec.kind === "bool" && !/^[Yy]/.test(l.value))) {
        this.warnings.push(
          `${l.file}:${l.line}: ${l.name} is ${spec.unsupported}; it has no effect`,
        );
      }
      this.#values.set(l.name, l.value);
      this.#origins.set(l.name, l);
    }
  }

  /**
   * Where a variable was set (file and line), or the main file when it was
   * not (a default, or the command line), for errors found after loading.
   */
  origin(name: string): Origin | { file: string } {
    const o = this.#origins.get(name);
    return o === undefined ? { file: this.get("CONFIG_FILE") ?? "fwknopd.conf" } : {
      file: o.file,
      line: o.line,
    };
  }

  /** Every variable and its value, for `-D`. */
  entries(): [string, string | undefined][] {
    return [...SERVER_VARS.keys()].map((
      k,
    ) => [k, k === "FIREWALL_EXE" ? this.firewallExe() : this.get(k)]);
  }
}

/**
 * Loads fwknopd.conf and any override files.
 *
 * @param path The main file.
 * @param overrides Files applied after it, in order.
 * @returns The configuration.
 * @throws {ConfigError} naming file, line and variable for a bad line.
 */
export function loadServerConfig(path: string, overrides: string[] = []): ServerConfig {
  const c = new ServerConfig();
  const bare = (at: Origin, name: string) =>
    c.warnings.push(`${at.file}:${at.line}: ${name} has no value; the line is ignored`);
  c.apply(lexConf(readConf(path), path, bare));
  for (const o of overrides) c.apply(lexConf(readConf(o), o, bare));
  c.set("CONFIG_FILE", path);
  if (overrides.length > 0) c.set("OVERRIDE_CONFIG", overrides.join(","));
  checkKnockSource(c);
  return c;
}
