/**
 * The receive pipeline in fwknopd's order (SPEC §5): cheap checks first,
 * source pre-match, replay check, then per stanza HMAC, decryption, decoding
 * and every policy check. Pure: the caller supplies the clock and the replay
 * cache, applies the returned action and writes the returned log lines.
 *
 * @module
 */
import type { CapturedPacket } from "./capture/packet.ts";
import type { AccessStanza, ProtoPort } from "./config/access_conf.ts";
import { ipToInt, netsContain } from "./config/ipnet.ts";
import type { ReplayCache } from "./replay/file.ts";
import { replayDigest } from "./replay/file.ts";
import { isBase64Charset } from "./spa/base64.ts";
import { MessageType } from "./spa/message.ts";
import {
  type DecodeResult,
  decodeSpa,
  GPG_MIN_LEN,
  RIJNDAEL_PREFIX,
  type SpaKeys,
} from "./spa/packet.ts";
import type { GpgDecodeResult } from "./spa/gpg.ts";

/** Shortest payload fwknopd looks at. */
export const MIN_SPA_DATA_SIZE = 140;
/** Longest payload fwknopd looks at. */
export const MAX_SPA_PACKET_LEN = 1500;
let gpgImport: Promise<typeof import("./spa/gpg.ts")> | undefined;
/** The GnuPG decoder, loaded once on the first GnuPG-sized packet for a GnuPG stanza. */
function gpgModule(): Promise<typeof import("./spa/gpg.ts")> {
  gpgImport ??= import("./spa/gpg.ts");
  return gpgImport;
}

/** The only first characters a Rijndael wire string can have. */
const RIJNDAEL_FIRST_CHARS = "89+/";
/** Shortest SPA data taken from an HTTP request. */
const MIN_HTTP_SPA_LEN = 140;

/** Each stanza's Rijndael keys, built once instead of per packet. */
const stanzaKeys = new WeakMap<AccessStanza, SpaKeys>();

function rijndaelKeys(s: AccessStanza, key: Uint8Array): SpaKeys {
  let k = stanzaKeys.get(s);
  if (k === undefined) {
    k = { key, mode: s.mode };
    if (s.hmacKey !== undefined) {
      k.hmacKey = s.hmacKey;
      k.hmacType = s.hmacType;
    }
    stanzaKeys.set(s, k);
  }
  return k;
}

/** Server-wide settings the pipeline needs. */
export interface PolicyOptions {
  /** `-t`: decode and check everything, change nothing. */
  test: boolean;
  /** ENABLE_SPA_PACKET_AGING and MAX_SPA_PACKET_AGE. */
  aging: boolean;
  maxAge: number;
  /** ENABLE_SPA_OVER_HTTP, ALLOW_ANY_USER_AGENT, ENABLE_X_FORWARDED_FOR. */
  http: boolean;
  anyUserAgent: boolean;
  xForwardedFor: boolean;
  /** ENABLE_IPT_FORWARDING and ENABLE_IPT_LOCAL_NAT. */
  natForwarding: boolean;
  natLocal: boolean;
  /** ENABLE_DIGEST_PERSISTENCE. */
  replay: boolean;
}

/** A log line with its level. */
export interface LogLine {
  level: "debug" | "info" | "warning" | "error";
  msg: string;
}

/** Firewall access to grant. */
export interface AccessGrant {
  kind: "access";
  stanza: AccessStanza;
  /** Address to open for. */
  allowIp: string;
  ports: ProtoPort[];
  /** Seconds the rules stay. */
  timeout: number;
  /** Packet destination (for ENABLE_DESTINATION_RULE). */
  pktDst: string;
  /** NAT target for types 2/4/5/6 or FORCE_NAT. */
  nat?: { ip: string; port: number; local: boolean };
}

/** A command to run for a type-0 message. */
export interface CommandAction {
  kind: "command";
  stanza: AccessStanza;
  command: string;
}

/** CMD_CYCLE_OPEN / CMD_CYCLE_CLOSE with their substitutions done. */
export interface CycleAction {
  kind: "cycle";
  stanza: AccessStanza;
  open: string;
  close?: string;
  timeout: number;
}

/** What to do with an accepted packet. */
export type Action = AccessGrant | CommandAction | CycleAction;

/** The pipeline's answer for one packet. */
export interface Outcome {
  logs: LogLine[];
  /** Store this digest in the replay cache (before acting on the action). */
  replayKey?: string;
  action?: Action;
  /** Stanzas that accepted the packet in `-t` mode. */
  testAccepted: number[];
}

/** Extracts SPA data from an HTTP request, or explains why not. */
function fromHttp(
  payload: string,
  o: PolicyOptions,
): { data?: string; xff?: string; why?: string } {
  if (!/^GET \//i.test(payload)) return {};
  if (!o.anyUserAgent && !/User-Agent: Fwknop/i.test(payload)) {
    return { why: "HTTP request without a Fwknop User-Agent" };
  }
  const m = /^GET \/(\S+)/i.exec(payload);
  if (m === null) return { why: "HTTP request without SPA data" };
  const data = m[1]!.replaceAll("-", "+").replaceAll("_", "/");
  if (data.length < MIN_HTTP_SPA_LEN) return { why: "HTTP SPA data too short" };
  let xff: string | undefined;
  if (o.xForwardedFor) {
    const x = /X-Forwarded-For: (\S+?)[,\s]/i.exec(payload + "\n");
    if (x !== null && ipToInt(x[1]!) !== undefined) xff = x[1]!;
  }
  return xff === undefined ? { data } : { data, xff };
}

function portsOf(message: string): ProtoPort[] {
  return message.split(",").slice(1).map((spec) => {
    const [proto, port] = spec.split("/") as ["tcp" | "udp", string];
    return { proto, port: Number(port) };
  });
}

function substitute(cmd: string, v: Record<string, string>): string {
  return cmd.replace(
    /\$(IP|SRC|PKT_SRC|DST|PORT|PROTO|TIMEOUT|CLIENT_TIMEOUT)\b/g,
    (_, k: string) => v[k] ?? "",
  );
}

/** The first bytes a Rijndael wire string can have (`8 9 + /`). */
const RIJNDAEL_FIRST_BYTES = [0x38, 0x39, 0x2b, 0x2f];

/**
 * `screenPacket`'s length and first-character checks on raw payload bytes,
 * for capture to run before a payload becomes a string. It never drops a
 * payload `screenPacket` would keep (a non-ASCII payload fails there too);
 * with SPA over HTTP it keeps everything, since requests are unpacked first.
 *
 * @param opts Server-wide settings.
 * @param first The payload's first byte (-1 when empty).
 * @param length The payload's length in bytes.
 * @returns `false` to drop the payload.
 */
export function keepRawPayload(opts: PolicyOptions, first: number, length: number): boolean {
  if (opts.http) return true;
  if (length < MIN_SPA_DATA_SIZE || length > MAX_SPA_PACKET_LEN) return false;
  return length >= GPG_MIN_LEN || RIJNDAEL_FIRST_BYTES.includes(first);
}

/** SPA data that passed the cheap checks, or why the packet was dropped. */
export type Screened = { data: string; xff?: string } | { drop: string };

/**
 * The cheap checks that run before anything else, in O(1) or one pass over
 * the payload and without crypto: length, prefixes a client strips, HTTP
 * extraction, the first character a Rijndael packet can start with, and the
 * base64 alphabet. Most garbage ends here.
 *
 * @param pkt The captured packet.
 * @param opts Server-wide settings.
 * @returns The SPA data (and X-Forwarded-For address), or the debug reason to drop.
 */
export function screenPacket(pkt: CapturedPacket, opts: PolicyOptions): Screened {
  let data = pkt.payload;
  if (data.length < MIN_SPA_DATA_SIZE || data.length > MAX_SPA_PACKET_LEN) {
    return { drop: `payload of ${data.length} bytes is not SPA data` };
  }
  if (data.startsWith(RIJNDAEL_PREFIX) || (data.length > GPG_MIN_LEN && data.startsWith("hQ"))) {
    return { drop: "payload carries the prefix a client strips: dropped" };
  }
  let xff: string | undefined;
  if (opts.http) {
    const h = fromHttp(data, opts);
    if (h.why !== undefined) return { drop: h.why };
    if (h.data !== undefined) data = h.data;
    xff = h.xff;
  }
  // Below 400 characters only Rijndael is possible, and the bits of "Salted__"
  // left after stripping its prefix make the first character one of 8 9 + /.
  // One character decides, so this runs before the pass over the whole payload.
  if (data.length < GPG_MIN_LEN && !RIJNDAEL_FIRST_CHARS.includes(data[0]!)) {
    return { drop: "payload cannot be a Rijndael SPA packet: dropped" };
  }
  if (!isBase64Charset(data)) return { drop: "payload is not base64: not SPA data" };
  return xff === undefined ? { data } : { data, xff };
}

/**
 * Runs one packet through the pipeline.
 *
 * @param pkt The captured packet.
 * @param stanzas Access stanzas in file order.
 * @param opts Server-wide settings.
 * @param now Unix seconds.
 * @param replay The replay cache (read only here).
 * @param screened The result of `screenPacket` when the caller already ran it.
 * @returns Log lines, the replay key to store, and the action, if any.
 */
export async function processPacket(
  pkt: CapturedPacket,
  stanzas: readonly AccessStanza[],
  opts: PolicyOptions,
  now: number,
  replay: ReplayCache,
  screened: Screened = screenPacket(pkt, opts),
): Promise<Outcome> {
  const logs: LogLine[] = [];
  const out: Outcome = { logs, testAccepted: [] };
  const info = (msg: string) => logs.push({ level: "info", msg });

  // 1. Cheap checks.
  if ("drop" in screened) {
    logs.push({ level: "debug", msg: `[${pkt.src}] ${screened.drop}` });
    return out;
  }
  const { data, xff } = screened;

  // 2. Some stanza must know the source.
  const src = ipToInt(pkt.src) ?? 0;
  const dst = ipToInt(pkt.dst) ?? 0;
  if (!stanzas.some((s) => netsContain(s.source, src))) {
    info(`No access data found for source IP: ${pkt.src}`);
    return out;
  }

  // 3. Replay.
  // The replay key costs a SHA-256: only compute it when the cache is in use.
  const digest = opts.replay ? replayDigest(data) : "";
  if (opts.replay) {
    const seen = replay.get(digest);
    if (seen !== undefined) {
      const d = new Date(seen.time * 1000);
      const p2 = (n: number) => String(n).padStart(2, "0");
      const created = `${p2(d.getMonth() + 1)}/${p2(d.getDate())}/${p2(d.getFullYear() % 100)} ` +
        `${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}`;
      logs.push({
        level: "warning",
        msg:
          `Replay detected from source IP: ${pkt.src}, Destination proto/port: ${pkt.proto}/${pkt.dport}, ` +
          `Original source IP: ${seen.srcIp}, Original dst proto/port: ${seen.proto}/${seen.dstPort}, Entry created: ${created}`,
      });
      return out;
    }
  }

  // 4. Stanzas in order.
  for (const s of stanzas) {
    if (!netsContain(s.source, src)) continue;
    if (s.destination !== undefined && !netsContain(s.destination, dst)) continue;
    const tag = `[${pkt.src}] (stanza #${s.index})`;
    info(`(stanza #${s.index}) SPA Packet from IP: ${pkt.src} received with access source match`);
    if (s.accessExpire !== undefined && now > s.accessExpire) {
      info(`${tag} Access stanza has expired`);
      continue;
    }
    const hmac = s.hmacKey === undefined ? {} : { hmacKey: s.hmacKey, hmacType: s.hmacType };
    let r: DecodeResult | GpgDecodeResult | undefined;
    if (s.key !== undefined && (data.length < GPG_MIN_LEN || s.enableCmdExec)) {
      r = decodeSpa(data, rijndaelKeys(s, s.key));
    }
    const gpg = s.gpgPolicy;
    if ((r === undefined || !r.ok) && gpg?.keys !== undefined && data.length >= GPG_MIN_LEN) {
      const { decodeGpgSpa } = await gpgModule();
      r = await decodeGpgSpa(data, { ...gpg.keys, ...hmac });
    }
    if (r === undefined) {
      info(`${tag} No stanza encryption mode match for this packet`);
      continue;
    }
    if (!r.ok) {
      const detail = r.reason === "bad-field" ? `${r.field}: ${r.detail}` : r.detail;
      info(`${tag} SPA packet refused: ${r.reason} (${detail})`);
      continue;
    }
    // The packet is authentic: it is burned from here on, even if a check below fails.
    if (!opts.test && opts.replay && out.replayKey === undefined) out.replayKey = digest;
    if ("signatures" in r && gpg !== undefined && gpg.requireSig) {
      const sig = r.signatures?.[0];
      if (sig === undefined) {
        info(`${tag} Missing GPG signature.`);
        continue;
      }
      if (!sig.valid && !gpg.ignoreSigVerifyError) {
        info(`${tag} Bad GPG signature from ${sig.id}: ${sig.error ?? "unknown key"}`);
        continue;
      }
      info(
        `${tag} Incoming SPA data signed by '${sig.id}' (fingerprint '${
          sig.fingerprint ?? "unknown"
        }').`,
      );
      if (gpg.fingerprints !== undefined && !gpg.fingerprints.includes(sig.fingerprint ?? "")) {
        info(
          `${tag} Incoming SPA packet signed by ${
            sig.fingerprint ?? sig.id
          }, which is not in the GPG_FINGERPRINT_ID list.`,
        );
        continue;
      }
      if (gpg.remoteIds !== undefined && !gpg.remoteIds.includes(sig.id)) {
        info(
          `${tag} Incoming SPA packet signed by ID ${sig.id}, which is not in the GPG_REMOTE_ID list.`,
        );
        continue;
      }
    }
    const f = r.fields;
    const timeout = f.clientTimeout > 0
      ? Math.min(f.clientTimeout, s.maxFwTimeout)
      : s.fwAccessTimeout;
    if (opts.aging && Math.abs(now - f.timestamp) > opts.maxAge) {
      info(`${tag} SPA data time difference is too great (${now - f.timestamp} seconds).`);
      continue;
    }
    const embedded = f.message.slice(0, f.message.indexOf(","));
    let allowIp = embedded;
    if (embedded === "0.0.0.0") {
      if (s.requireSourceAddress) {
        info(`${tag} Got 0.0.0.0 when valid source IP was required.`);
        continue;
      }
      allowIp = xff ?? pkt.src;
    }
    if (s.requireUsername !== undefined && f.username !== s.requireUsername) {
      info(
        `${tag} Username in SPA data (${f.username}) does not match required username: ${s.requireUsername}`,
      );
      continue;
    }
    const t = f.messageType;
    if (
      (t === MessageType.NAT_ACCESS || t === MessageType.CLIENT_TIMEOUT_NAT_ACCESS) &&
      !opts.natForwarding
    ) {
      info(`${tag} SPA packet requested NAT access, but ENABLE_IPT_FORWARDING is not enabled`);
      continue;
    }
    if (
      (t === MessageType.LOCAL_NAT_ACCESS || t === MessageType.CLIENT_TIMEOUT_LOCAL_NAT_ACCESS) &&
      !opts.natLocal
    ) {
      info(`${tag} SPA packet requested local NAT access, but ENABLE_IPT_LOCAL_NAT is not enabled`);
      continue;
    }
    if (s.cmdCycleOpen !== undefined && t !== MessageType.COMMAND) {
      const first = portsOf(f.message)[0]!;
      const vars = {
        IP: allowIp,
        SRC: allowIp,
        PKT_SRC: pkt.src,
        DST: pkt.dst,
        PORT: String(first.port),
        PROTO: first.proto === "tcp" ? "6" : "17",
        TIMEOUT: String(f.timestamp + (s.cmdCycleTimer ?? 0)),
        CLIENT_TIMEOUT: String(f.clientTimeout > 0 ? f.clientTimeout : s.cmdCycleTimer ?? 0),
      };
      const cycleTimeout = f.clientTimeout > 0 ? f.clientTimeout : s.cmdCycleTimer ?? 0;
      const action: CycleAction = {
        kind: "cycle",
        stanza: s,
        open: substitute(s.cmdCycleOpen, vars),
        timeout: cycleTimeout,
      };
      if (s.cmdCycleClose !== undefined && s.cmdCycleClose !== "NONE") {
        action.close = substitute(s.cmdCycleClose, vars);
      }
      out.action = action;
      return out;
    }
    if (t === MessageType.COMMAND) {
      if (!s.enableCmdExec) {
        info(`${tag} SPA Command messages are not allowed in the current configuration.`);
        continue;
      }
      if (opts.test) {
        info(`${tag} --test mode enabled, skipping command execution.`);
        out.testAccepted.push(s.index);
        continue;
      }
      out.action = {
        kind: "command",
        stanza: s,
        command: f.message.slice(f.message.indexOf(",") + 1),
      };
      return out;
    }
    const ports = portsOf(f.message);
    const same = (a: ProtoPort, b: ProtoPort) => a.proto === b.proto && a.port === b.port;
    if (
      s.restrictPorts !== undefined && ports.some((p) => s.restrictPorts!.some((r) => same(p, r)))
    ) {
      info(`${tag} One or more requested protocol/ports was denied per access.conf.`);
      continue;
    }
    if (s.openPorts !== undefined && !ports.every((p) => s.openPorts!.some((o) => same(p, o)))) {
      info(`${tag} One or more requested protocol/ports was denied per access.conf.`);
      continue;
    }
    if (opts.test) {
      info(`${tag} --test mode enabled, skipping firewall manipulation.`);
      out.testAccepted.push(s.index);
      continue;
    }
    const grant: AccessGrant = {
      kind: "access",
      stanza: s,
      allowIp,
      ports,
      timeout,
      pktDst: pkt.dst,
    };
    if (f.natAccess !== undefined) {
      const [host, port] = f.natAccess.split(",") as [string, string];
      grant.nat = {
        ip: host,
        port: Number(port),
        local: t === MessageType.LOCAL_NAT_ACCESS ||
          t === MessageType.CLIENT_TIMEOUT_LOCAL_NAT_ACCESS,
      };
    } else if (s.forceNat !== undefined) {
      grant.nat = { ip: s.forceNat.ip, port: s.forceNat.port, local: false };
    }
    out.action = grant;
    return out;
  }
  return out;
}
