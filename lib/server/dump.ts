/**
 * `fwknopd -D`: the configuration and the access stanzas, keys hidden, in
 * fwknopd's layout.
 *
 * @module
 */
import type { AccessStanza } from "../config/access_conf.ts";
import type { ServerConfig } from "../config/server_conf.ts";
import { DIGESTS } from "../spa/digest.ts";
import { MODE_LABELS } from "../spa/rijndael.ts";

/** Formats `-D` output. */
export function dumpConfig(c: ServerConfig, stanzas: readonly AccessStanza[]): string {
  const lines = ["Current fwknopd config settings:"];
  for (const [i, [k, v]] of c.entries().entries()) {
    lines.push(`${String(i).padStart(3)}. ${k.padEnd(28)} =  '${v ?? "<not set>"}'`);
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
    lines.push("");
  }
  return lines.join("\n") + "\n";
}
