/**
 * `fwknopd -D`: the configuration and the access stanzas, keys hidden, in
 * fwknopd's layout.
 *
 * @module
 */
import type { AccessStanza } from "../config/access_conf.ts";
import type { ServerConfig } from "../config/server_conf.ts";
import { alertOptions } from "../alerts/options.ts";
import { DIGESTS } from "../spa/digest.ts";
import { MODE_LABELS } from "../spa/rijndael.ts";

/** What `-D` says for ALERT_FROM unset when no mail alert is configured. */
const ALERT_FROM_UNUSED = "fwknopd@<this host's name> (used only with EMAIL_ADDRESSES)";

/** ALERT_FROM as mail alerts use it: the value set, else `fwknopd@HOST`. */
function alertFrom(c: ServerConfig): string {
  try {
    return alertOptions(c)?.mail?.from ?? c.get("ALERT_FROM") ?? ALERT_FROM_UNUSED;
  } catch {
    // Load reported a bad alert setting already; show what is written.
    return c.get("ALERT_FROM") ?? ALERT_FROM_UNUSED;
  }
}

/** The variables whose effective value `-D` works out rather than showing as written. */
const EFFECTIVE: Record<string, (c: ServerConfig) => string> = { ALERT_FROM: alertFrom };

/**
 * Formats `-D` output.
 *
 * @param c The configuration.
 * @param stanzas The access stanzas (keys hidden).
 * @param permissions The Deno flags `fwknopd-ts -f` needs; a line after
 * the dump when given (fwknopd has none).
 */
export function dumpConfig(
  c: ServerConfig,
  stanzas: readonly AccessStanza[],
  permissions: readonly string[] = [],
): string {
  const lines = ["Current fwknopd config settings:"];
  for (const [i, [k, v]] of c.entries().entries()) {
    const shown = v ?? EFFECTIVE[k]?.(c) ?? "<not set>";
    lines.push(`${String(i).padStart(3)}. ${k.padEnd(28)} =  '${shown}'`);
  }
  lines.push("", "Current fwknopd access settings:");
  const yn = (b: boolean) => (b ? "Yes" : "No");
  for (const s of stanzas) {
    const row = (k: string, v: string) => lines.push(`${k.padStart(27)}:  ${v}`);
    lines.push(
      `SOURCE (${s.index}):  ${s.raw.get("SOURCE")}`,
      "==============================================================",
    );
    row("DESTINATION", s.raw.get("DESTINATION") ?? "<not set>");
    row("OPEN_PORTS", s.raw.get("OPEN_PORTS") ?? "<not set>");
    row("RESTRICT_PORTS", s.raw.get("RESTRICT_PORTS") ?? "<not set>");
    row("KEY", s.key === undefined ? "<not set>" : "<see the access.conf file>");
    row("KEY_LEN", String(s.key?.length ?? 0));
    row("HMAC_KEY", s.hmacKey === undefined ? "<not set>" : "<see the access.conf file>");
    row("HMAC_KEY_LEN", String(s.hmacKey?.length ?? 0));
    row("HMAC_DIGEST_TYPE", String(DIGESTS.get(s.hmacType)!.code));
    row("ENCRYPTION_MODE", MODE_LABELS.get(s.mode) ?? String(s.mode));
    row("FW_ACCESS_TIMEOUT", String(s.fwAccessTimeout));
    row("MAX_FW_TIMEOUT", String(s.maxFwTimeout));
    row("ENABLE_CMD_EXEC", yn(s.enableCmdExec));
    row("CMD_CYCLE_OPEN", s.cmdCycleOpen ?? "<not set>");
    row("CMD_CYCLE_CLOSE", s.cmdCycleClose ?? "<not set>");
    row("CMD_CYCLE_PER_PORT", yn(s.cmdCyclePerPort === true));
    row("REQUIRE_USERNAME", s.requireUsername ?? "<not set>");
    row("REQUIRE_SOURCE_ADDRESS", yn(s.requireSourceAddress));
    row(
      "FORCE_NAT",
      s.forceNat === undefined ? "<not set>" : `${s.forceNat.ip} ${s.forceNat.port}`,
    );
    row(
      "ACCESS_EXPIRE",
      s.accessExpire === undefined ? "<not set>" : new Date(s.accessExpire * 1000).toISOString(),
    );
    row(
      "GRANT_SOURCE_PREFIX_V4",
      s.grantPrefixV4 === undefined ? "<not set>" : String(s.grantPrefixV4),
    );
    row(
      "GRANT_SOURCE_PREFIX_V6",
      s.grantPrefixV6 === undefined ? "<not set>" : String(s.grantPrefixV6),
    );
    lines.push("");
  }
  if (permissions.length > 0) {
    lines.push(
      `Deno permissions (for fwknopd-ts -f with this configuration): ${permissions.join(" ")}`,
    );
  }
  return lines.join("\n") + "\n";
}
