/**
 * The Deno permissions a daemon run needs, checked at start so a missing
 * one is named instead of failing later.
 *
 * @module
 */
import type { ServerConfig } from "../config/server_conf.ts";
import { isDeno } from "./runtime.ts";
import { firewallPrograms } from "../server/firewall_config.ts";
import { nftOverFfi } from "../../firewall/nft_run.ts";
import { fleetOptions } from "../fleet/options.ts";
import { JOURNALCTL } from "../../knock/journal_source.ts";
import { alertPeers } from "../alerts/options.ts";

/** The one variable the Redis client reads (fleet mode). */
const FLEET_ENV = "REDIS_DEBUG_MAINTENANCE";

/**
 * Fleet mode's network peers: the Redis server, or the sentinels (the
 * primary they name is found at run time: allow the Redis nodes too).
 */
function fleetNeeds(c: ServerConfig): { hosts: string[] } | undefined {
  let o;
  try {
    o = fleetOptions(c);
  } catch {
    return undefined; // load reported it
  }
  if (o === undefined) return undefined;
  const peers = o.sentinels ?? [{ host: o.host, port: o.port }];
  return { hosts: peers.map((p) => `${p.host.includes(":") ? `[${p.host}]` : p.host}:${p.port}`) };
}

/**
 * SPA over HTTPS (ENABLE_HTTPS_SERVER): the addresses it binds (`::` first,
 * `0.0.0.0` when that is not allowed) and the files it reads at start.
 */
function httpsNeeds(c: ServerConfig): { hosts: string[]; files: string[] } | undefined {
  if (!c.bool("ENABLE_HTTPS_SERVER")) return undefined;
  const port = c.get("HTTPS_SERVER_PORT")!;
  const files = ["HTTPS_CERT_FILE", "HTTPS_KEY_FILE", "HTTPS_WEB_DIR"].map((v) => c.get(v))
    .filter((p): p is string => p !== undefined);
  return { hosts: [`0.0.0.0:${port}`, `[::]:${port}`], files };
}

/** The permission kinds a daemon may hold, in Deno's flag names. */
const KINDS = ["read", "write", "run", "net", "ffi", "env", "sys"] as const;

/**
 * The permission flags for the detached child: what this process holds,
 * never more. A kind granted without a list is passed on as such; a kind
 * granted for a list is passed on for the paths and programs the daemon
 * uses that this process may use.
 *
 * @param c The configuration.
 * @param paths Files and folders the daemon reads (configuration, access files).
 * @returns The flags, such as `--allow-read=/etc/fwknop,/run/fwknop`.
 */
export function childPermissionFlags(c: ServerConfig, paths: readonly string[]): string[] {
  if (!isDeno) return [];
  // deno-lint-ignore no-explicit-any
  const D: any = (globalThis as any).Deno;
  const granted = (d: object) => D.permissions.querySync(d).state === "granted";
  const runDir = c.get("FWKNOP_RUN_DIR")!;
  const fleet = fleetNeeds(c);
  const https = httpsNeeds(c);
  const scoped: Record<(typeof KINDS)[number], [string, object][]> = {
    read: [
      ...paths,
      runDir,
      c.get("IPT_SYSLOG_FILE")!,
      "/dev/kmsg",
      c.get("GPG_HOME_DIR")!,
      ...(https?.files ?? []),
    ].map((
      p,
    ) => [p, { name: "read", path: p }]),
    write: [[runDir, { name: "write", path: runDir }]],
    run: [
      ...firewallPrograms(c),
      c.get("GPG_EXE")!,
      c.get("SUDO_EXE")!,
      "setpriv",
      "logger",
      JOURNALCTL,
    ]
      .map((
        p,
      ) => [p, { name: "run", command: p }]),
    net: [
      ...(fleet?.hosts ?? []),
      ...(c.bool("ENABLE_METRICS") ? [c.get("METRICS_ADDRESS")!] : []),
      ...alertPeers(c),
      ...(https?.hosts ?? []),
    ].map((host) => [host, { name: "net", host }]),
    ffi: [],
    env: fleet === undefined ? [] : [[FLEET_ENV, { name: "env", variable: FLEET_ENV }]],
    sys: [],
  };
  const flags: string[] = [];
  for (const kind of KINDS) {
    if (granted({ name: kind })) {
      flags.push(`--allow-${kind}`);
      continue;
    }
    const list = [...new Set(scoped[kind].filter(([, d]) => granted(d)).map(([p]) => p))];
    if (list.length > 0) flags.push(`--allow-${kind}=${list.join(",")}`);
  }
  return flags;
}

/**
 * Checks that Deno granted what this run needs.
 *
 * @param c The configuration.
 * @param test `-t`: no firewall is touched.
 * @param gpgInUse Whether a stanza uses GnuPG.
 * @returns The missing flags, each with what it is for.
 */
export function missingPermissions(c: ServerConfig, test: boolean, gpgInUse: boolean): string[] {
  if (!isDeno) return [];
  // deno-lint-ignore no-explicit-any
  const D: any = (globalThis as any).Deno;
  const need: [object, string][] = [
    [
      { name: "read", path: c.get("CONFIG_FILE") },
      `--allow-read=${c.get("FWKNOP_CONF_DIR")} (configuration)`,
    ],
    [
      { name: "write", path: c.get("FWKNOP_RUN_DIR") },
      `--allow-write=${c.get("FWKNOP_RUN_DIR")} (pid file, replay cache)`,
    ],
  ];
  // nftables goes through libnftables when FFI is allowed: then no program is run.
  const viaFfi = c.get("FIREWALL_TYPE") === "nftables" && nftOverFfi();
  if (!test && !viaFfi) {
    for (const exe of firewallPrograms(c)) {
      const alt = c.get("FIREWALL_TYPE") === "nftables" ? " or --allow-ffi (libnftables)" : "";
      need.push([{ name: "run", command: exe }, `--allow-run=${exe}${alt} (firewall)`]);
    }
  }
  const udp = c.bool("ENABLE_UDP_SERVER");
  if (udp || c.bool("ENABLE_TCP_SERVER")) {
    need.push([{ name: "net" }, "--allow-net (UDP or TCP server)"]);
  }
  if (!udp) need.push([{ name: "ffi" }, "--allow-ffi (libpcap)"]);
  const knockLog = c.get("KNOCK_SOURCE") === "kmsg"
    ? "/dev/kmsg"
    : c.get("KNOCK_SOURCE") === "syslog"
    ? c.get("IPT_SYSLOG_FILE")!
    : undefined;
  if (knockLog !== undefined) {
    need.push([
      { name: "read", path: knockLog },
      `--allow-read=${knockLog} (knocks from LOG lines)`,
    ]);
  }
  if (c.get("KNOCK_SOURCE") === "journal") {
    need.push([
      { name: "run", command: JOURNALCTL },
      `--allow-run=${JOURNALCTL} (knocks from the journal)`,
    ]);
  }
  if (c.bool("ENABLE_METRICS")) {
    const host = c.get("METRICS_ADDRESS")!;
    need.push([{ name: "net", host }, `--allow-net=${host} (metrics endpoint)`]);
  }
  const fleet = fleetNeeds(c);
  if (fleet !== undefined) {
    for (const host of fleet.hosts) {
      need.push([{ name: "net", host }, `--allow-net=${host} (fleet Redis)`]);
    }
    need.push([{ name: "env", variable: FLEET_ENV }, `--allow-env=${FLEET_ENV} (Redis client)`]);
  }
  for (const host of alertPeers(c)) {
    need.push([{ name: "net", host }, `--allow-net=${host} (alerts)`]);
  }
  const https = httpsNeeds(c);
  if (https !== undefined) {
    need.push([
      { name: "net", host: https.hosts[0] },
      `--allow-net=${https.hosts[0]} (HTTPS server)`,
    ]);
    for (const path of https.files) {
      need.push([{ name: "read", path }, `--allow-read=${path} (HTTPS server)`]);
    }
  }
  if (gpgInUse) {
    need.push([
      { name: "run", command: c.get("GPG_EXE") },
      `--allow-run=${c.get("GPG_EXE")} (GnuPG keys)`,
    ]);
  }
  return need.filter(([d]) => D.permissions.querySync(d).state !== "granted").map(([, flag]) =>
    flag
  );
}
