/**
 * What a reload (SIGHUP, `-R`) cannot apply: the variables whose change
 * needs a restart, and the warning for each. A listener (UDP or TCP server,
 * metrics, SPA over HTTPS, the capture's interfaces) is opened at start with
 * Deno permissions fixed then (the packaged launcher grants the network
 * scopes its configuration names), so a new or moved one waits for the
 * restart, and the warning says so.
 *
 * @module
 */
import type { ServerConfig } from "../config/server_conf.ts";
import { ALERT_VARS } from "./alerts_start.ts";

/** The listeners' variables: the daemon opens these at start only. */
export const LISTENER_VARS: readonly string[] = [
  "ENABLE_UDP_SERVER",
  "UDPSERV_PORT",
  "ENABLE_TCP_SERVER",
  "TCPSERV_PORT",
  "ENABLE_METRICS",
  "METRICS_ADDRESS",
  "ENABLE_HTTPS_SERVER",
  "HTTPS_SERVER_PORT",
  "PCAP_INTF",
];

/** Variables whose change needs a restart (SIGHUP keeps the running firewall and capture). */
export const RESTART_VARS: readonly string[] = [
  // Alerts start with the daemon (lib/server/alerts_start.ts).
  ...ALERT_VARS,
  "FLEET_REDIS_URL",
  "FLEET_NAME",
  "FLEET_GATEWAY",
  "FIREWALL_TYPE",
  "FIREWALL_EXE",
  "PCAP_FILTER",
  "DIGEST_FILE",
  "NFT_TABLE",
  "NFT_SELF_CONTAINED",
  "HTTPS_CERT_FILE",
  "HTTPS_KEY_FILE",
  "HTTPS_WEB_DIR",
  ...LISTENER_VARS,
];

/**
 * The warnings for a reload from `before` to `next`: one per variable that
 * changed and waits for a restart.
 *
 * @example
 * ```ts
 * // ENABLE_UDP_SERVER N -> Y:
 * // "ENABLE_UDP_SERVER changed: it takes effect when fwknopd-ts is restarted
 * //  (a listener needs a restart: ...)"
 * ```
 */
export function restartWarnings(before: ServerConfig, next: ServerConfig): string[] {
  const out: string[] = [];
  for (const v of RESTART_VARS) {
    if (before.get(v) === next.get(v)) continue;
    const why = LISTENER_VARS.includes(v)
      ? " (a new or changed listener needs a restart: the running daemon's network and" +
        " capture, and its Deno permissions, were fixed when it started)"
      : "";
    out.push(`${v} changed: it takes effect when fwknopd-ts is restarted${why}`);
  }
  return out;
}
