/**
 * The daemon's command line as a typed value (from getopt's list).
 *
 * @module
 */
import type { ParsedOption } from "../cli/getopt.ts";

/** Every option of `fwknopd-ts`, typed. */
export interface ServerFlags {
  accessFile?: string;
  accessFolder?: string;
  configFile?: string;
  overrideConfig?: string;
  foreground: boolean;
  syslogEnable: boolean;
  interface?: string;
  pcapFilter?: string;
  pcapFile?: string;
  pcapAnyDirection: boolean;
  udpServer: boolean;
  packetLimit?: string;
  digestFile?: string;
  pidFile?: string;
  runDir?: string;
  dumpConfig: boolean;
  kill: boolean;
  restart: boolean;
  status: boolean;
  test: boolean;
  verbose: number;
  locale?: string;
  fwType?: string;
  fwList: boolean;
  fwListAll: boolean;
  fwFlush: boolean;
  fleetRevoke?: string;
  qr?: string;
  keyGen: boolean;
  keyGenFile?: string;
  keyLen?: string;
  hmacKeyLen?: string;
  hmacDigestType?: string;
  gpgHomeDir?: string;
  gpgExe?: string;
  sudoExe?: string;
  noIptCheckSupport: boolean;
  rotateDigestCache: boolean;
  exitParseConfig: boolean;
  exitParseDigestCache: boolean;
  help: boolean;
  version: boolean;
  daemonChild: boolean;
}

const camel = (s: string) => s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * Turns getopt's options into `ServerFlags`.
 *
 * @param options The parsed options, in order (a later one wins).
 * @returns The flags; booleans default to false.
 */
export function serverFlags(options: readonly ParsedOption[]): ServerFlags {
  const f: Record<string, string | boolean | number | undefined> = {
    foreground: false,
    syslogEnable: false,
    pcapAnyDirection: false,
    udpServer: false,
    dumpConfig: false,
    kill: false,
    restart: false,
    status: false,
    test: false,
    verbose: 0,
    fwList: false,
    fwListAll: false,
    fwFlush: false,
    keyGen: false,
    noIptCheckSupport: false,
    rotateDigestCache: false,
    exitParseConfig: false,
    exitParseDigestCache: false,
    help: false,
    version: false,
    daemonChild: false,
  };
  for (const o of options) {
    if (o.name === "verbose") f.verbose = (f.verbose as number) + 1;
    else f[camel(o.name)] = o.value ?? true;
  }
  return f as unknown as ServerFlags;
}
