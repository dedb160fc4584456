/** The largest client timeout libfko decodes (fwknopd refuses a packet with more). */
const MAX_CLIENT_TIMEOUT = 65536;

/**
 * The client's options: fwknop's short and long names, the `.fwknoprc`
 * variable each one maps to, its help line, and how it changes the settings.
 *
 * @module
 */
import { UsageError } from "../cli/errors.ts";
import type { OptionSpec } from "../cli/getopt.ts";
import { b64Decode } from "../spa/base64.ts";
import { DIGESTS, parseDigestName } from "../spa/digest.ts";
import { parseModeName } from "../spa/rijndael.ts";
import { type ClientSettings, SERVER_PROTOS, type ServerProto } from "./settings.ts";

/** A client option. Flags receive `true` from the command line or a boolean from an rc file. */
export interface ClientOption extends OptionSpec {
  /** The `.fwknoprc` variable, when there is one. */
  rc?: string;
  /** Argument name shown in `--help`. */
  meta?: string;
  /** The fixed values the argument takes, for shell completion. */
  values?: readonly string[];
  /** One or two lines for `--help`. */
  help: string;
  /** Applies a value to the settings; throws `UsageError` for a bad value. */
  apply(s: ClientSettings, v: string | boolean): void;
}

/** The digest names `-m` and `--hmac-digest-type` take. */
const DIGEST_NAMES: readonly string[] = [...DIGESTS.values()].map((d) => d.name);

/**
 * Parses a whole number within a range.
 *
 * @param what The option or variable, for the error message.
 * @param text The text to parse.
 * @param lo The smallest value allowed.
 * @param hi The largest value allowed.
 * @returns The number.
 * @throws {UsageError} when the text is not a whole number in range.
 */
export function intIn(what: string, text: string, lo: number, hi: number): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) < lo || Number(text) > hi) {
    throw new UsageError(
      `Invalid value '${text}' for ${what}: expected a whole number from ${lo} to ${hi}`,
    );
  }
  return Number(text);
}

/**
 * Parses fwknop's time offset: up to 8 digits (at most 65536) with an
 * optional `m`, `h` or `d` suffix.
 *
 * @param what The option, for the error message.
 * @param text The offset text.
 * @returns The offset in seconds.
 * @throws {UsageError} when the text is not an offset.
 */
export function timeOffset(what: string, text: string): number {
  // As the stock client reads it: an optional '+', N, and s, m, h or d in either case.
  const m = /^\+?(\d{1,8})([smhdSMHD]?)$/.exec(text);
  if (m === null || Number(m[1]) > 65536) {
    throw new UsageError(
      `Invalid value '${text}' for ${what}: expected N, Ns, Nm, Nh or Nd with N up to 65536`,
    );
  }
  const mult: Record<string, number> = { "": 1, s: 1, m: 60, h: 3600, d: 86400 };
  return Number(m[1]) * mult[m[2]!.toLowerCase()]!;
}

function str(v: string | boolean): string {
  return typeof v === "string" ? v : v ? "Y" : "N";
}

function flag(v: string | boolean): boolean {
  return typeof v === "boolean" ? v : /^[Yy]/.test(v);
}

function digest(what: string, v: string | boolean) {
  const d = parseDigestName(str(v));
  if (d === undefined) {
    throw new UsageError(
      `Invalid value '${
        str(v)
      }' for ${what}: use md5, sha1, sha256, sha384, sha512, sha3_256 or sha3_512`,
    );
  }
  return d;
}

/** Every client option, in `--help` order. */
export const CLIENT_OPTIONS: readonly ClientOption[] = [
  {
    long: "named-config",
    short: "n",
    arg: true,
    meta: "NAME",
    help: "Use stanza NAME of ~/.fwknoprc.",
    apply: (s, v) => s.namedConfig = str(v),
  },
  {
    long: "access",
    short: "A",
    arg: true,
    rc: "ACCESS",
    meta: "LIST",
    help: "Ports to open, such as tcp/22 or tcp/22,udp/53.",
    apply: (s, v) => s.access = str(v),
  },
  {
    long: "allow-ip",
    short: "a",
    arg: true,
    rc: "ALLOW_IP",
    meta: "IP",
    help: "IP address the server should open for (in .fwknoprc also 'source' or 'resolve').",
    apply: (s, v) => {
      const t = str(v);
      if (t === "source") s.sourceIp = true;
      else if (t === "resolve") s.resolveIp = true;
      else s.allowIp = t;
    },
  },
  {
    long: "destination",
    short: "D",
    arg: true,
    rc: "SPA_SERVER",
    meta: "HOST",
    help: "Host name or IP address of the fwknopd server.",
    apply: (s, v) => s.destination = str(v),
  },
  {
    long: "use-hmac",
    arg: false,
    rc: "USE_HMAC",
    help: "Authenticate the packet with an HMAC (asks for the key if none is given).",
    apply: (s, v) => s.useHmac = flag(v),
  },
  {
    long: "help",
    short: "h",
    arg: false,
    help: "Print this help and exit.",
    apply: (s) => s.help = true,
  },
  {
    long: "save-packet",
    short: "B",
    arg: true,
    meta: "FILE",
    help: "Also write the packet to FILE.",
    apply: (s, v) => s.savePacket = str(v),
  },
  {
    long: "save-packet-append",
    short: "b",
    arg: false,
    help: "Append to the -B file instead of replacing it.",
    apply: (s) => s.savePacketAppend = true,
  },
  {
    long: "server-cmd",
    short: "C",
    arg: true,
    meta: "CMD",
    help: "Ask the server to run CMD (needs ENABLE_CMD_EXEC there).",
    apply: (s, v) => s.serverCmd = str(v),
  },
  {
    long: "nat-access",
    short: "N",
    arg: true,
    rc: "NAT_ACCESS",
    meta: "HOST:PORT",
    help: "Reach HOST:PORT behind the server through NAT.",
    apply: (s, v) => s.natAccess = str(v),
  },
  {
    long: "server-port",
    short: "p",
    arg: true,
    rc: "SPA_SERVER_PORT",
    meta: "PORT",
    help: "Destination port (default 62201).",
    apply: (s, v) => s.serverPort = intIn("--server-port", str(v), 1, 65535),
  },
  {
    long: "server-proto",
    short: "P",
    arg: true,
    rc: "SPA_SERVER_PROTO",
    meta: "PROTO",
    values: SERVER_PROTOS,
    help: "udp (default), tcp, http, icmp, udpraw or tcpraw; raw ones need root.",
    apply: (s, v) => {
      const p = str(v).toLowerCase();
      if (!SERVER_PROTOS.includes(p as ServerProto)) {
        throw new UsageError(
          `Invalid value '${str(v)}' for --server-proto: use ${SERVER_PROTOS.join(", ")}`,
        );
      }
      s.serverProto = p as ServerProto;
    },
  },
  {
    long: "source-ip",
    short: "s",
    arg: false,
    help: "Let the server open for the packet's source address (0.0.0.0).",
    apply: (s) => s.sourceIp = true,
  },
  {
    long: "source-port",
    short: "S",
    arg: true,
    rc: "SPA_SOURCE_PORT",
    meta: "PORT",
    help: "Source port (raw modes).",
    apply: (s, v) => s.sourcePort = intIn("--source-port", str(v), 1, 65535),
  },
  {
    long: "spoof-source",
    short: "Q",
    arg: true,
    rc: "SPOOF_SOURCE_IP",
    meta: "IP",
    help: "Forge the packet's source address (raw modes, root).",
    apply: (s, v) => s.spoofSource = str(v),
  },
  {
    long: "spoof-src",
    arg: true,
    meta: "IP",
    help: "Same as --spoof-source.",
    apply: (s, v) => s.spoofSource = str(v),
  },
  {
    long: "resolve-ip-https",
    short: "R",
    arg: false,
    rc: "RESOLVE_IP_HTTPS",
    help: "Learn this host's public IP from a web service over HTTPS.",
    apply: (s, v) => s.resolveIp = flag(v),
  },
  {
    long: "resolve-ip-http",
    arg: false,
    rc: "RESOLVE_IP_HTTP",
    help: "Same as -R.",
    apply: (s, v) => s.resolveIp = flag(v),
  },
  {
    long: "resolve-http-only",
    arg: false,
    rc: "RESOLVE_HTTP_ONLY",
    help: "Resolve over plain HTTP (open to tampering on the way).",
    apply: (s, v) => {
      s.resolveHttpOnly = flag(v);
      if (s.resolveHttpOnly) s.resolveIp = true;
    },
  },
  {
    long: "resolve-url",
    arg: true,
    rc: "RESOLVE_URL",
    meta: "URL",
    help: "Resolver URL for -R (implies -R).",
    apply: (s, v) => {
      s.resolveUrl = str(v);
      s.resolveIp = true;
    },
  },
  {
    long: "user-agent",
    short: "u",
    arg: true,
    rc: "HTTP_USER_AGENT",
    meta: "UA",
    help: "User-Agent for -R and for -P http (default Fwknop/<version>).",
    apply: (s, v) => s.userAgent = str(v),
  },
  {
    long: "use-wget-user-agent",
    arg: false,
    rc: "USE_WGET_USER_AGENT",
    help: "Send no Fwknop User-Agent when resolving with -R.",
    apply: (s, v) => s.useWgetUserAgent = flag(v),
  },
  {
    long: "wget-cmd",
    short: "w",
    arg: true,
    rc: "WGET_CMD",
    meta: "PATH",
    help: "Accepted for compatibility; -R uses the built-in HTTP client.",
    apply: (s, v) => s.wgetCmd = str(v),
  },
  {
    long: "http-proxy",
    short: "H",
    arg: true,
    meta: "HOST[:PORT]",
    help: "Send over HTTP through this proxy (implies -P http).",
    apply: (s, v) => s.httpProxy = str(v),
  },
  {
    long: "spoof-user",
    short: "U",
    arg: true,
    rc: "SPOOF_USER",
    meta: "USER",
    help: "User name to put in the packet.",
    apply: (s, v) => s.spoofUser = str(v),
  },
  {
    long: "last-cmd",
    short: "l",
    arg: false,
    help: "Run again with the arguments saved by the last run.",
    apply: (s) => s.lastCmd = true,
  },
  {
    long: "get-key",
    short: "G",
    arg: true,
    rc: "KEY_FILE",
    meta: "FILE",
    help: "Read the encryption key from FILE (lines 'HOST: key').",
    apply: (s, v) => s.keyFile = str(v),
  },
  {
    long: "get-hmac-key",
    arg: true,
    rc: "HMAC_KEY_FILE",
    meta: "FILE",
    help: "Read the HMAC key from FILE (lines 'HOST: key').",
    apply: (s, v) => s.hmacKeyFile = str(v),
  },
  {
    long: "stdin",
    arg: false,
    help: "Read the encryption key from standard input.",
    apply: (s) => s.readStdin = true,
  },
  {
    long: "fd",
    arg: true,
    meta: "N",
    help: "Read the encryption key from file descriptor N.",
    apply: (s, v) => s.fd = intIn("--fd", str(v), 0, 65535),
  },
  {
    long: "key-gen",
    short: "k",
    arg: false,
    help: "Print a new encryption key and HMAC key, then exit.",
    apply: (s) => s.keyGen = true,
  },
  {
    long: "qr",
    arg: false,
    help: "With --key-gen: also print the keys as a QR code for the Fwknop2 phone client.",
    apply: (s) => s.qr = true,
  },
  {
    long: "key-gen-file",
    short: "K",
    arg: true,
    meta: "FILE",
    help: "Write new keys to FILE, then exit.",
    apply: (s, v) => {
      s.keyGenFile = str(v);
      s.keyGen = true;
    },
  },
  {
    long: "key-len",
    arg: true,
    meta: "N",
    help: "Length of a generated encryption key (1 to 32 bytes).",
    apply: (s, v) => s.keyLen = intIn("--key-len", str(v), 1, 32),
  },
  {
    long: "hmac-key-len",
    arg: true,
    meta: "N",
    help: "Length of a generated HMAC key (1 to 128 bytes).",
    apply: (s, v) => s.hmacKeyLen = intIn("--hmac-key-len", str(v), 1, 128),
  },
  {
    long: "key-rijndael",
    arg: true,
    rc: "KEY",
    meta: "KEY",
    help: "Encryption passphrase (visible to ps: prefer .fwknoprc or a prompt).",
    apply: (s, v) => s.key = str(v),
  },
  {
    long: "key-base64-rijndael",
    arg: true,
    rc: "KEY_BASE64",
    meta: "KEY",
    help: "Encryption key in base64.",
    apply: (s, v) => s.keyBase64 = str(v),
  },
  {
    long: "key-hmac",
    arg: true,
    rc: "HMAC_KEY",
    meta: "KEY",
    help: "HMAC passphrase (turns HMAC on).",
    apply: (s, v) => {
      s.hmacKey = str(v);
      s.useHmac = true;
    },
  },
  {
    long: "key-base64-hmac",
    arg: true,
    rc: "HMAC_KEY_BASE64",
    meta: "KEY",
    help: "HMAC key in base64 (turns HMAC on).",
    apply: (s, v) => {
      s.hmacKeyBase64 = str(v);
      s.useHmac = true;
    },
  },
  {
    long: "rand-port",
    short: "r",
    arg: false,
    rc: "RAND_PORT",
    help: "Send to a random port from 10000 to 65534.",
    apply: (s, v) => s.randPort = flag(v),
  },
  {
    long: "test",
    short: "T",
    arg: false,
    help: "Build and print the packet, do not send it.",
    apply: (s) => s.test = true,
  },
  {
    long: "verbose",
    short: "v",
    arg: false,
    rc: "VERBOSE",
    help: "Print more; repeat for even more.",
    apply: (s, v) =>
      s.verbose = typeof v === "boolean"
        ? s.verbose + 1
        : /^[Yy]/.test(v)
        ? 1
        : intIn("VERBOSE", v, 0, 10),
  },
  {
    long: "version",
    short: "V",
    arg: false,
    help: "Print the version and exit.",
    apply: (s) => s.version = true,
  },
  {
    long: "digest-type",
    short: "m",
    arg: true,
    rc: "DIGEST_TYPE",
    meta: "TYPE",
    values: DIGEST_NAMES,
    help:
      "Digest inside the packet: md5, sha1, sha256 (default), sha384, sha512, sha3_256, sha3_512.",
    apply: (s, v) => s.digestType = digest("--digest-type", v),
  },
  {
    long: "encryption-mode",
    short: "M",
    arg: true,
    rc: "ENCRYPTION_MODE",
    meta: "MODE",
    values: ["cbc", "ctr", "cfb", "ofb", "ecb", "legacy"],
    help: "cbc (default), ctr, cfb, ofb, ecb or legacy; must match the server.",
    apply: (s, v) => {
      const m = parseModeName(str(v));
      if (m === undefined || m === 7) {
        throw new UsageError(
          `Invalid value '${str(v)}' for --encryption-mode: use cbc, ctr, cfb, ofb, ecb or legacy`,
        );
      }
      s.encryptionMode = m;
    },
  },
  {
    long: "fw-timeout",
    short: "f",
    arg: true,
    rc: "FW_TIMEOUT",
    meta: "SECONDS",
    help: "Ask the server to keep the rules open this long.",
    apply: (s, v) => {
      const t = str(v);
      // The stock client takes up to 131072, but libfko (fwknopd, and the stock client's own
      // --test decode) refuses a packet whose timeout is above 65536: say so instead.
      if (/^\d+$/.test(t) && Number(t) > MAX_CLIENT_TIMEOUT && Number(t) <= 131072) {
        throw new UsageError(
          `Invalid value '${t}' for --fw-timeout: fwknopd cannot decode a client timeout above ${MAX_CLIENT_TIMEOUT} s (${
            (MAX_CLIENT_TIMEOUT / 3600).toFixed(1)
          } h; the stock client sends it, and fwknopd refuses the packet). For longer access, raise FW_ACCESS_TIMEOUT and MAX_FW_TIMEOUT in the server's access.conf`,
        );
      }
      s.fwTimeout = intIn("--fw-timeout", t, 0, MAX_CLIENT_TIMEOUT);
    },
  },
  {
    long: "hmac-digest-type",
    arg: true,
    rc: "HMAC_DIGEST_TYPE",
    meta: "TYPE",
    values: DIGEST_NAMES,
    help: "HMAC digest: md5, sha1, sha256 (default), sha384, sha512, sha3_256, sha3_512.",
    apply: (s, v) => s.hmacDigestType = digest("--hmac-digest-type", v),
  },
  {
    long: "icmp-type",
    arg: true,
    meta: "N",
    help: "ICMP type for -P icmp (default 0).",
    apply: (s, v) => s.icmpType = intIn("--icmp-type", str(v), 0, 40),
  },
  {
    long: "icmp-code",
    arg: true,
    meta: "N",
    help: "ICMP code for -P icmp (default 0).",
    apply: (s, v) => s.icmpCode = intIn("--icmp-code", str(v), 0, 15),
  },
  {
    long: "gpg-encryption",
    short: "g",
    arg: false,
    rc: "USE_GPG",
    help: "Encrypt with GnuPG instead of Rijndael.",
    apply: (s, v) => s.useGpg = flag(v),
  },
  {
    long: "gpg-recipient-key",
    arg: true,
    rc: "GPG_RECIPIENT",
    meta: "ID",
    help: "GnuPG key of the server (turns GnuPG mode on, as in fwknop).",
    apply: (s, v) => {
      s.gpgRecipient = str(v);
      s.useGpg = true;
    },
  },
  {
    long: "gpg-signer-key",
    arg: true,
    rc: "GPG_SIGNER",
    meta: "ID",
    help: "GnuPG key to sign with.",
    apply: (s, v) => s.gpgSigner = str(v),
  },
  {
    long: "gpg-no-signing-pw",
    arg: false,
    rc: "GPG_NO_SIGNING_PW",
    help: "The signing key has no passphrase.",
    apply: (s, v) => s.gpgNoSigningPw = flag(v),
  },
  {
    long: "gpg-home-dir",
    arg: true,
    rc: "GPG_HOMEDIR",
    meta: "DIR",
    help: "GnuPG home directory.",
    apply: (s, v) => s.gpgHomeDir = str(v),
  },
  {
    long: "gpg-agent",
    arg: false,
    rc: "USE_GPG_AGENT",
    help: "Let gpg-agent supply the signing passphrase.",
    apply: (s, v) => s.useGpgAgent = flag(v),
  },
  {
    long: "gpg-exe",
    arg: true,
    rc: "GPG_EXE",
    meta: "PATH",
    help: "Path of the gpg binary.",
    apply: (s, v) => s.gpgExe = str(v),
  },
  {
    long: "keep-open",
    arg: false,
    help: "Run the command after --, renewing access at half of each grant (-f, else 30 s).",
    apply: (s, v) => s.keepOpen = flag(v),
  },
  {
    long: "no-save-args",
    arg: false,
    rc: "NO_SAVE_ARGS",
    help: "Do not save the arguments to ~/.fwknop.run.",
    apply: (s, v) => s.noSaveArgs = flag(v),
  },
  {
    long: "save-args-file",
    short: "E",
    arg: true,
    meta: "FILE",
    help: "Save and read -l arguments in FILE instead of ~/.fwknop.run.",
    apply: (s, v) => s.saveArgsFile = str(v),
  },
  {
    long: "rc-file",
    arg: true,
    meta: "FILE",
    help: "Use FILE instead of ~/.fwknoprc.",
    apply: (s, v) => s.rcFile = str(v),
  },
  {
    long: "server-resolve-ipv4",
    arg: false,
    rc: "SERVER_RESOLVE_IPV4",
    help: "Resolve -D to an IPv4 address only (always the case here).",
    apply: (s, v) => s.serverResolveIpv4 = flag(v),
  },
  {
    long: "ipv4",
    short: "4",
    arg: false,
    help: "Resolve -D to IPv4 and send over IPv4 (the default).",
    apply: (s) => {
      s.serverResolveIpv4 = true;
      s.ipv6 = false;
    },
  },
  {
    long: "ipv6",
    short: "6",
    arg: false,
    help: "Resolve -D to IPv6 and send over IPv6 (needs fwknopd-ts: fwknopd 2.6 has no IPv6).",
    apply: (s) => {
      s.ipv6 = true;
      s.serverResolveIpv4 = false;
    },
  },
  {
    long: "Server-mode",
    arg: true,
    meta: "MODE",
    values: ["knock", "shared"],
    help: "fwknop 1.x port knocking: 'knock' (encrypted sequence) or 'shared' (--knock-file).",
    apply: (s, v) => {
      const m = str(v).toLowerCase();
      if (m !== "knock" && m !== "shared") {
        throw new UsageError(`Invalid value '${v}' for --Server-mode: expected knock or shared`);
      }
      s.serverMode = m;
    },
  },
  {
    long: "offset",
    arg: true,
    meta: "N",
    help: "Base port of encrypted knocks (default 61000).",
    apply: (s, v) => s.knockOffset = intIn("--offset", str(v), 1, 65279),
  },
  {
    long: "rotate-proto",
    arg: false,
    help: "Encrypted knocks alternate TCP (even) and UDP (odd).",
    apply: (s) => s.rotateProto = true,
  },
  {
    long: "time-delay",
    arg: true,
    meta: "SECONDS",
    help: "Pause between knocks (default 1; fractions allowed).",
    apply: (s, v) => {
      const n = Number(str(v));
      if (!Number.isFinite(n) || n < 0 || n > 60) {
        throw new UsageError(`Invalid value '${v}' for --time-delay: expected 0 to 60 seconds`);
      }
      s.timeDelay = n;
    },
  },
  {
    long: "knock-file",
    arg: true,
    meta: "FILE",
    help: "Shared sequences, lines '<destination>: tcp/N, udp/N, icmp' (default ~/.fwknop.knock).",
    apply: (s, v) => s.knockFile = str(v),
  },
  {
    long: "Test-mode",
    arg: false,
    help: "fwknop 1.x name of --test: build and print, send nothing.",
    apply: (s) => s.test = true,
  },
  {
    long: "save-rc-stanza",
    arg: false,
    help: "Save this command line's settings as stanza -n (or -D) of ~/.fwknoprc.",
    apply: (s) => s.saveRcStanza = true,
  },
  {
    long: "force-stanza",
    arg: false,
    help: "With --save-rc-stanza, replace keys without asking.",
    apply: (s) => s.forceStanza = true,
  },
  {
    long: "stanza-list",
    arg: false,
    help: "List the stanzas of ~/.fwknoprc.",
    apply: (s) => s.stanzaList = true,
  },
  {
    long: "nat-local",
    arg: false,
    rc: "NAT_LOCAL",
    help: "Reach a service on the server itself through a forwarded port.",
    apply: (s, v) => s.natLocal = flag(v),
  },
  {
    long: "nat-port",
    arg: true,
    rc: "NAT_PORT",
    meta: "PORT",
    help: "Port to request for NAT access instead of the -A port.",
    apply: (s, v) => s.natPort = intIn("--nat-port", str(v), 1, 65535),
  },
  {
    long: "nat-rand-port",
    arg: false,
    rc: "NAT_RAND_PORT",
    help: "Like --nat-port with a random port (printed).",
    apply: (s, v) => s.natRandPort = flag(v),
  },
  {
    long: "no-home-dir",
    arg: false,
    help: "Do not look in the home directory.",
    apply: (s) => s.noHomeDir = true,
  },
  {
    long: "no-rc-file",
    arg: false,
    help: "Do not read or create ~/.fwknoprc.",
    apply: (s) => s.noRcFile = true,
  },
  {
    long: "show-last",
    arg: false,
    help: "Print the arguments saved by the last run.",
    apply: (s) => s.showLast = true,
  },
  {
    long: "time-offset-plus",
    arg: true,
    meta: "TIME",
    help: "Move the packet timestamp forward (N, Nm, Nh, Nd).",
    apply: (s, v) => s.timeOffsetPlus = timeOffset("--time-offset-plus", str(v)),
  },
  {
    long: "time-offset-minus",
    arg: true,
    meta: "TIME",
    help: "Move the packet timestamp back (N, Nm, Nh, Nd).",
    apply: (s, v) => s.timeOffsetMinus = timeOffset("--time-offset-minus", str(v)),
  },
  {
    long: "fault-injection-tag",
    arg: true,
    hidden: true,
    meta: "TAG",
    help: "Accepted for compatibility; has no effect.",
    apply: () => {},
  },
];

/** Extra `.fwknoprc` variables with no option of their own. */
export const RC_ONLY: Readonly<Record<string, (s: ClientSettings, v: string) => void>> = {
  TIME_OFFSET: (s, v) => {
    if (v.startsWith("-")) s.timeOffsetMinus = timeOffset("TIME_OFFSET", v.slice(1));
    else s.timeOffsetPlus = timeOffset("TIME_OFFSET", v);
  },
  // The stock client keeps one secret for both: GPG_SIGNING_PW fills the same slot as KEY (and
  // _BASE64 as KEY_BASE64), so without GnuPG it is the Rijndael key (client/config_init.c).
  GPG_SIGNING_PW: (s, v) => {
    s.gpgSigningPw = v;
    s.key = v;
  },
  GPG_SIGNING_PW_BASE64: (s, v) => {
    const bytes = b64Decode(v);
    if (bytes === undefined) throw new UsageError("GPG_SIGNING_PW_BASE64 is not base64");
    s.gpgSigningPw = new TextDecoder().decode(bytes);
    s.keyBase64 = v;
  },
};

/** The option for an rc variable, if any. */
export function optionForRc(name: string): ClientOption | undefined {
  return CLIENT_OPTIONS.find((o) => o.rc === name);
}
