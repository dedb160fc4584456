/**
 * The commands that do one thing and exit: `--key-gen`, `--fw-list`,
 * `--fw-list-all`, `--fw-flush`, `--exit-parse-digest-cache`, `--fleet-revoke`.
 *
 * @module
 */
import { run as exec } from "../sys/exec.ts";
import { UsageError } from "../cli/errors.ts";
import type { ServerConfig } from "../config/server_conf.ts";
import { parseDigestFile } from "../replay/file.ts";
import { writeTextFile } from "../sys/runtime.ts";
import { readText } from "../sys/files.ts";
import { parseDigestName } from "../spa/digest.ts";
import { formatKeys, generateKeys } from "../spa/keygen.ts";
import type { ServerIo } from "./control.ts";
import { makeBackend } from "./firewall_config.ts";
import type { AccessStanza } from "../config/access_conf.ts";
import { fleetOptions } from "../fleet/options.ts";
import { publishRevoke } from "../fleet/propagate.ts";
import { parseAddr } from "../net/addr.ts";
import type { ServerFlags } from "./flags.ts";

function num(f: ServerFlags, k: "keyLen" | "hmacKeyLen", opt: string, lo: number, hi: number) {
  const text = f[k];
  if (text === undefined) return undefined;
  const v = Number(text);
  if (!Number.isInteger(v) || v < lo || v > hi) {
    throw new UsageError(`Invalid value '${text}' for --${opt}: expected ${lo} to ${hi}`);
  }
  return v;
}

/** `--key-gen` / `--key-gen-file`. */
export function keyGen(f: ServerFlags, io: ServerIo): number {
  const hmacType = f.hmacDigestType === undefined ? undefined : parseDigestName(f.hmacDigestType);
  if (f.hmacDigestType !== undefined && hmacType === undefined) {
    throw new UsageError(`Invalid value '${f.hmacDigestType}' for --hmac-digest-type`);
  }
  const keyLen = num(f, "keyLen", "key-len", 1, 32);
  const hmacKeyLen = num(f, "hmacKeyLen", "hmac-key-len", 1, 128);
  const keys = generateKeys({
    ...(keyLen === undefined ? {} : { keyLen }),
    ...(hmacKeyLen === undefined ? {} : { hmacKeyLen }),
    ...(hmacType === undefined ? {} : { hmacType }),
  });
  if (f.keyGenFile !== undefined) {
    writeTextFile(f.keyGenFile, formatKeys(keys), { mode: 0o600 });
    io.out(`[+] Wrote Rijndael and HMAC keys to: ${f.keyGenFile}`);
  } else io.out(formatKeys(keys));
  return 0;
}

/**
 * The firewall and digest-cache commands.
 *
 * @returns The exit code, or `undefined` when none was asked for.
 */
export async function maintenance(
  f: ServerFlags,
  c: ServerConfig,
  io: ServerIo,
): Promise<number | undefined> {
  if (f.fwList || f.fwListAll || f.fwFlush) {
    const fw = await makeBackend(c, exec);
    if (f.fwFlush) {
      await fw.flush();
      io.out(`Flushed fwknopd-ts rules (${fw.name}).\n`);
    } else {
      io.out(f.fwList ? await fw.list(Math.floor(Date.now() / 1000)) : await fw.listAll());
    }
    return 0;
  }
  if (f.fleetRevoke !== undefined) return await fleetRevoke(f.fleetRevoke, c, io);
  if (f.exitParseDigestCache) {
    const digestFile = c.get("DIGEST_FILE")!;
    const { entries, bad } = parseDigestFile(readText(digestFile));
    io.out(
      `Digest cache ${digestFile}: ${entries.size} entries${
        bad.length > 0 ? `, unreadable lines: ${bad.join(", ")}` : ""
      }\n`,
    );
    return bad.length > 0 ? 1 : 0;
  }
  return undefined;
}

/** `--fleet-revoke SRC`: publishes a revocation every gateway of the fleet applies. */
async function fleetRevoke(src: string, c: ServerConfig, io: ServerIo): Promise<number> {
  const addr = parseAddr(src);
  if (addr === undefined) {
    throw new UsageError(`Invalid value '${src}' for --fleet-revoke: expected an IP address`);
  }
  const o = fleetOptions(c);
  if (o === undefined) {
    throw new UsageError("--fleet-revoke needs fleet mode: FLEET_REDIS_URL is not set");
  }
  if (o.key === undefined) {
    throw new UsageError(
      "--fleet-revoke needs FLEET_KEY_FILE: revocations are signed with the fleet key",
    );
  }
  // The Redis link (node:net) loads only for this command.
  const { RedisLink } = await import("../fleet/link.ts");
  const link = await RedisLink.open(o, () => {}, o.timeoutMs);
  try {
    if (!link.up) {
      io.err(`Cannot reach the fleet's Redis at ${o.where}: ${link.state.error}\n`);
      return 1;
    }
    const id = await publishRevoke(link, o, addr.text);
    io.out(`Revocation of ${addr.text} published to fleet ${o.name} (message ${id}).\n`);
    return 0;
  } finally {
    await link.close();
  }
}

/**
 * `--qr N`: access stanza N's keys as a QR code in the format the Fwknop2
 * phone client imports (the secrets go to the terminal, nowhere else).
 */
export async function stanzaQr(
  n: string,
  stanzas: readonly AccessStanza[],
  io: ServerIo,
): Promise<number> {
  const s = stanzas.find((x) => String(x.index) === n.trim());
  if (s === undefined) {
    throw new UsageError(
      `Invalid value '${n}' for --qr: no access stanza ${n} (stanzas 1 to ${stanzas.length})`,
    );
  }
  if (s.key === undefined) {
    throw new UsageError(`Access stanza ${n} has no Rijndael key (KEY or KEY_BASE64) to show`);
  }
  const { keysQrText, terminalQr } = await import("../qr/keys_qr.ts");
  io.out(`Keys of access stanza ${n} (${s.origin.file}:${s.origin.line}), for Fwknop2:\n`);
  io.out(terminalQr(keysQrText(s.key, s.hmacKey)));
  return 0;
}
