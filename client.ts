#!/usr/bin/env -S deno run --allow-read --allow-write --allow-env --allow-net --allow-ffi --allow-sys
/**
 * `fwknop-ts`: the SPA client, a drop-in for fwknop 2.6's `fwknop` with the
 * same options, `~/.fwknoprc` stanzas and output.
 *
 *     deno run --allow-read --allow-write --allow-env --allow-net client.ts -A tcp/22 -a 198.51.100.7 -D server -n myserver
 *
 * @module
 */
// First: a one-shot process binds native functions lazily (see the module).
import "./lib/sys/one_shot.ts";
import { RuntimeError, UsageError } from "./lib/cli/errors.ts";
import { getopt, type ParsedOption } from "./lib/cli/getopt.ts";
import { formatDump, formatTransmit } from "./lib/client/dump.ts";
import { helpText, versionLine } from "./lib/client/help.ts";
import { encryptionKey, hmacKey } from "./lib/client/keys.ts";
import { CLIENT_OPTIONS } from "./lib/client/options.ts";
import { applyStanza, findStanza, parseRc, RC_TEMPLATE, saveStanza } from "./lib/client/rc.ts";
import { buildMessage, pickUsername, randomPort } from "./lib/client/request.ts";
import {
  CLIENT_VERSION,
  type ClientSettings,
  DEFAULT_RESOLVE_URL,
  defaultSettings,
  RAW_PROTOS,
} from "./lib/client/settings.ts";
import { httpSpaRequest } from "./lib/net/http.ts";
import { localAddressToward } from "./lib/net/local.ts";
import {
  args as processArgs,
  chmod,
  env,
  envDenied,
  fileMode,
  homeDir,
  Interrupted,
  isPermissionError,
  lacksPermission,
  loginName,
  loginNameMissing,
  readSecret,
  rename,
  setExitCode,
  writeErr,
  writeOut,
  writeTextFile,
} from "./lib/sys/runtime.ts";
import { readText } from "./lib/sys/files.ts";
import { b64EncodePadded } from "./lib/spa/base64.ts";
import { DIGESTS } from "./lib/spa/digest.ts";
import { formatKeys, generateKeys } from "./lib/spa/keygen.ts";
import { SpaFieldError } from "./lib/spa/message.ts";
import { decodeSpa, type EncodedSpa, encodeSpa, SpaKeyError } from "./lib/spa/packet.ts";
import type { GpgSpaRequest } from "./lib/spa/gpg.ts";
import { EncryptionMode } from "./lib/spa/rijndael.ts";
import { keepOpen, renewEveryMs } from "./lib/client/keep_open.ts";
import { spawnForeground } from "./lib/sys/foreground.ts";
import { offSignal, onSignal } from "./lib/sys/process.ts";

/** Where the client writes; tests pass their own. */
export interface ClientIo {
  /** Standard output. */
  out(text: string): void;
  /** Standard error. */
  err(text: string): void;
  /** Unix seconds; tests fix it. */
  now?(): number;
}

const defaultIo: ClientIo = {
  out: writeOut,
  err: writeErr,
};

const PROGRAM = "fwknop-ts";

function applyCli(s: ClientSettings, options: ParsedOption[]): void {
  for (const o of options) {
    const spec = CLIENT_OPTIONS.find((c) => c.long === o.name)!;
    spec.apply(s, o.value ?? true);
  }
}

/** The rc variables the command line set, for --save-rc-stanza. */
function rcUpdates(options: ParsedOption[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const o of options) {
    const spec = CLIENT_OPTIONS.find((c) => c.long === o.name)!;
    if (o.name === "source-ip") out.set("ALLOW_IP", "source");
    else if (o.name === "time-offset-plus") out.set("TIME_OFFSET", o.value!);
    else if (o.name === "time-offset-minus") out.set("TIME_OFFSET", `-${o.value}`);
    else if (spec.rc !== undefined) out.set(spec.rc, o.value ?? "Y");
  }
  return out;
}

function argsFile(s: ClientSettings): string | undefined {
  if (s.saveArgsFile !== undefined) return s.saveArgsFile;
  const home = s.noHomeDir ? undefined : homeDir();
  return home === undefined ? undefined : `${home}/.fwknop.run`;
}

/**
 * The login name for the packet (unless -U gives one). A name Deno would
 * not let us read is an error naming the permission, never a silent
 * NO_USER.
 */
function userName(s: ClientSettings): string | undefined {
  if (s.spoofUser !== undefined) return undefined;
  const name = loginName();
  if (name !== undefined) return name;
  const missing = loginNameMissing();
  if (missing !== undefined) {
    throw new RuntimeError(
      `Cannot tell your user name for the SPA packet: fwknop-ts needs the Deno permission ${missing} (or name the user with -U NAME)`,
    );
  }
  return undefined;
}

function rcPath(s: ClientSettings): string | undefined {
  if (s.noRcFile) return undefined;
  if (s.rcFile !== undefined) return s.rcFile;
  if (!s.noHomeDir && envDenied("HOME")) {
    // Unreadable is not absent: without HOME the rc file (and its keys) would be skipped.
    throw new RuntimeError(
      "Cannot find ~/.fwknoprc: fwknop-ts needs the Deno permission --allow-env=HOME " +
        "(or name the file with --rc-file, or use --no-rc-file)",
    );
  }
  const home = s.noHomeDir ? undefined : homeDir();
  return home === undefined ? undefined : `${home}/.fwknoprc`;
}

function loadRc(path: string, io: ClientIo): string {
  let mode: number | undefined;
  try {
    mode = fileMode(path);
  } catch (e) {
    throw new RuntimeError(
      isPermissionError(e)
        ? `Cannot look at rc file '${path}': fwknop-ts needs the Deno permission --allow-read=${path} (or --no-rc-file)`
        : `Cannot look at rc file '${path}': ${(e as Error).message}`,
    );
  }
  if (mode === undefined) {
    io.out(`[*] Creating initial rc file: ${path}.\n`);
    try {
      // createNew: a file that appeared meanwhile is never replaced.
      writeTextFile(path, RC_TEMPLATE, { mode: 0o600, createNew: true });
    } catch (e) {
      throw new RuntimeError(
        isPermissionError(e)
          ? `Cannot create rc file '${path}': fwknop-ts needs the Deno permission --allow-write=${path} (or --no-rc-file)`
          : `Cannot create rc file '${path}': ${(e as Error).message}`,
      );
    }
    return RC_TEMPLATE;
  }
  try {
    if ((mode & 0o077) !== 0) {
      io.err(`[-] file: ${path} permissions should only be user read/write (0600, -rw-------)\n`);
    }
    return readText(path);
  } catch (e) {
    throw new RuntimeError(`Cannot read rc file '${path}': ${(e as Error).message}`);
  }
}

function writeRc(path: string, text: string): void {
  const tmp = `${path}.updated`;
  writeTextFile(tmp, text, { mode: 0o600 });
  chmod(tmp, 0o600);
  rename(tmp, path);
}

/** fwknop 1.x port knocking (`--Server-mode knock|shared`). */
async function knockMode(s: ClientSettings, io: ClientIo): Promise<number> {
  if (s.destination === undefined && !s.test) {
    throw new UsageError("Must use --destination (-D) unless --test (-T) is used");
  }
  const { buildKnocks, sendKnocks, startLine, TEST_MODE_LINE } = await import(
    "./lib/client/knock.ts"
  );
  io.out(startLine(s.serverMode!));
  const key = s.serverMode === "knock" ? new TextDecoder("latin1").decode(encryptionKey(s)) : "";
  let ip: string | undefined;
  if (!s.test) {
    if (lacksPermission({ name: "net" })) {
      throw new RuntimeError("fwknop-ts needs the Deno permission --allow-net to send knocks");
    }
    const { resolveHost } = await import("./lib/net/ip.ts");
    ip = await resolveHost(s.destination!, s.ipv6 ? 6 : 4);
    if (s.serverMode === "knock") await knockAllowIp(s, ip, io);
  }
  const knocks = buildKnocks(s, key, pickUsername(s, env, userName(s)), { out: io.out });
  if (ip === undefined) {
    io.out(TEST_MODE_LINE);
    return 0;
  }
  await sendKnocks(ip, knocks, s.timeDelay, { out: io.out });
  return 0;
}

/**
 * The address an encrypted sequence names when -a and -s are not given: the
 * external address with -R, else the local address that routes to the
 * server. fwknopd-ts opens only the knocking source's own address unless a
 * stanza lists others, so `0.0.0.0` is sent only with -s.
 */
async function knockAllowIp(s: ClientSettings, server: string, io: ClientIo): Promise<void> {
  // A sequence carries an IPv4 address: over IPv6 only -s (0.0.0.0) or -a can say which.
  if (s.sourceIp || s.allowIp !== undefined || server.includes(":")) return;
  if (s.resolveIp) {
    const url = s.resolveUrl ?? DEFAULT_RESOLVE_URL;
    const { resolveExternalIp } = await import("./lib/net/external_ip.ts");
    const ua = s.userAgent ?? `Fwknop/${CLIENT_VERSION}`;
    s.allowIp = await resolveExternalIp(
      url,
      s.useWgetUserAgent ? undefined : ua,
      s.resolveHttpOnly,
    );
  } else {
    const { localAddressToward } = await import("./lib/net/local.ts");
    try {
      s.allowIp = await localAddressToward(server, s.knockOffset);
    } catch (e) {
      throw new RuntimeError(`${(e as Error).message}; name the address with -a, -R or -s`);
    }
  }
  if (s.verbose > 0) io.out(`[+] Knocking for ${s.allowIp} (-a, -R or -s choose another)\n`);
}

/** Builds a GnuPG-mode packet with keys from the GnuPG home (or armored key files). */
async function encodeGpg(
  s: ClientSettings,
  req: Omit<GpgSpaRequest, "recipientKey" | "signingKey">,
): Promise<EncodedSpa> {
  const { encodeGpgSpa } = await import("./lib/spa/gpg.ts");
  const { privateKeys, publicKeys } = await import("./lib/gpg_keys.ts");
  const src = { home: s.gpgHomeDir ?? `${homeDir() ?? ""}/.gnupg`, exe: s.gpgExe ?? "gpg" };
  let recipientKey: unknown;
  let signingKey: unknown;
  try {
    recipientKey = (await publicKeys(src, s.gpgRecipient))[0];
    if (s.gpgSigner !== undefined) {
      const pw = s.gpgNoSigningPw
        ? ""
        : s.key ?? s.gpgSigningPw ?? readSecret("Enter passphrase for signing: "); // one slot, as fwknop
      signingKey = (await privateKeys(src, s.gpgSigner, pw))[0];
    }
  } catch (e) {
    throw new RuntimeError((e as Error).message);
  }
  return await encodeGpgSpa({
    ...req,
    recipientKey,
    ...(signingKey === undefined ? {} : { signingKey }),
  });
}

type Spa = Awaited<ReturnType<typeof encodeGpg>> | ReturnType<typeof encodeSpa>;
type Dump = Parameters<typeof formatDump>[0];

/** `--show-last` prints the saved command line; `-l` runs it again with the new options. */
async function lastCommand(
  cli: ClientSettings,
  runFile: string | undefined,
  args: string[],
  io: ClientIo,
): Promise<number> {
  if (runFile === undefined) {
    throw new UsageError("No args file: --no-home-dir needs --save-args-file (-E)");
  }
  let saved: string;
  try {
    saved = readText(runFile).replace(/\n$/, "");
  } catch (e) {
    throw new RuntimeError(`Cannot read args file '${runFile}': ${(e as Error).message}`);
  }
  if (cli.showLast) {
    io.out(`Last fwknop client command line: ${saved}\n`);
    return 0;
  }
  const savedArgs = saved.split(/\s+/).filter((a) => a !== "").slice(1);
  const rest = args.filter((a) => a !== "-l" && a !== "--last-cmd");
  return await run([...savedArgs, ...rest, "--no-save-args"], io);
}

/**
 * Applies the rc file's `[default]` and `-n` stanzas to `s`; lists the
 * stanzas instead (returning 0) with `--stanza-list`.
 */
function applyRcFile(
  cli: ClientSettings,
  s: ClientSettings,
  io: ClientIo,
): { rcFile: string | undefined; rcText: string } | number {
  const rcFile = rcPath(cli);
  let rcText = "";
  if (rcFile !== undefined) {
    rcText = loadRc(rcFile, io);
    const rc = parseRc(rcText, rcFile);
    if (cli.stanzaList) {
      io.out(`The following stanzas are configured in ${rcFile} :\n`);
      for (const st of rc.stanzas) {
        if (st.name.toLowerCase() !== "default") io.out(` - ${st.name}\n`);
      }
      return 0;
    }
    const def = findStanza(rc, "default");
    const warn = (m: string) => io.err(m);
    if (def !== undefined) applyStanza(rc, def, s, warn);
    if (cli.namedConfig !== undefined && !cli.saveRcStanza) {
      const named = findStanza(rc, cli.namedConfig);
      if (named === undefined) {
        throw new UsageError(`Named configuration stanza: [${cli.namedConfig}] was not found.`);
      }
      applyStanza(rc, named, s, warn);
    } else if (cli.namedConfig !== undefined) {
      const named = findStanza(rc, cli.namedConfig);
      if (named !== undefined) applyStanza(rc, named, s, warn);
    }
  } else if (cli.stanzaList || (cli.namedConfig !== undefined && !cli.saveRcStanza)) {
    throw new UsageError(
      "No rc file in use (--no-rc-file or --no-home-dir): -n and --stanza-list need one",
    );
  }
  return { rcFile, rcText };
}

/** Where `--save-rc-stanza` writes: the rc file and the stanza's name, or a usage error. */
function rcTarget(rcFile: string | undefined, stanzaName: string | undefined): [string, string] {
  if (rcFile === undefined) {
    throw new UsageError("--save-rc-stanza needs an rc file (drop --no-rc-file)");
  }
  if (stanzaName === undefined) {
    throw new UsageError("--save-rc-stanza needs -n NAME or -D HOST to name the stanza");
  }
  return [rcFile, stanzaName];
}

/** `--key-gen`: new keys to the rc file, a file or the screen (and a QR code with `--qr`). */
async function keyGenMode(
  s: ClientSettings,
  rc: { rcFile: string | undefined; rcText: string },
  stanzaName: string | undefined,
  updates: Map<string, string>,
  io: ClientIo,
): Promise<number> {
  const keys = generateKeys({
    ...(s.keyLen === undefined ? {} : { keyLen: s.keyLen }),
    ...(s.hmacKeyLen === undefined ? {} : { hmacKeyLen: s.hmacKeyLen }),
    hmacType: s.hmacDigestType,
  });
  if (s.saveRcStanza) {
    const [rcFile, name] = rcTarget(rc.rcFile, stanzaName);
    updates.set("KEY_BASE64", b64EncodePadded(keys.key));
    updates.set("HMAC_KEY_BASE64", b64EncodePadded(keys.hmacKey));
    updates.set("USE_HMAC", "Y");
    writeRc(rcFile, saveStanza(rc.rcText, rcFile, name, updates, s.forceStanza));
    io.out(`[+] Wrote Rijndael and HMAC keys to rc file: ${rcFile}\n`);
  } else if (s.keyGenFile !== undefined) {
    writeTextFile(s.keyGenFile, formatKeys(keys), { mode: 0o600 });
    io.out(`[+] Wrote Rijndael and HMAC keys to: ${s.keyGenFile}\n`);
  } else {
    io.out(formatKeys(keys));
  }
  if (s.qr) {
    // Loaded only when asked for: plain runs (and the Node package) need no QR encoder.
    const { keysQrText, terminalQr } = await import("./lib/qr/keys_qr.ts");
    io.out(terminalQr(keysQrText(keys.key, keys.hmacKey)));
  }
  return 0;
}

/** The option combinations an SPA run refuses. */
function checkSpaOptions(s: ClientSettings, raw: boolean): void {
  if (s.spoofSource !== undefined && !raw) {
    throw new UsageError("--spoof-source (-Q) needs a raw mode: -P udpraw, -P tcpraw or -P icmp");
  }
  if (s.destination === undefined && !s.test) {
    throw new UsageError("Must use --destination (-D) unless --test (-T) is used");
  }
  if (!s.sourceIp && !s.resolveIp && s.allowIp === undefined) {
    throw new UsageError("Must use one of [-s|-R|-a] to specify IP for SPA access.");
  }
  if (
    s.encryptionMode === EncryptionMode.LEGACY &&
    (s.useHmac || s.hmacKey !== undefined || s.hmacKeyBase64 !== undefined)
  ) {
    throw new UsageError(
      "Cannot use HMAC with --encryption-mode legacy: fwknop servers refuse that combination",
    );
  }
}

/** The address to open for: `-a`, 0.0.0.0 with `-s`, or the external one with `-R`. */
async function allowAddress(s: ClientSettings, ua: string, io: ClientIo): Promise<string> {
  let allowIp = s.allowIp ?? "0.0.0.0";
  if (s.sourceIp) allowIp = "0.0.0.0";
  else if (s.resolveIp && s.allowIp === undefined) {
    const url = s.resolveUrl ?? DEFAULT_RESOLVE_URL;
    const { resolveExternalIp } = await import("./lib/net/external_ip.ts");
    allowIp = await resolveExternalIp(url, s.useWgetUserAgent ? undefined : ua, s.resolveHttpOnly);
    if (s.verbose > 0) io.out(`[+] Resolved external IP (via '${url}') as: ${allowIp}\n`);
  }
  return allowIp;
}

/** Builds the packet and its dump (printed with `-T` or `-v`). */
async function buildSpa(
  s: ClientSettings,
  allowIp: string,
  key: Uint8Array,
  mac: Uint8Array | undefined,
  io: ClientIo,
): Promise<{ spa: Spa; dump: Dump }> {
  const now = io.now?.() ?? Math.floor(Date.now() / 1000);
  const msg = buildMessage(
    s,
    allowIp,
    pickUsername(s, env, userName(s)),
    now,
    (l) => io.out(`${l}\n`),
  );
  const macOpts = mac === undefined ? {} : { hmacKey: mac, hmacType: s.hmacDigestType };
  const spa = s.useGpg
    ? await encodeGpg(s, { ...msg, ...macOpts })
    : encodeSpa({ ...msg, key, mode: s.encryptionMode, ...macOpts });
  const hmacType = mac === undefined ? undefined : s.hmacDigestType;
  const dump = {
    fields: spa.fields,
    mode: s.useGpg ? EncryptionMode.ASYMMETRIC : s.encryptionMode,
    encoded: spa.encoded,
    digest: spa.digest,
    finalData: spa.wire,
    ...(hmacType === undefined ? {} : { hmacType }),
    ...(spa.hmac === undefined ? {} : { hmac: spa.hmac }),
  };
  if (s.test || s.verbose > 0) io.out(formatDump(dump) + "\n");
  return { spa, dump };
}

/** Writes the packet (`-B`/`-b`) and the args file (for `-l`). */
function saveRun(
  s: ClientSettings,
  spa: Spa,
  runFile: string | undefined,
  args: string[],
  io: ClientIo,
): void {
  if (s.savePacket !== undefined) {
    try {
      writeTextFile(s.savePacket, `${spa.wire}\n`, { append: s.savePacketAppend, mode: 0o600 });
    } catch (e) {
      throw new RuntimeError(`Cannot write packet file '${s.savePacket}': ${(e as Error).message}`);
    }
  }
  if (!s.noSaveArgs && runFile !== undefined) {
    try {
      writeTextFile(runFile, `fwknop ${args.map((a) => `${a} `).join("")}\n`, { mode: 0o600 });
    } catch (e) {
      io.err(`Could not write args file ${runFile}: ${(e as Error).message}\n`);
    }
  }
}

/** Sends the packet (or says it is not sent with `-T`); returns the bytes sent. */
async function sendSpa(
  s: ClientSettings,
  spa: Spa,
  raw: boolean,
  ua: string,
  io: ClientIo,
): Promise<number> {
  const port = s.randPort ? randomPort() : s.serverPort;
  const sport = s.sourcePort ?? randomPort();
  const host = s.destination ?? "<not set>";
  const http = s.serverProto === "http"
    ? httpSpaRequest(spa.wire, host, port, ua, s.httpProxy)
    : undefined;
  if (s.verbose > 0) {
    io.out(formatTransmit(s.serverProto, raw ? String(sport) : "<OS assigned>", port, host));
    if (http !== undefined) io.out(http.request + "\n");
  }
  if (s.test) {
    io.out(`${http !== undefined ? "Test" : "test"} mode enabled, SPA packet not actually sent.\n`);
    return 0;
  }
  if (lacksPermission({ name: "net" })) {
    throw new RuntimeError(
      "fwknop-ts needs the Deno permission --allow-net to send the SPA packet",
    );
  }
  if (raw && lacksPermission({ name: "ffi" })) {
    throw new RuntimeError(
      `fwknop-ts needs the Deno permission --allow-ffi for -P ${s.serverProto}`,
    );
  }
  // Network modules load only when something is sent: -T stays fast.
  const { resolveHost } = await import("./lib/net/ip.ts");
  const { sendRawSpa, sendTcp, sendUdp } = await import("./lib/net/send.ts");
  const ip = await resolveHost(http?.connectHost ?? host, s.ipv6 ? 6 : 4);
  if (raw && ip.includes(":")) {
    throw new UsageError(
      `-P ${s.serverProto} sends IPv4 only; use -P udp, tcp or http over IPv6`,
    );
  }
  if (http !== undefined) return await sendTcp(ip, http.connectPort, http.request, "http");
  if (s.serverProto === "udp") return await sendUdp(ip, port, spa.wire);
  if (s.serverProto === "tcp") return await sendTcp(ip, port, spa.wire);
  const src = s.spoofSource ?? await localAddressToward(ip, port);
  return await sendRawSpa({
    proto: s.serverProto as "udpraw" | "tcpraw" | "icmp",
    src,
    dst: ip,
    sport,
    dport: port,
    icmpType: s.icmpType,
    icmpCode: s.icmpCode,
  }, spa.wire);
}

/** `-T -v`: decodes the packet just built and prints it again (a bug if it fails). */
function dumpDecoded(
  s: ClientSettings,
  spa: Spa,
  dump: Dump,
  key: Uint8Array,
  mac: Uint8Array | undefined,
  io: ClientIo,
): void {
  const back = decodeSpa(spa.wire, {
    key,
    mode: s.encryptionMode,
    ...(mac === undefined ? {} : { hmacKey: mac, hmacType: s.hmacDigestType }),
  });
  if (!back.ok) {
    throw new Error(`Bug: the packet just built does not decode: ${back.reason} ${back.detail}`);
  }
  const macLen = mac === undefined ? 0 : DIGESTS.get(s.hmacDigestType)!.b64Length;
  io.out("\nDump of the Decoded Data\n");
  io.out(
    formatDump({
      ...dump,
      fields: back.fields,
      finalData: spa.wire.slice(0, spa.wire.length - macLen),
    }) + "\n",
  );
}

/**
 * `--keep-open`: sends the packet already built, runs the command, and
 * sends a fresh one at half of each grant until the command ends.
 *
 * @returns The command's exit status.
 */
async function keepOpenMode(
  s: ClientSettings,
  first: Spa,
  build: () => Promise<Spa>,
  send: (spa: Spa) => Promise<number>,
  io: ClientIo,
): Promise<number> {
  const argv = s.keepOpenCommand;
  if (lacksPermission({ name: "run", command: argv[0]! })) {
    throw new RuntimeError(
      `fwknop-ts needs the Deno permission --allow-run=${argv[0]} to run the --keep-open command`,
    );
  }
  let next: Spa | undefined = first;
  return await keepOpen(argv, renewEveryMs(s.fwTimeout), {
    send: async () => {
      const spa = next ?? await build();
      next = undefined;
      await send(spa);
    },
    spawn: async (a) => {
      try {
        return await spawnForeground(a);
      } catch (e) {
        throw new RuntimeError(`Cannot run "${a[0]}" for --keep-open: ${(e as Error).message}`);
      }
    },
    warn: (m) => io.err(`${m}\n`),
    onSignal,
    offSignal,
  });
}

/** SPA mode: checks the options, builds, saves and sends the packet. */
async function spaMode(
  s: ClientSettings,
  rc: { rcFile: string | undefined; rcText: string },
  stanzaName: string | undefined,
  updates: Map<string, string>,
  runFile: string | undefined,
  args: string[],
  io: ClientIo,
): Promise<number> {
  if (s.httpProxy !== undefined) s.serverProto = "http";
  const raw = RAW_PROTOS.includes(s.serverProto);
  checkSpaOptions(s, raw);
  if (s.saveRcStanza) {
    const [rcFile, name] = rcTarget(rc.rcFile, stanzaName);
    writeRc(rcFile, saveStanza(rc.rcText, rcFile, name, updates, s.forceStanza));
  }
  const key = s.useGpg ? new Uint8Array() : encryptionKey(s);
  const mac = hmacKey(s);
  const ua = s.userAgent ?? `Fwknop/${CLIENT_VERSION}`;
  const allowIp = await allowAddress(s, ua, io);
  const { spa, dump } = await buildSpa(s, allowIp, key, mac, io);
  saveRun(s, spa, runFile, args, io);
  if (s.keepOpen) {
    const build = async () => (await buildSpa(s, allowIp, key, mac, io)).spa;
    return await keepOpenMode(s, spa, build, (p) => sendSpa(s, p, raw, ua, io), io);
  }
  const sent = await sendSpa(s, spa, raw, ua, io);
  if (s.verbose > 0) io.out(`send_spa_packet: bytes sent: ${sent}\n`);
  if (s.test && s.verbose > 0 && !s.useGpg) dumpDecoded(s, spa, dump, key, mac, io);
  return 0;
}

/**
 * The command after `--` when `--keep-open` is given; `undefined` without it.
 *
 * @throws {UsageError} when `--keep-open` has no command after `--`, or goes with `-T`.
 */
function keepOpenCommand(
  args: readonly string[],
  parsed: { options: ParsedOption[]; positional: string[] },
): string[] | undefined {
  if (!parsed.options.some((o) => o.name === "keep-open")) return undefined;
  const at = args.indexOf("--");
  if (at < 0 || at === args.length - 1 || parsed.positional.length !== args.length - at - 1) {
    throw new UsageError(
      `${PROGRAM}: --keep-open needs the command after --, such as: ${PROGRAM} -n myserver --keep-open -- ssh myserver`,
    );
  }
  if (parsed.options.some((o) => o.name === "test")) {
    throw new UsageError(`${PROGRAM}: --keep-open sends packets; it does not go with --test`);
  }
  return args.slice(at + 1);
}

async function run(args: string[], io: ClientIo): Promise<number> {
  const parsed = getopt(args, CLIENT_OPTIONS, PROGRAM);
  const keep = keepOpenCommand(args, parsed);
  if (keep === undefined && parsed.positional.length > 0) {
    throw new UsageError(
      `${PROGRAM}: unexpected argument '${parsed.positional[0]}' (options start with - or --)`,
    );
  }
  const cli = defaultSettings();
  applyCli(cli, parsed.options);
  if (cli.help) {
    io.out(helpText());
    return 0;
  }
  if (cli.version) {
    io.out(versionLine());
    return 0;
  }
  const runFile = argsFile(cli);
  if (cli.showLast || cli.lastCmd) return await lastCommand(cli, runFile, args, io);

  // Precedence: defaults < [default] < -n stanza < command line.
  const s = defaultSettings();
  const rc = applyRcFile(cli, s, io);
  if (typeof rc === "number") return rc;
  applyCli(s, parsed.options);
  s.keepOpenCommand = keep ?? [];
  const updates = rcUpdates(parsed.options);
  const stanzaName = s.namedConfig ?? s.destination;
  if (s.keyGen) return await keyGenMode(s, rc, stanzaName, updates, io);
  if (s.qr) {
    throw new UsageError("--qr goes with --key-gen (fwknopd-ts --qr N shows a stanza's keys)");
  }
  if (s.serverMode !== undefined) return await knockMode(s, io);
  if (s.useGpg && s.gpgRecipient === undefined) {
    throw new UsageError(
      "GnuPG mode needs --gpg-recipient-key (the server's key ID or an armored key file)",
    );
  }
  return await spaMode(s, rc, stanzaName, updates, runFile, args, io);
}

/** The exit status after Ctrl-C at a prompt, as a shell reports a program SIGINT ended. */
const EXIT_INTERRUPTED = 130;

/**
 * Runs the client.
 *
 * @param args Command-line arguments without the program name.
 * @param io Where to write; defaults to the process's streams.
 * @returns The exit code: 0 ok, 1 runtime error, 2 usage error, 130 Ctrl-C at a prompt.
 */
export async function main(args: string[], io: ClientIo = defaultIo): Promise<number> {
  try {
    return await run(args, io);
  } catch (e) {
    if (e instanceof UsageError || e instanceof SpaFieldError || e instanceof SpaKeyError) {
      io.err(`${e.message}\n`);
      return 2;
    }
    if (e instanceof RuntimeError || isPermissionError(e)) {
      io.err(`${e.message}\n`);
      return 1;
    }
    // Ctrl-C at a prompt: quiet, with the status of a program SIGINT ended (128 + 2).
    if (e instanceof Interrupted) return EXIT_INTERRUPTED;
    throw e;
  }
}

if (import.meta.main) {
  setExitCode(await main(processArgs()));
}
