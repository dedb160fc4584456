/**
 * access.conf: stanzas that each start at a `SOURCE` line, with fwknopd's
 * variables, defaults and start-up checks. Every mistake names the file, the
 * line and the variable.
 *
 * @module
 */
import { stat } from "../sys/files.ts";
import { MAX_HMAC_KEY_LEN } from "../spa/packet.ts";
import { b64Decode, isBase64Charset } from "../spa/base64.ts";
import { type DigestType, DigestType as D, parseDigestName } from "../spa/digest.ts";
import { EncryptionMode, legacyKey, parseModeName } from "../spa/rijndael.ts";
import { type IpNet, parseAddr, parseNet } from "../net/addr.ts";
import { checkIPv4 } from "../net/ip_text.ts";
import { type ProtoPort, readProtoPortLoose } from "../net/proto_port.ts";
import {
  ConfigError,
  type ConfLine,
  folderFiles,
  includePath,
  lexConf,
  type Origin,
  readConf,
  valueBytes,
} from "./lexer.ts";
import { lookupGroup, lookupName, userGid } from "./users.ts";
import { parseGrantPrefix } from "./grant_prefix.ts";

/** A `proto/port` entry of OPEN_PORTS / RESTRICT_PORTS. */
export type { ProtoPort } from "../net/proto_port.ts";

/** A stanza's GnuPG settings (keys are loaded later, see lib/gpg_keys.ts). */
export interface GpgPolicy {
  homeDir?: string;
  exe?: string;
  decryptId?: string;
  /** Passphrase of the decryption key; empty with GPG_ALLOW_NO_PW. Never logged. */
  decryptPw: string;
  requireSig: boolean;
  ignoreSigVerifyError: boolean;
  remoteIds?: string[];
  fingerprints?: string[];
  /** Filled in by the daemon once the keys are exported. */
  keys?: { decryptionKeys: unknown[]; verificationKeys: unknown[] };
}

/** A knock stanza's settings (fwknop 1.x variables), when the stanza is one. */
export interface KnockSettings {
  mode: "encrypted" | "shared";
  /** PORT_OFFSET (encrypted). */
  offset: number;
  /** SHARED_SEQUENCE steps (`icmp` has port 0). */
  sequence: { proto: "tcp" | "udp" | "icmp"; port: number }[];
  /** KNOCK_INTERVAL, seconds. */
  interval: number;
  knockLimit?: number;
  minTimeDiff?: number;
  maxTimeDiff?: number;
  /** REQUIRE_USERNAME as a comma list (1.x allows several names). */
  usernames?: string[];
  /** Encrypted: PERMIT_CLIENT_PORTS, the requested port is opened too. */
  permitClientPorts?: boolean;
  /** Encrypted: KNOCK_ALLOW_ADDRESSES, addresses a sequence may ask for besides its source. */
  allowAddresses?: string[];
}

/** A fleet group (and gateway) name: safe in Redis keys and firewall comments. */
export const FLEET_GROUP_NAME = /^[A-Za-z0-9._-]{1,64}$/;

/** One access stanza. */
export interface AccessStanza {
  /** 1-based position, as fwknopd numbers stanzas in logs. */
  index: number;
  origin: Origin;
  source: IpNet[];
  destination?: IpNet[];
  openPorts?: ProtoPort[];
  restrictPorts?: ProtoPort[];
  key?: Uint8Array;
  hmacKey?: Uint8Array;
  hmacType: DigestType;
  mode: EncryptionMode;
  fwAccessTimeout: number;
  maxFwTimeout: number;
  /** Unix seconds after which the stanza is unusable. */
  accessExpire?: number;
  requireUsername?: string;
  requireSourceAddress: boolean;
  enableCmdExec: boolean;
  enableCmdSudoExec: boolean;
  cmdExecUser?: string;
  /** CMD_EXEC_USER's primary gid from the user database (the group without CMD_EXEC_GROUP). */
  cmdExecUserGid?: number;
  cmdExecGroup?: string;
  cmdSudoExecUser?: string;
  cmdSudoExecGroup?: string;
  cmdCycleOpen?: string;
  cmdCycleClose?: string;
  cmdCycleTimer?: number;
  /** CMD_CYCLE_PER_PORT: run the cycle once per requested port (fwknopd: the first only). */
  cmdCyclePerPort?: boolean;
  forceNat?: { ip: string; port: number };
  forceSnat?: string;
  forceMasquerade: boolean;
  disableDnat: boolean;
  forwardAll: boolean;
  /** Raw GPG_* variables. */
  gpg: Record<string, string>;
  /** GnuPG mode, when GPG_DECRYPT_PW or GPG_ALLOW_NO_PW enables it. */
  gpgPolicy?: GpgPolicy;
  /** Raw text of the variables, for `-D`. */
  raw: Map<string, string>;
  /** FLEET_GROUP: grants of this stanza are published to the gateways of this group. */
  fleetGroup?: string;
  /** GRANT_SOURCE_PREFIX_V4: grant the IPv4 address's /N network instead of the address. */
  grantPrefixV4?: number;
  /** GRANT_SOURCE_PREFIX_V6: grant the IPv6 address's /M network instead of the address. */
  grantPrefixV6?: number;
  /** Set for a knock stanza (ENCRYPT_SEQUENCE or SHARED_SEQUENCE); SPA never uses it. */
  knock?: KnockSettings;
}

const KEY_VARS = new Set(["KEY", "KEY_BASE64", "HMAC_KEY", "HMAC_KEY_BASE64", "GPG_DECRYPT_PW"]);
const INCLUDE_KEYS_VARS = new Set([
  "KEY",
  "KEY_BASE64",
  "HMAC_KEY",
  "HMAC_KEY_BASE64",
  "GPG_DECRYPT_ID",
  "GPG_DECRYPT_PW",
  "GPG_ALLOW_NO_PW",
  "GPG_REQUIRE_SIG",
  "GPG_DISABLE_SIG",
  "GPG_IGNORE_SIG_VERIFY_ERROR",
  "GPG_REMOTE_ID",
  "GPG_FINGERPRINT_ID",
]);
const MAX_TIMEOUT = 8388608;

/** A stanza with fwknopd's defaults and no source or keys yet. */
export function newStanza(index: number, origin: Origin): AccessStanza {
  return {
    index,
    origin,
    source: [],
    hmacType: D.SHA256,
    mode: EncryptionMode.CBC,
    fwAccessTimeout: 30,
    maxFwTimeout: 300,
    requireSourceAddress: false,
    enableCmdExec: false,
    enableCmdSudoExec: false,
    forceMasquerade: false,
    disableDnat: false,
    forwardAll: false,
    gpg: {},
    raw: new Map(),
  };
}

const yes = (v: string) => /^[Yy]/.test(v);

function nets(l: ConfLine): IpNet[] {
  return l.value.split(",").map((e) => {
    const n = parseNet(e);
    if (typeof n === "string") throw new ConfigError(l, l.name, n);
    return n;
  });
}

/**
 * A port list as fwknopd reads it: the port is the leading digits after the
 * `/` (none reads as 0), as C's strtol gives; anything after them draws a
 * warning instead of an error.
 */
function ports(l: ConfLine): { ports: ProtoPort[]; warning?: string } {
  let warning: string | undefined;
  const list = l.value.split(",").map((e) => {
    const r = readProtoPortLoose(e);
    if (typeof r === "string") throw new ConfigError(l, l.name, r);
    if (!r.exact) {
      const { proto, port } = r.value;
      warning =
        `${l.file}:${l.line}: ${l.name}: "${e.trim()}" is read as ${proto}/${port}, as fwknopd reads it`;
    }
    return r.value;
  });
  return warning === undefined ? { ports: list } : { ports: list, warning };
}

/**
 * An integer as fwknopd's strtol reads it: leading digits (with a sign),
 * none reading as 0; `undefined` with a warning when the text is not a
 * plain number. Out of range is an error.
 */
function cInt(
  l: ConfLine,
  min: number,
  max: number,
): { n: number; warning?: string } {
  const m = /^\s*([+-]?\d*)/.exec(l.value)!;
  const n = /\d/.test(m[1]!) ? Number(m[1]) : 0;
  if (n < min || n > max) {
    throw new ConfigError(l, l.name, `"${l.value}" is not a whole number from ${min} to ${max}`);
  }
  if (/^\d+$/.test(l.value)) return { n };
  return {
    n,
    warning:
      `${l.file}:${l.line}: ${l.name}: "${l.value}" is not a number; fwknopd reads it as ${n}`,
  };
}

function int(l: ConfLine, min: number, max: number): number {
  if (!/^\d+$/.test(l.value) || Number(l.value) < min || Number(l.value) > max) {
    throw new ConfigError(l, l.name, `"${l.value}" is not a whole number from ${min} to ${max}`);
  }
  return Number(l.value);
}

function b64(l: ConfLine): Uint8Array {
  const bytes = isBase64Charset(l.value) ? b64Decode(l.value) : undefined;
  if (bytes === undefined || bytes.length === 0) throw new ConfigError(l, l.name, "is not base64");
  return bytes;
}

function sequence(l: ConfLine): KnockSettings["sequence"] {
  const steps = l.value.split(",").map((e) => {
    const t = e.trim().toLowerCase();
    if (t === "icmp") return { proto: "icmp" as const, port: 0 };
    const m = /^(tcp|udp)\/(\d{1,5})$/.exec(t);
    if (m === null || Number(m[2]) < 1 || Number(m[2]) > 65535) {
      throw new ConfigError(l, l.name, `"${e.trim()}" is not tcp/PORT, udp/PORT or icmp`);
    }
    return { proto: m[1] as "tcp" | "udp", port: Number(m[2]) };
  });
  if (steps.length < 2) throw new ConfigError(l, l.name, "needs at least two knocks");
  return steps;
}

/**
 * fwknopd refuses a command user or group that does not exist; one that
 * cannot be looked up (no read permission) draws a warning.
 */
function checkName(l: ConfLine, db: "passwd" | "group"): string | undefined {
  const r = lookupName(db, l.value);
  if (r === "found") return undefined;
  if (r === "missing") {
    throw new ConfigError(
      l,
      l.name,
      `no ${db === "passwd" ? "user" : "group"} "${l.value}" on this system`,
    );
  }
  return `${l.file}:${l.line}: ${l.name}: cannot check that "${l.value}" exists (${r.unknown})`;
}

/**
 * CMD_EXEC_GROUP and CMD_SUDO_EXEC_GROUP: a group name, else a user name
 * standing for that user's primary group, as fwknopd 2.6.10 reads them
 * (lib/config/users.ts). Sets the group the command runs with: the name,
 * or the user's gid (`#gid` for sudo's -g).
 */
function setGroup(l: ConfLine, set: (group: string) => void, sudo: boolean): string | undefined {
  const r = lookupGroup(l.value);
  if (r === "missing") {
    throw new ConfigError(l, l.name, `no group or user "${l.value}" on this system`);
  }
  if ("group" in r) set(r.group);
  else if ("userGid" in r) set(sudo ? `#${r.userGid}` : String(r.userGid));
  else {
    set(l.value);
    return `${l.file}:${l.line}: ${l.name}: cannot check that "${l.value}" exists (${r.unknown})`;
  }
  return undefined;
}

/** The knock settings of a stanza, made on first use. */
function knockOf(s: AccessStanza): KnockSettings {
  s.knock ??= { mode: "shared", offset: 61000, sequence: [], interval: 60 };
  return s.knock;
}

/**
 * ACCESS_EXPIRE as fwknopd reads it (strptime's `%m/%d/%Y`): one or two
 * digits for month and day, and the year as written, so `3/10/01` is March
 * 10 of the year 1 (an expired stanza), not 2001.
 */
function expireDate(l: ConfLine): { at: number; warning?: string } {
  const m = /^(\d{1,2})\/(\d{1,2})\/(\d{1,4})$/.exec(l.value);
  if (m === null) throw new ConfigError(l, l.name, `"${l.value}" is not MM/DD/YYYY`);
  const [month, day, year] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const d = new Date(0);
  // Not Date(y, ...), which reads the year 1 as 1901; out-of-range days and months
  // roll over as mktime() makes them for fwknopd (13/10/2001 is January 10, 2002).
  d.setFullYear(year, month - 1, day);
  d.setHours(0, 0, 0, 0);
  const at = Math.floor(d.getTime() / 1000);
  const shown = `${String(d.getMonth() + 1).padStart(2, "0")}/${
    String(d.getDate()).padStart(2, "0")
  }/${d.getFullYear()}`;
  const odd = m[3]!.length !== 4 || month < 1 || month > 12 || day < 1 || day > 31;
  return odd
    ? {
      at,
      warning: `${l.file}:${l.line}: ACCESS_EXPIRE "${l.value}" is read as ${shown}, as fwknopd ` +
        "reads it; write MM/DD/YYYY with a four-digit year",
    }
    : { at };
}

/** The warning for a key that is not UTF-8 text. */
function notText(l: ConfLine): string {
  return `${l.file}:${l.line}: ${l.name}: the key holds bytes that are not UTF-8 text; it is used ` +
    `as written, but most clients cannot type it: ${l.name}_BASE64 is safer`;
}

/** The longest Rijndael key (bytes). */
export const MAX_KEY_BYTES = 32;

/** GPG_HOME_DIR must exist (fwknopd refuses the file otherwise); denied is not absent. */
function checkDir(l: ConfLine): void {
  let st;
  try {
    st = stat(l.value);
  } catch (e) {
    const err = e as Error & { code?: string };
    const denied = err.name === "NotCapable" || err.name === "PermissionDenied" ||
      err.code === "EACCES";
    throw new ConfigError(
      l,
      l.name,
      denied
        ? `cannot look at '${l.value}': permission denied (--allow-read=${l.value})`
        : `directory '${l.value}' does not exist`,
    );
  }
  if (!st.isDirectory) throw new ConfigError(l, l.name, `'${l.value}' is not a directory`);
}

/** Applies one variable to a stanza. Returns a warning for unknown names, or one about its value. */
function setVar(s: AccessStanza, l: ConfLine): string | undefined {
  const v = l.value;
  if (v === "__CHANGEME__" && KEY_VARS.has(l.name)) {
    throw new ConfigError(l, l.name, "still holds the placeholder __CHANGEME__; set a real key");
  }
  s.raw.set(l.name, v);
  for (const set of [setCryptoVar, setTimeVar, setCmdVar, setNatVar]) {
    const r = set(s, l);
    if (r !== false) return r;
  }
  if (setKnockVar(s, l)) return undefined;
  if (l.name.startsWith("GPG_")) {
    s.gpg[l.name] = v;
    return undefined;
  }
  return `${l.file}:${l.line}: ignoring unknown access.conf variable ${l.name}`;
}

/** Applies a destination, port or key variable. Returns its warning, or `false` when the name is not one of them. */
function setCryptoVar(s: AccessStanza, l: ConfLine): string | undefined | false {
  const v = l.value;
  switch (l.name) {
    case "DESTINATION":
      s.destination = nets(l);
      break;
    case "OPEN_PORTS": {
      const p = ports(l);
      s.openPorts = p.ports;
      return p.warning;
    }
    case "RESTRICT_PORTS": {
      const p = ports(l);
      s.restrictPorts = p.ports;
      return p.warning;
    }
    case "KEY":
      s.key = valueBytes(l);
      if (l.bytes === true) return notText(l);
      break;
    case "KEY_BASE64":
      s.key = b64(l);
      break;
    case "HMAC_KEY":
      s.hmacKey = valueBytes(l);
      if (l.bytes === true) return notText(l);
      break;
    case "HMAC_KEY_BASE64":
      s.hmacKey = b64(l);
      break;
    case "HMAC_DIGEST_TYPE": {
      const d = parseDigestName(v);
      if (d === undefined) {
        throw new ConfigError(
          l,
          l.name,
          `"${v}" is not md5, sha1, sha256, sha384, sha512, sha3_256 or sha3_512`,
        );
      }
      s.hmacType = d;
      break;
    }
    case "ENCRYPTION_MODE": {
      const m = parseModeName(v);
      if (m === undefined) {
        throw new ConfigError(
          l,
          l.name,
          `"${v}" is not CBC, CTR, CFB, OFB, ECB, legacy or Asymmetric`,
        );
      }
      s.mode = m;
      break;
    }
    default:
      return false;
  }
  return undefined;
}

/** Applies a timeout, expiry, requirement or GnuPG directory variable. Returns its warning, or `false` when the name is not one of them. */
function setTimeVar(s: AccessStanza, l: ConfLine): string | undefined | false {
  const v = l.value;
  switch (l.name) {
    case "FW_ACCESS_TIMEOUT": {
      const t = cInt(l, 0, MAX_TIMEOUT);
      s.fwAccessTimeout = t.n || 30;
      return t.warning;
    }
    case "MAX_FW_TIMEOUT": {
      const t = cInt(l, 0, MAX_TIMEOUT);
      s.maxFwTimeout = t.n;
      return t.warning;
    }
    case "ACCESS_EXPIRE": {
      const e = expireDate(l);
      s.accessExpire = e.at;
      if (e.warning !== undefined) return e.warning;
      break;
    }
    case "GPG_HOME_DIR":
      s.gpg[l.name] = v;
      checkDir(l);
      break;
    case "ACCESS_EXPIRE_EPOCH":
      if (/^\d+$/.test(v) && Number(v) <= Number.MAX_SAFE_INTEGER) {
        s.accessExpire = Number(v);
        break;
      }
      // fwknopd reads such a value as "never expires"; here the stanza counts as expired.
      s.accessExpire = 1;
      return `${l.file}:${l.line}: ${l.name}: "${v}" is not a time in seconds since 1970; ` +
        `the stanza is treated as expired (fwknopd would let it never expire)`;
    case "REQUIRE_USERNAME":
      s.requireUsername = v;
      break;
    case "REQUIRE_SOURCE_ADDRESS":
    case "REQUIRE_SOURCE":
      s.requireSourceAddress = yes(v);
      break;
    default:
      return false;
  }
  return undefined;
}

/** Applies a command-execution variable. Returns its warning, or `false` when the name is not one of them. */
function setCmdVar(s: AccessStanza, l: ConfLine): string | undefined | false {
  const v = l.value;
  switch (l.name) {
    case "ENABLE_CMD_EXEC":
      s.enableCmdExec = yes(v);
      break;
    case "ENABLE_CMD_SUDO_EXEC":
      s.enableCmdSudoExec = yes(v);
      break;
    case "CMD_EXEC_USER": {
      s.cmdExecUser = v;
      const warning = checkName(l, "passwd");
      // fwknopd 2.6.10 takes the user's passwd gid for setgid when CMD_EXEC_GROUP is unset.
      const gid = userGid(v);
      if (typeof gid === "number") s.cmdExecUserGid = gid;
      else delete s.cmdExecUserGid;
      return warning;
    }
    case "CMD_EXEC_GROUP":
      return setGroup(l, (g) => s.cmdExecGroup = g, false);
    case "CMD_SUDO_EXEC_USER":
      s.cmdSudoExecUser = v;
      return checkName(l, "passwd");
    case "CMD_SUDO_EXEC_GROUP":
      return setGroup(l, (g) => s.cmdSudoExecGroup = g, true);
    case "CMD_CYCLE_OPEN":
      s.cmdCycleOpen = v;
      break;
    case "CMD_CYCLE_CLOSE":
      s.cmdCycleClose = v;
      break;
    case "CMD_CYCLE_TIMER":
      s.cmdCycleTimer = int(l, 1, MAX_TIMEOUT);
      break;
    case "CMD_CYCLE_PER_PORT":
      s.cmdCyclePerPort = yes(v);
      break;
    default:
      return false;
  }
  return undefined;
}

/** Applies a fleet or NAT variable. Returns its warning, or `false` when the name is not one of them. */
function setNatVar(s: AccessStanza, l: ConfLine): string | undefined | false {
  const v = l.value;
  switch (l.name) {
    case "GRANT_SOURCE_PREFIX_V4":
      s.grantPrefixV4 = parseGrantPrefix(l, 4);
      break;
    case "GRANT_SOURCE_PREFIX_V6":
      s.grantPrefixV6 = parseGrantPrefix(l, 6);
      break;
    case "FLEET_GROUP":
      if (!FLEET_GROUP_NAME.test(v)) {
        throw new ConfigError(
          l,
          l.name,
          `"${v}" is not a fleet group name (letters, digits, '.', '_' and '-', at most 64)`,
        );
      }
      s.fleetGroup = v;
      break;
    case "FORCE_NAT": {
      const m = /^(\S+)\s+(\d{1,5})$/.exec(v);
      if (m === null || typeof parseNet(m[1]!) === "string" || Number(m[2]) > 65535) {
        throw new ConfigError(l, l.name, `"${v}" is not "IP PORT"`);
      }
      s.forceNat = { ip: m[1]!, port: Number(m[2]) };
      break;
    }
    case "FORCE_SNAT":
      if (typeof parseNet(v) === "string") {
        throw new ConfigError(l, l.name, `"${v}" is not an IPv4 address`);
      }
      s.forceSnat = v;
      break;
    case "FORCE_MASQUERADE":
      s.forceMasquerade = yes(v);
      break;
    case "DISABLE_DNAT":
      s.disableDnat = yes(v);
      break;
    case "FORWARD_ALL":
      s.forwardAll = yes(v);
      break;
    default:
      return false;
  }
  return undefined;
}

/**
 * Applies one fwknop 1.x knock variable to a stanza.
 *
 * @returns `false` when the name is not a knock variable.
 */
function setKnockVar(s: AccessStanza, l: ConfLine): boolean {
  const v = l.value;
  switch (l.name) {
    case "ENCRYPT_SEQUENCE":
      if (yes(v)) knockOf(s).mode = "encrypted";
      break;
    case "DATA_COLLECT_MODE":
      if (/^ENCRYPT_SEQUENCE$/i.test(v)) knockOf(s).mode = "encrypted";
      else if (!/^(PCAP|FILE_PCAP|ULOG_PCAP|SHARED_SEQUENCE)$/i.test(v)) {
        throw new ConfigError(l, l.name, `"${v}" is not ENCRYPT_SEQUENCE, SHARED_SEQUENCE or PCAP`);
      }
      break;
    case "SHARED_SEQUENCE":
      knockOf(s).sequence = sequence(l);
      break;
    case "PORT_OFFSET":
      knockOf(s).offset = int(l, 1, 65279);
      break;
    case "KNOCK_INTERVAL":
      knockOf(s).interval = int(l, 1, MAX_TIMEOUT);
      break;
    case "KNOCK_LIMIT":
      knockOf(s).knockLimit = int(l, 1, MAX_TIMEOUT);
      break;
    case "MIN_TIME_DIFF":
      knockOf(s).minTimeDiff = int(l, 0, MAX_TIMEOUT);
      break;
    case "MAX_TIME_DIFF":
      knockOf(s).maxTimeDiff = int(l, 1, MAX_TIMEOUT);
      break;
    case "PERMIT_CLIENT_PORTS":
      knockOf(s).permitClientPorts = yes(v);
      break;
    case "KNOCK_ALLOW_ADDRESSES":
      knockOf(s).allowAddresses = knockAddresses(l);
      break;
    default:
      return false;
  }
  return true;
}

/** KNOCK_ALLOW_ADDRESSES: IPv4 unicast addresses, or `0.0.0.0` for "the knocking source". */
function knockAddresses(l: ConfLine): string[] {
  const out = l.value.split(",").map((a) => a.trim()).filter((a) => a !== "");
  for (const a of out) {
    const bad = checkIPv4(a);
    const ip = parseAddr(a);
    if (bad !== undefined || ip === undefined) throw new ConfigError(l, l.name, bad ?? a);
    // Multicast, reserved and broadcast (224/3 up) or 0/8: no host can knock from them.
    if (a !== "0.0.0.0" && ((ip.v4 >>> 28) >= 14 || (ip.v4 >>> 24) === 0)) {
      throw new ConfigError(l, l.name, `"${a}" is not a unicast address`);
    }
  }
  if (out.length === 0) throw new ConfigError(l, l.name, "lists no address");
  return out;
}

/** Checks a knock stanza; it needs no SPA key. */
function validateKnock(s: AccessStanza, k: KnockSettings): void {
  const where = s.origin;
  const tag = `stanza #${s.index}`;
  if (k.mode === "shared" && k.sequence.length === 0) {
    throw new ConfigError(
      where,
      "SHARED_SEQUENCE",
      `${tag}: knock settings without ENCRYPT_SEQUENCE or SHARED_SEQUENCE`,
    );
  }
  if (k.mode === "encrypted" && (s.raw.get("KEY") ?? "").length < 8) {
    throw new ConfigError(
      where,
      "KEY",
      `${tag}: an encrypted knock sequence needs a KEY of at least 8 characters`,
    );
  }
  if (k.mode === "shared" && s.openPorts === undefined) {
    throw new ConfigError(where, "OPEN_PORTS", `${tag}: a shared knock sequence needs OPEN_PORTS`);
  }
  if (k.mode === "encrypted" && s.openPorts === undefined && k.permitClientPorts !== true) {
    throw new ConfigError(
      where,
      "OPEN_PORTS",
      `${tag}: an encrypted knock sequence needs OPEN_PORTS or PERMIT_CLIENT_PORTS Y`,
    );
  }
  if (k.minTimeDiff !== undefined && k.maxTimeDiff !== undefined && k.maxTimeDiff < k.minTimeDiff) {
    throw new ConfigError(where, "MAX_TIME_DIFF", `${tag}: MAX_TIME_DIFF is below MIN_TIME_DIFF`);
  }
  if (s.requireUsername !== undefined) {
    k.usernames = s.requireUsername.split(",").map((n) => n.trim()).filter((n) => n !== "");
  }
}

function validate(s: AccessStanza): void {
  if (s.knock !== undefined) return validateKnock(s, s.knock);
  const where = s.origin;
  const gpgOn = s.gpg.GPG_DECRYPT_PW !== undefined || yes(s.gpg.GPG_ALLOW_NO_PW ?? "N");
  if (s.key === undefined && !gpgOn) {
    throw new ConfigError(
      where,
      undefined,
      `stanza #${s.index} (SOURCE ${
        s.source.map((n) => n.text).join(",")
      }) has no KEY, KEY_BASE64 or GnuPG decryption setting`,
    );
  }
  if (gpgOn) {
    const g = s.gpg;
    const list = (v: string | undefined) =>
      v?.split(",").map((x) => x.trim()).filter((x) => x !== "");
    const requireSig = !yes(g.GPG_DISABLE_SIG ?? "N") && yes(g.GPG_REQUIRE_SIG ?? "Y");
    const policy: GpgPolicy = {
      decryptPw: g.GPG_DECRYPT_PW ?? "",
      requireSig,
      ignoreSigVerifyError: yes(g.GPG_IGNORE_SIG_VERIFY_ERROR ?? "N"),
    };
    if (g.GPG_HOME_DIR !== undefined) policy.homeDir = g.GPG_HOME_DIR;
    if (g.GPG_EXE !== undefined) policy.exe = g.GPG_EXE;
    if (g.GPG_DECRYPT_ID !== undefined) policy.decryptId = g.GPG_DECRYPT_ID;
    const ids = list(g.GPG_REMOTE_ID);
    const fprs = list(g.GPG_FINGERPRINT_ID);
    if (ids !== undefined) policy.remoteIds = ids;
    if (fprs !== undefined) policy.fingerprints = fprs;
    if (requireSig && ids === undefined && fprs === undefined) {
      throw new ConfigError(
        where,
        "GPG_REMOTE_ID",
        `stanza #${s.index}: signatures are required (GPG_REQUIRE_SIG), so set GPG_REMOTE_ID or GPG_FINGERPRINT_ID, or GPG_DISABLE_SIG Y`,
      );
    }
    s.gpgPolicy = policy;
  }
  // A key over 32 bytes is loaded with a warning (see loadAccess), as fwknopd loads it.
  if (s.mode === EncryptionMode.LEGACY && s.key !== undefined && s.key.length <= MAX_KEY_BYTES) {
    s.key = legacyKey(s.key);
  }
  if (
    s.key !== undefined && s.hmacKey !== undefined && s.key.length === s.hmacKey.length &&
    s.key.every((b, i) => b === s.hmacKey![i])
  ) {
    throw new ConfigError(
      where,
      "HMAC_KEY",
      `stanza #${s.index}: the encryption and HMAC keys must differ`,
    );
  }

  if ((s.cmdCycleOpen === undefined) !== (s.cmdCycleClose === undefined)) {
    throw new ConfigError(
      where,
      "CMD_CYCLE_OPEN",
      `stanza #${s.index}: CMD_CYCLE_OPEN and CMD_CYCLE_CLOSE must be set together`,
    );
  }
  if (s.cmdCycleOpen !== undefined && s.cmdCycleClose !== "NONE" && s.cmdCycleTimer === undefined) {
    throw new ConfigError(
      where,
      "CMD_CYCLE_TIMER",
      `stanza #${s.index}: CMD_CYCLE_TIMER is required with CMD_CYCLE_CLOSE`,
    );
  }
  if (
    (s.forceSnat !== undefined || s.forceMasquerade) && s.forceNat === undefined && !s.forwardAll
  ) {
    throw new ConfigError(
      where,
      "FORCE_SNAT",
      `stanza #${s.index}: FORCE_SNAT and FORCE_MASQUERADE need FORCE_NAT or FORWARD_ALL`,
    );
  }
  if (s.forwardAll && s.forceNat === undefined) s.forceNat = { ip: "0.0.0.0", port: 0 };
}

/**
 * `%include_keys FILE`: the key variables of FILE go into the stanza. A
 * file that cannot be read is logged and skipped, as fwknopd does (the
 * stanza then needs its keys from elsewhere).
 */
function includeKeys(cur: AccessStanza, l: ConfLine, file: string): string | undefined {
  let text: string;
  try {
    text = readConf(file, l);
  } catch (e) {
    return `${(e as Error).message}; the stanza gets no keys from it`;
  }
  for (const k of lexConf(text, file)) if (INCLUDE_KEYS_VARS.has(k.name)) setVar(cur, k);
  return undefined;
}

/** The result of loading access stanzas. */
export interface AccessConfig {
  stanzas: AccessStanza[];
  warnings: string[];
}

/**
 * Loads access.conf (or every `*.conf` of an access folder).
 *
 * @param paths Files to read in order.
 * @returns The stanzas and warnings.
 * @throws {ConfigError} naming file, line and variable for a bad line.
 */
export function loadAccess(paths: string[]): AccessConfig {
  const stanzas: AccessStanza[] = [];
  const warnings: string[] = [];
  const parseFile = (path: string, depth: number, from?: Origin) => {
    let cur: AccessStanza | undefined;
    for (const l of lexConf(readConf(path, from), path)) {
      if (l.name === "%include" || l.name === "%include_folder") {
        if (depth >= 2) {
          throw new ConfigError(l, l.name, "includes are nested more than two levels deep");
        }
        const target = includePath(l.value, path);
        const files = l.name === "%include" ? [target] : folderFiles(target, l);
        for (const f of files) parseFile(f, depth + 1, l);
        cur = undefined;
        continue;
      }
      if (l.name === "%include_keys") {
        if (cur === undefined) throw new ConfigError(l, l.name, "must be inside a stanza");
        const w = includeKeys(cur, l, includePath(l.value, path));
        if (w !== undefined) warnings.push(w);
        continue;
      }
      if (l.name === "SOURCE") {
        cur = newStanza(stanzas.length + 1, l);
        cur.source = nets(l);
        cur.raw.set("SOURCE", l.value);
        stanzas.push(cur);
        continue;
      }
      if (cur === undefined) {
        warnings.push(`${l.file}:${l.line}: ignoring ${l.name} before the first SOURCE line`);
        continue;
      }
      const w = setVar(cur, l);
      if (w !== undefined) warnings.push(w);
    }
  };
  for (const p of paths) parseFile(p, 0);
  if (stanzas.length === 0) {
    throw new ConfigError(
      { file: paths.join(", ") },
      undefined,
      "no access stanza (a SOURCE line starts one)",
    );
  }
  for (const s of stanzas) validate(s);
  for (const s of stanzas) {
    if (s.key !== undefined && s.key.length > MAX_KEY_BYTES) {
      warnings.push(
        `${s.origin.file}:${s.origin.line}: KEY: stanza #${s.index}: the key is ${s.key.length} bytes; ` +
          `Rijndael takes at most ${MAX_KEY_BYTES}, so no packet can match this stanza`,
      );
    }
    // fwknopd accepts such a key at load, then refuses every packet ("Invalid HMAC key length").
    if (s.hmacKey !== undefined && s.hmacKey.length > MAX_HMAC_KEY_LEN) {
      warnings.push(
        `${s.origin.file}:${s.origin.line}: HMAC_KEY: stanza #${s.index}: the HMAC key is ${s.hmacKey.length} bytes; ` +
          `at most ${MAX_HMAC_KEY_LEN} can be used (the stock client cuts longer keys), so no packet can match this stanza`,
      );
    }
  }
  return { stanzas, warnings };
}
