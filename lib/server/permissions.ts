/**
 * The Deno permissions a daemon run needs, worked out from its
 * configuration: one list (`permissionNeeds`) that the start-up check, the
 * detached child and the packaged launcher all use, so what the launcher
 * grants is exactly what the daemon checks for, and a missing one is named.
 *
 * @module
 */
import { dirname } from "../sys/paths.ts";
import type { ServerConfig } from "../config/server_conf.ts";
import type { AccessStanza as Stanza } from "../config/access_conf.ts";
import { isDeno, lacksPermission } from "../sys/runtime.ts";
import { firewallPrograms, grantPrograms } from "./firewall_config.ts";
import { nftOverFfi } from "../../firewall/nft_run.ts";
import { fleetOptions } from "../fleet/options.ts";
import { JOURNALCTL } from "../../knock/journal_source.ts";
import { alertPeers } from "../alerts/options.ts";
import { splitCommand } from "../policy/plan.ts";
import type { ServerFlags } from "./flags.ts";
import type { Loaded } from "./load.ts";

/** The permission kinds a daemon may hold, in Deno's flag names. */
export const KINDS = ["read", "write", "run", "net", "ffi", "env", "sys"] as const;

/** A Deno permission kind. */
export type Kind = (typeof KINDS)[number];

/** One permission the daemon needs, and what for. */
export interface Need {
  kind: Kind;
  /** The path, program, `host:port`, variable or sys call; none: the whole kind. */
  scope?: string;
  /** What it is for, as the start-up check names it. */
  why: string;
  /** Granted by the launcher, but the daemon runs without it (a slower fallback). */
  optional?: true;
}

/** What the needs depend on besides the configuration. */
export interface NeedsContext {
  /** The files read at start: fwknopd.conf, its overrides, the access files. */
  files: readonly string[];
  /** The access stanzas (GnuPG, commands). */
  stanzas: readonly Stanza[];
  /** `-t`: no firewall is touched. */
  test?: boolean;
  /** The daemon logs to syslog through `logger` (in the background, or `--syslog-enable`). */
  syslog?: boolean;
}

/**
 * What the daemon's permissions depend on besides fwknopd.conf, for this
 * command line and the files it loaded.
 */
export function needsContext(f: ServerFlags, loaded: Loaded): NeedsContext {
  const c = loaded.config;
  return {
    files: [c.get("CONFIG_FILE")!, ...(c.get("OVERRIDE_CONFIG")?.split(",") ?? [])]
      .concat(loaded.accessPaths),
    stanzas: loaded.settings.stanzas,
    test: f.test,
    // In the background (and with --syslog-enable) the daemon logs through logger.
    syslog: f.syslogEnable || (!f.foreground && !f.daemonChild),
  };
}

/** The one variable the Redis client reads (fleet mode). */
const FLEET_ENV = "REDIS_DEBUG_MAINTENANCE";

/** `HOST:PORT` in Deno's form (`[v6]:port`). */
const hostPort = (host: string, port: number | string) =>
  `${host.includes(":") ? `[${host}]` : host}:${port}`;

/**
 * Fleet mode's network peers: the Redis server, or the sentinels (the
 * primary they name is found at run time: allow the Redis nodes too).
 */
function fleetHosts(c: ServerConfig): string[] | undefined {
  let o;
  try {
    o = fleetOptions(c);
  } catch {
    return undefined; // load reported it
  }
  if (o === undefined) return undefined;
  return (o.sentinels ?? [{ host: o.host, port: o.port }]).map((p) => hostPort(p.host, p.port));
}

/** The listeners: UDP and TCP servers, metrics, SPA over HTTPS. */
function listenerNeeds(c: ServerConfig): Need[] {
  const out: Need[] = [];
  const both = (port: string, why: string) =>
    out.push({ kind: "net", scope: `0.0.0.0:${port}`, why }, {
      kind: "net",
      scope: `[::]:${port}`,
      why,
    });
  if (c.bool("ENABLE_UDP_SERVER")) both(c.get("UDPSERV_PORT")!, "UDP server");
  if (c.bool("ENABLE_TCP_SERVER")) both(c.get("TCPSERV_PORT")!, "TCP server");
  if (c.bool("ENABLE_HTTPS_SERVER")) {
    both(c.get("HTTPS_SERVER_PORT")!, "HTTPS server");
    // The TLS side listens on a loopback port behind the relay (lib/sys/_listen_tls_deno.ts).
    out.push({ kind: "net", scope: "127.0.0.1", why: "HTTPS server's TLS side on loopback" });
    for (const v of ["HTTPS_CERT_FILE", "HTTPS_KEY_FILE", "HTTPS_WEB_DIR"]) {
      const p = c.get(v);
      if (p !== undefined) out.push({ kind: "read", scope: p, why: "HTTPS server" });
    }
  }
  if (c.bool("ENABLE_METRICS")) {
    out.push({ kind: "net", scope: c.get("METRICS_ADDRESS")!, why: "metrics endpoint" });
  }
  return out;
}

/** Peers the daemon connects to: fleet Redis, alert relay and webhook. */
function peerNeeds(c: ServerConfig): Need[] {
  const out: Need[] = [];
  const fleet = fleetHosts(c);
  if (fleet !== undefined) {
    for (const scope of fleet) out.push({ kind: "net", scope, why: "fleet Redis" });
    const key = c.get("FLEET_KEY_FILE");
    if (key !== undefined) out.push({ kind: "read", scope: key, why: "fleet key" });
    out.push({ kind: "env", scope: FLEET_ENV, why: "Redis client" });
    if (c.get("FLEET_GATEWAY") === undefined) {
      out.push({ kind: "sys", scope: "hostname", why: "fleet: FLEET_GATEWAY's default" });
    }
  }
  for (const scope of alertPeers(c)) out.push({ kind: "net", scope, why: "alerts" });
  if (c.get("EMAIL_ADDRESSES") !== undefined) {
    out.push({ kind: "sys", scope: "hostname", why: "alerts: the mail's host name" });
  }
  return out;
}

/** Knocks from kernel LOG lines: /dev/kmsg, a syslog file or the journal. */
function knockNeeds(c: ServerConfig): Need[] {
  const src = c.get("KNOCK_SOURCE");
  if (src === "kmsg") return [{ kind: "read", scope: "/dev/kmsg", why: "knocks from LOG lines" }];
  if (src === "syslog") {
    return [{ kind: "read", scope: c.get("IPT_SYSLOG_FILE")!, why: "knocks from LOG lines" }];
  }
  if (src === "journal") {
    return [{ kind: "run", scope: JOURNALCTL, why: "knocks from the journal" }];
  }
  return [];
}

/** Programs the stanzas run: GnuPG, commands, cycles, sudo and setpriv. */
function stanzaNeeds(c: ServerConfig, stanzas: readonly Stanza[]): Need[] {
  const out: Need[] = [];
  for (const s of stanzas) {
    const g = s.gpgPolicy;
    if (g === undefined) continue;
    out.push({ kind: "run", scope: g.exe ?? c.get("GPG_EXE")!, why: "GnuPG keys" });
    const home = g.homeDir ?? c.get("GPG_HOME_DIR");
    if (home !== undefined) out.push({ kind: "read", scope: home, why: "GnuPG keys" });
  }
  // ENABLE_CMD_EXEC runs what an authenticated client sends: any program.
  if (stanzas.some((s) => s.enableCmdExec)) out.push({ kind: "run", why: "ENABLE_CMD_EXEC" });
  if (stanzas.some((s) => s.enableCmdSudoExec)) {
    out.push({ kind: "run", scope: c.get("SUDO_EXE")!, why: "ENABLE_CMD_SUDO_EXEC" });
  }
  if (stanzas.some((s) => s.cmdExecUser !== undefined || s.cmdExecGroup !== undefined)) {
    out.push({ kind: "run", scope: "setpriv", why: "CMD_EXEC_USER" });
  }
  for (const s of stanzas) {
    for (const cmd of [s.cmdCycleOpen, s.cmdCycleClose]) {
      const exe = cmd === undefined || cmd === "NONE" ? undefined : splitCommand(cmd)[0];
      if (exe !== undefined) out.push({ kind: "run", scope: exe, why: "CMD_CYCLE" });
    }
  }
  return out;
}

/**
 * Everything a daemon run with this configuration needs.
 *
 * @param c The configuration.
 * @param x The files, stanzas and mode.
 * @returns The needs, scoped as narrowly as the configuration allows.
 */
export function permissionNeeds(c: ServerConfig, x: NeedsContext): Need[] {
  const runDir = c.get("FWKNOP_RUN_DIR")!;
  const needs: Need[] = [
    ...x.files.map((scope): Need => ({ kind: "read", scope, why: "configuration" })),
    { kind: "read", scope: runDir, why: "pid file, replay cache" },
    { kind: "write", scope: runDir, why: "pid file, replay cache" },
    // libpcap; in UDP-server mode too: the pid file's lock (without it -K, -R and -S would
    // need /proc), the run directory's parent checks and its creation go through libc.
    {
      kind: "ffi",
      why: c.bool("ENABLE_UDP_SERVER") ? "pid file lock, run directory checks" : "libpcap",
    },
  ];
  // DIGEST_FILE and FWKNOP_PID_FILE elsewhere: their folder (rotation and
  // whole-file writes make files beside them).
  const ownFiles = [["DIGEST_FILE", "replay cache"], ["FWKNOP_PID_FILE", "pid file"]] as const;
  for (const [name, why] of ownFiles) {
    const file = c.get(name);
    const dir = file === undefined ? runDir : dirname(file);
    if (dir !== runDir && !dir.startsWith(`${runDir}/`)) {
      needs.push({ kind: "read", scope: dir, why }, { kind: "write", scope: dir, why });
    }
  }
  // nftables goes through libnftables when it loads: then no program is run.
  const viaFfi = c.get("FIREWALL_TYPE") === "nftables" && nftOverFfi();
  if (!x.test && !viaFfi) {
    for (const exe of firewallPrograms(c)) needs.push({ kind: "run", scope: exe, why: "firewall" });
    for (const exe of grantPrograms(c)) {
      needs.push({ kind: "run", scope: exe, why: "iptables grants in one batch", optional: true });
    }
  }
  if (x.syslog === true) needs.push({ kind: "run", scope: "logger", why: "syslog" });
  return [
    ...needs,
    ...listenerNeeds(c),
    ...peerNeeds(c),
    ...knockNeeds(c),
    ...stanzaNeeds(c, x.stanzas),
  ];
}

/**
 * The flags that grant `needs` and nothing more: one per kind, scoped unless
 * a need takes the whole kind.
 *
 * @example
 * ```ts
 * import { permissionFlags } from "./permissions.ts";
 * const flags = permissionFlags([
 *   { kind: "read", scope: "/etc/fwknop-ts", why: "configuration" },
 *   { kind: "ffi", why: "libpcap" },
 * ]);
 * console.assert(flags.join(" ") === "--allow-read=/etc/fwknop-ts --allow-ffi");
 * ```
 */
export function permissionFlags(needs: readonly Need[]): string[] {
  const flags: string[] = [];
  for (const kind of KINDS) {
    const of = needs.filter((n) => n.kind === kind);
    if (of.length === 0) continue;
    if (of.some((n) => n.scope === undefined)) {
      flags.push(`--allow-${kind}`);
      continue;
    }
    flags.push(`--allow-${kind}=${[...new Set(of.map((n) => n.scope!))].join(",")}`);
  }
  return flags;
}

/**
 * The flags `fwknopd-ts -f` needs with this configuration, as `-D` shows
 * them: the same needs as the launcher's plan, for a run in the foreground.
 *
 * @returns The flags; empty under Node, which has no permissions.
 */
export function foregroundFlags(f: ServerFlags, loaded: Loaded): string[] {
  if (!isDeno) return [];
  const fg = needsContext({ ...f, foreground: true }, loaded);
  return permissionFlags(permissionNeeds(loaded.config, fg));
}

/** Deno's permission descriptor for a need. */
function descriptor(n: Need): { name: string; [k: string]: unknown } {
  if (n.scope === undefined) return { name: n.kind };
  const key = { read: "path", write: "path", run: "command", net: "host", env: "variable" }[
    n.kind as "read"
  ];
  return n.kind === "sys" ? { name: "sys", kind: n.scope } : { name: n.kind, [key]: n.scope };
}

/**
 * The needs Deno has not granted, as flags with what each is for.
 *
 * @returns Such as `--allow-net=192.0.2.25:25 (alerts)`; empty under Node.
 */
export function missingPermissions(c: ServerConfig, x: NeedsContext): string[] {
  if (!isDeno) return [];
  const seen = new Set<string>();
  const out: string[] = [];
  for (const n of permissionNeeds(c, x)) {
    if (n.optional === true || !lacksPermission(descriptor(n))) continue;
    const text = `--allow-${n.kind}${n.scope === undefined ? "" : `=${n.scope}`} (${n.why})`;
    if (!seen.has(text)) out.push(text);
    seen.add(text);
  }
  return out;
}

/**
 * The flags for the detached child: what it needs, as far as this process
 * holds it (never more than this process).
 */
export function childPermissionFlags(c: ServerConfig, x: NeedsContext): string[] {
  if (!isDeno) return [];
  return permissionFlags(permissionNeeds(c, x).filter((n) => !lacksPermission(descriptor(n))));
}
