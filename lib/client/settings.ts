/**
 * Everything the `fwknop-ts` client can be told, with fwknop's defaults.
 *
 * @module
 */
import { DigestType } from "../spa/digest.ts";
import { EncryptionMode } from "../spa/rijndael.ts";

/** The transports of `-P`. */
export type ServerProto = "udp" | "tcp" | "http" | "icmp" | "udpraw" | "tcpraw";
/** All transport names. */
export const SERVER_PROTOS: readonly ServerProto[] = [
  "udp",
  "tcp",
  "http",
  "icmp",
  "udpraw",
  "tcpraw",
];
/** Transports that need a raw socket. */
export const RAW_PROTOS: readonly ServerProto[] = ["icmp", "udpraw", "tcpraw"];

/** fwknop's default SPA port. */
export const DEFAULT_PORT = 62201;
/** The client version we report, and the one servers check in HTTP mode. */
export const CLIENT_VERSION = "2.6.10";
/** fwknop's external-IP resolver. */
export const DEFAULT_RESOLVE_URL = "https://www.cipherdyne.org/cgi-bin/myip";

/** The client's settings after defaults, rc stanzas and the command line. */
export interface ClientSettings {
  access?: string;
  allowIp?: string;
  sourceIp: boolean;
  resolveIp: boolean;
  resolveHttpOnly: boolean;
  resolveUrl?: string;
  wgetCmd?: string;
  useWgetUserAgent: boolean;
  destination?: string;
  serverPort: number;
  serverProto: ServerProto;
  randPort: boolean;
  sourcePort?: number;
  spoofSource?: string;
  spoofUser?: string;
  serverCmd?: string;
  natAccess?: string;
  natLocal: boolean;
  natPort?: number;
  natRandPort: boolean;
  /** -1 when not given. */
  fwTimeout: number;
  /** `--keep-open`: run {@link ClientSettings.keepOpenCommand} and renew access while it runs. */
  keepOpen: boolean;
  /** The command after `--` for `--keep-open`. */
  keepOpenCommand: string[];
  timeOffsetPlus: number;
  timeOffsetMinus: number;
  digestType: DigestType;
  encryptionMode: EncryptionMode;
  key?: string;
  keyBase64?: string;
  keyFile?: string;
  hmacKeyFile?: string;
  readStdin: boolean;
  fd?: number;
  hmacKey?: string;
  hmacKeyBase64?: string;
  useHmac: boolean;
  hmacDigestType: DigestType;
  keyGen: boolean;
  /** `--qr`: print generated keys as a QR code too. */
  qr: boolean;
  keyGenFile?: string;
  keyLen?: number;
  hmacKeyLen?: number;
  useGpg: boolean;
  useGpgAgent: boolean;
  gpgRecipient?: string;
  gpgSigner?: string;
  gpgHomeDir?: string;
  gpgExe?: string;
  gpgSigningPw?: string;
  gpgNoSigningPw: boolean;
  httpProxy?: string;
  userAgent?: string;
  icmpType: number;
  icmpCode: number;
  serverResolveIpv4: boolean;
  /** fwknop 1.x port knocking instead of SPA: `--Server-mode knock|shared`. */
  serverMode?: "knock" | "shared";
  /** `--offset`: base port of encrypted knocks. */
  knockOffset: number;
  /** `--rotate-proto`: alternate TCP and UDP knocks. */
  rotateProto: boolean;
  /** `--time-delay`: seconds between knocks. */
  timeDelay: number;
  /** `--knock-file`: shared sequences, `<destination>: proto/port, ...` lines. */
  knockFile?: string;
  /** `-6`: resolve -D to IPv6 and send over IPv6 (fwknopd-ts only; stock fwknopd has no IPv6). */
  ipv6: boolean;
  namedConfig?: string;
  rcFile?: string;
  noRcFile: boolean;
  noHomeDir: boolean;
  saveRcStanza: boolean;
  forceStanza: boolean;
  stanzaList: boolean;
  test: boolean;
  savePacket?: string;
  savePacketAppend: boolean;
  saveArgsFile?: string;
  noSaveArgs: boolean;
  lastCmd: boolean;
  showLast: boolean;
  verbose: number;
  version: boolean;
  help: boolean;
}

/** The built-in defaults. */
export function defaultSettings(): ClientSettings {
  return {
    sourceIp: false,
    resolveIp: false,
    resolveHttpOnly: false,
    useWgetUserAgent: false,
    serverPort: DEFAULT_PORT,
    serverProto: "udp",
    randPort: false,
    natLocal: false,
    natRandPort: false,
    fwTimeout: -1,
    keepOpen: false,
    keepOpenCommand: [],
    timeOffsetPlus: 0,
    timeOffsetMinus: 0,
    digestType: DigestType.SHA256,
    encryptionMode: EncryptionMode.CBC,
    readStdin: false,
    useHmac: false,
    hmacDigestType: DigestType.SHA256,
    keyGen: false,
    qr: false,
    useGpg: false,
    useGpgAgent: false,
    gpgNoSigningPw: false,
    icmpType: 0,
    icmpCode: 0,
    serverResolveIpv4: false,
    ipv6: false,
    knockOffset: 61000,
    rotateProto: false,
    timeDelay: 1,
    noRcFile: false,
    noHomeDir: false,
    saveRcStanza: false,
    forceStanza: false,
    stanzaList: false,
    test: false,
    savePacketAppend: false,
    noSaveArgs: false,
    lastCmd: false,
    showLast: false,
    verbose: 0,
    version: false,
    help: false,
  };
}
