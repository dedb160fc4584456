/**
 * The Deno permissions a daemon run needs, checked at start so a missing
 * one is named instead of failing later.
 *
 * @module
 */
import type { ServerConfig } from "../config/server_conf.ts";
import { isDeno } from "../runtime.ts";
import { firewallPrograms } from "./firewall_config.ts";

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
  if (!test) {
    for (const exe of firewallPrograms(c)) {
      need.push([{ name: "run", command: exe }, `--allow-run=${exe} (firewall)`]);
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
