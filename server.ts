#!/usr/bin/env -S deno run --allow-read --allow-write --allow-run --allow-ffi --allow-net --allow-env --allow-sys
/**
 * `fwknopd-ts`: the SPA daemon, a drop-in for fwknopd 2.6. It reads an
 * existing /etc/fwknop/fwknopd.conf and access.conf, sniffs with libpcap (or
 * listens on UDP), never answers on the wire, and opens iptables rules with
 * fwknopd's chains and `_exp_` comments for as long as the stanza allows.
 *
 *     deno run -A server.ts -f -c /etc/fwknop/fwknopd.conf
 *
 * @module
 */
import { mkdirSync, statSync } from "node:fs";
import process from "node:process";
import { RuntimeError, UsageError } from "./lib/cli/errors.ts";
import { getopt, type ParsedOption } from "./lib/cli/getopt.ts";
import { openPcap } from "./lib/capture/pcap.ts";
import type { PacketSource } from "./lib/capture/packet.ts";
import { backend as cryptoBackend } from "./lib/spa/crypto.ts";
import { openUdpServer } from "./lib/capture/udp.ts";
import { type DummyTcpServer, startDummyTcpServer } from "./lib/capture/tcp_server.ts";
import { loadAccess } from "./lib/config/access_conf.ts";
import { ConfigError, folderFiles } from "./lib/config/lexer.ts";
import { loadServerConfig, type ServerConfig } from "./lib/config/server_conf.ts";
import {
  FileReplayCache,
  MemoryReplayCache,
  parseDigestFile,
  type ReplayCache,
} from "./lib/replay/file.ts";
import {
  args as processArgs,
  isDeno,
  readTextFile,
  setExitCode,
  writeErr,
  writeOut,
  writeTextFile,
} from "./lib/runtime.ts";
import { dumpConfig } from "./lib/server/dump.ts";
import { Engine, type EngineSettings } from "./lib/server/engine.ts";
import { keepRawPayload } from "./lib/policy.ts";
import { DaemonLogger } from "./lib/server/log.ts";
import { stderrIsJournal } from "./lib/server/journal.ts";
import { SERVER_OPTIONS } from "./lib/server/options.ts";
import { claimPidFile, releasePidFile, runningPid } from "./lib/server/pidfile.ts";
import { parseDigestName } from "./lib/spa/digest.ts";
import { formatKeys, generateKeys } from "./lib/spa/keygen.ts";
import { run as exec } from "./firewall/exec.ts";
import { type Chains, type ChainSpec, Iptables, parseChainSpec } from "./firewall/iptables.ts";

/** The program's version. */
export const FWKNOPD_TS_VERSION = "0.1.0";

/** Where the daemon's own output goes; tests pass their own. */
export interface ServerIo {
  out(text: string): void;
  err(text: string): void;
}

const defaultIo: ServerIo = { out: writeOut, err: writeErr };
const PROGRAM = "fwknopd-ts";
const DEFAULT_CONF = "/etc/fwknop/fwknopd.conf";

interface Flags {
  [name: string]: string | boolean | number | undefined;
}

function flags(options: ParsedOption[]): Flags {
  const f: Flags = { verbose: 0 };
  for (const o of options) {
    if (o.name === "verbose") f.verbose = (f.verbose as number) + 1;
    else f[o.name] = o.value ?? true;
  }
  return f;
}

function helpText(): string {
  const rows = SERVER_OPTIONS.filter((o) => o.long !== "daemon-child").map((o) => {
    const names = (o.short === undefined ? "    " : ` -${o.short}, `) + `--${o.long}` +
      (o.arg ? ` ${o.meta}` : "");
    return (names.length >= 34 ? `${names}\n${" ".repeat(35)}` : names.padEnd(35)) + o.help;
  });
  return [
    `fwknopd-ts ${FWKNOPD_TS_VERSION}: Single Packet Authorization daemon, compatible with fwknopd 2.6.10`,
    "",
    "Usage: fwknopd-ts [options]",
    "",
    ...rows,
    "",
    "See docs/server.md for the configuration files, permissions and signals.",
    "",
  ].join("\n");
}

function chainsFrom(c: ServerConfig): Chains {
  const spec = (name: string): ChainSpec => {
    const r = parseChainSpec(c.get(name)!);
    if (typeof r === "string") {
      throw new ConfigError({ file: c.get("CONFIG_FILE") ?? DEFAULT_CONF }, name, r);
    }
    return r;
  };
  const chains: Chains = { input: spec("IPT_INPUT_ACCESS") };
  if (c.bool("ENABLE_IPT_OUTPUT")) chains.output = spec("IPT_OUTPUT_ACCESS");
  if (c.bool("ENABLE_IPT_FORWARDING") || c.bool("ENABLE_IPT_LOCAL_NAT")) {
    chains.forward = spec("IPT_FORWARD_ACCESS");
    chains.dnat = spec("IPT_DNAT_ACCESS");
    if (c.bool("ENABLE_IPT_SNAT")) {
      chains.snat = spec("IPT_SNAT_ACCESS");
      chains.masquerade = spec("IPT_MASQUERADE_ACCESS");
    }
  }
  return chains;
}

interface Loaded {
  config: ServerConfig;
  settings: EngineSettings;
  warnings: string[];
}

function load(f: Flags): Loaded {
  const confPath = (f["config-file"] as string | undefined) ?? DEFAULT_CONF;
  const overrides = typeof f["override-config"] === "string"
    ? (f["override-config"] as string).split(",")
    : [];
  const config = loadServerConfig(confPath, overrides);
  const cli: [string, string][] = [
    ["interface", "PCAP_INTF"],
    ["pcap-filter", "PCAP_FILTER"],
    ["pcap-file", "PCAP_FILE"],
    ["digest-file", "DIGEST_FILE"],
    ["pid-file", "FWKNOP_PID_FILE"],
    ["run-dir", "FWKNOP_RUN_DIR"],
    ["gpg-home-dir", "GPG_HOME_DIR"],
    ["gpg-exe", "GPG_EXE"],
    ["sudo-exe", "SUDO_EXE"],
    ["access-file", "ACCESS_FILE"],
    ["access-folder", "ACCESS_FOLDER"],
  ];
  for (const [opt, name] of cli) if (typeof f[opt] === "string") config.set(name, f[opt] as string);
  if (f["udp-server"] === true) config.set("ENABLE_UDP_SERVER", "Y");
  if (f["pcap-any-direction"] === true) config.set("ENABLE_PCAP_ANY_DIRECTION", "Y");
  const folder = config.get("ACCESS_FOLDER");
  const accessPaths = folder !== undefined ? folderFiles(folder) : [config.get("ACCESS_FILE")!];
  const access = loadAccess(accessPaths);
  const warnings = [...config.warnings, ...access.warnings];
  for (const p of [confPath, ...overrides, ...accessPaths]) {
    try {
      if ((statSync(p).mode & 0o077) !== 0) {
        warnings.push(`${p}: permissions should be 0600 (readable by root only)`);
      }
    } catch {
      // reported when read
    }
  }
  const pcapFile = config.get("PCAP_FILE") !== undefined && config.get("ENABLE_UDP_SERVER") !== "Y";
  const aging = pcapFile && !config.has("ENABLE_SPA_PACKET_AGING")
    ? false
    : config.bool("ENABLE_SPA_PACKET_AGING");
  const settings: EngineSettings = {
    stanzas: access.stanzas,
    sudoExe: config.get("SUDO_EXE")!,
    policy: {
      test: f.test === true,
      aging,
      maxAge: config.int("MAX_SPA_PACKET_AGE"),
      http: config.bool("ENABLE_SPA_OVER_HTTP"),
      anyUserAgent: config.bool("ALLOW_ANY_USER_AGENT"),
      xForwardedFor: config.bool("ENABLE_X_FORWARDED_FOR"),
      natForwarding: config.bool("ENABLE_IPT_FORWARDING"),
      natLocal: config.bool("ENABLE_IPT_LOCAL_NAT"),
      replay: config.bool("ENABLE_DIGEST_PERSISTENCE"),
    },
  };
  return { config, settings, warnings };
}

/** Exports the keys of GnuPG stanzas from their GnuPG homes (through the gpg binary). */
async function attachGpgKeys(l: Loaded): Promise<void> {
  for (const s of l.settings.stanzas) {
    const g = s.gpgPolicy;
    if (g === undefined) continue;
    const { privateKeys, publicKeys } = await import("./lib/gpg_keys.ts");
    const src = {
      home: g.homeDir ?? l.config.get("GPG_HOME_DIR")!,
      exe: g.exe ?? l.config.get("GPG_EXE")!,
    };
    try {
      g.keys = {
        decryptionKeys: await privateKeys(src, g.decryptId, g.decryptPw),
        verificationKeys: await publicKeys(src),
      };
    } catch (e) {
      throw new ConfigError(
        s.origin,
        "GPG_HOME_DIR",
        `stanza #${s.index}: ${(e as Error).message}`,
      );
    }
  }
}

function iptablesFor(c: ServerConfig): Iptables {
  return new Iptables({
    exe: c.get("FIREWALL_EXE")!,
    chains: chainsFrom(c),
    prepend: c.bool("ENABLE_RULE_PREPEND"),
    destinationRule: c.bool("ENABLE_DESTINATION_RULE"),
    ...(c.get("SNAT_TRANSLATE_IP") === undefined
      ? {}
      : { snatTranslateIp: c.get("SNAT_TRANSLATE_IP")! }),
  }, exec);
}

/** Checks that Deno granted what this run needs; returns the missing flags. */
function missingPermissions(c: ServerConfig, f: Flags, gpgInUse: boolean): string[] {
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
  if (f.test !== true) {
    need.push([
      { name: "run", command: c.get("FIREWALL_EXE") },
      `--allow-run=${c.get("FIREWALL_EXE")} (firewall)`,
    ]);
  }
  const udp = c.bool("ENABLE_UDP_SERVER");
  if (udp || c.bool("ENABLE_TCP_SERVER")) {
    need.push([{ name: "net" }, "--allow-net (UDP or TCP server)"]);
  }
  if (!udp) need.push([{ name: "ffi" }, "--allow-ffi (libpcap)"]);
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

async function daemonize(args: string[], pidFile: string, io: ServerIo): Promise<number> {
  // deno-lint-ignore no-explicit-any
  const D: any = (globalThis as any).Deno;
  if (!isDeno) {
    throw new RuntimeError("Cannot detach under Node: run with -f (systemd Type=simple)");
  }
  const child = new D.Command(D.execPath(), {
    args: [
      "run",
      "-A",
      new URL(import.meta.url).pathname,
      "--daemon-child",
      "-f",
      "--syslog-enable",
      ...args,
    ],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  child.unref();
  for (let i = 0; i < 100; i++) {
    const pid = runningPid(pidFile);
    if (pid === child.pid) {
      io.out(`fwknopd-ts started in the background (pid ${pid}); it logs to syslog\n`);
      return 0;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new RuntimeError("The background daemon did not start: run with -f to see why");
}

async function control(f: Flags, pidFile: string, io: ServerIo): Promise<number | undefined> {
  const pid = runningPid(pidFile);
  if (f.status === true) {
    io.out(
      pid === undefined
        ? "No running fwknopd-ts detected.\n"
        : `Detected fwknopd-ts is running (pid=${pid}).\n`,
    );
    return pid === undefined ? 1 : 0;
  }
  if (f.kill === true || f.restart === true) {
    if (pid === undefined) {
      io.err("No running fwknopd-ts detected.\n");
      return 1;
    }
    if (f.restart === true) {
      process.kill(pid, "SIGHUP");
      io.out(`Sent restart signal to fwknopd-ts (pid=${pid}).\n`);
      return 0;
    }
    process.kill(pid, "SIGTERM");
    for (let i = 0; i < 40 && runningPid(pidFile) === pid; i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    if (runningPid(pidFile) === pid) process.kill(pid, "SIGKILL");
    io.out(`Killed fwknopd-ts (pid=${pid})\n`);
    return 0;
  }
  return undefined;
}

async function runDaemon(args: string[], f: Flags, io: ServerIo): Promise<number> {
  let loaded = load(f);
  const c = loaded.config;
  const log = new DaemonLogger({
    verbose: (f.verbose as number) + c.int("VERBOSE"),
    stderr: true,
    syslog: f["syslog-enable"] === true,
    ident: c.get("SYSLOG_IDENTITY")!,
    write: io.err,
    journal: stderrIsJournal(),
  });
  for (const w of loaded.warnings) log.log("warning", w);
  const pidFile = c.get("FWKNOP_PID_FILE")!;
  const fw = iptablesFor(c);

  if (f["dump-config"] === true) {
    io.out(dumpConfig(c, loaded.settings.stanzas));
    return 0;
  }
  if (f["exit-parse-config"] === true) {
    io.out("configuration OK\n");
    return 0;
  }
  const ctl = await control(f, pidFile, io);
  if (ctl !== undefined) return ctl;
  if (f["fw-list"] === true) {
    io.out(await fw.list());
    return 0;
  }
  if (f["fw-list-all"] === true) {
    io.out(await fw.listAll());
    return 0;
  }
  if (f["fw-flush"] === true) {
    await fw.flush();
    io.out("Flushed fwknopd-ts rules and chains.\n");
    return 0;
  }
  const digestFile = c.get("DIGEST_FILE")!;
  if (f["exit-parse-digest-cache"] === true) {
    const { entries, bad } = parseDigestFile(readTextFile(digestFile));
    io.out(
      `Digest cache ${digestFile}: ${entries.size} entries${
        bad.length > 0 ? `, unreadable lines: ${bad.join(", ")}` : ""
      }\n`,
    );
    return bad.length > 0 ? 1 : 0;
  }
  const missing = missingPermissions(
    c,
    f,
    loaded.settings.stanzas.some((s) => s.gpgPolicy !== undefined),
  );
  if (missing.length > 0) {
    throw new RuntimeError(`fwknopd-ts needs these Deno permissions: ${missing.join(", ")}`);
  }
  if (f.foreground !== true && f["daemon-child"] !== true) {
    return await daemonize(args, pidFile, io);
  }

  await attachGpgKeys(loaded);
  const runDir = c.get("FWKNOP_RUN_DIR")!;
  mkdirSync(runDir, { recursive: true, mode: 0o700 });
  claimPidFile(pidFile, process.pid);
  const test = f.test === true;
  const replay: ReplayCache = c.bool("ENABLE_DIGEST_PERSISTENCE")
    ? FileReplayCache.open(digestFile, f["rotate-digest-cache"] === true)
    : new MemoryReplayCache();
  log.log("info", `Using Digest Cache: '${digestFile}' (entry count = ${replay.size})`);
  log.log("debug", `Crypto: ${cryptoBackend.name}`);
  let source: PacketSource | undefined;
  let engine: Engine | undefined;
  let ticker: ReturnType<typeof setInterval> | undefined;
  let tcpServer: DummyTcpServer | undefined;
  try {
    if (!test) {
      if (c.bool("FLUSH_IPT_AT_INIT")) await fw.flush();
      await fw.ensureChains();
    }
    engine = new Engine(
      loaded.settings,
      replay,
      test ? undefined : fw,
      log,
      exec,
      () => Math.floor(Date.now() / 1000),
    );
    // Rules left by a crash (FLUSH_IPT_AT_INIT N) expire on their recorded time.
    if (!test) await engine.expire(true);
    if (c.bool("ENABLE_UDP_SERVER")) {
      const udp = await openUdpServer(c.int("UDPSERV_PORT"));
      source = udp;
      log.log("info", `Kicking off UDP server to listen on port ${c.int("UDPSERV_PORT")}.`);
      log.log("debug", `UDP receive path: ${udp.kind}`);
    } else {
      const file = c.get("PCAP_FILE");
      source = await openPcap({
        ...(file === undefined ? { intf: c.get("PCAP_INTF")! } : { file }),
        filter: c.get("PCAP_FILTER")!,
        promisc: c.bool("ENABLE_PCAP_PROMISC"),
        snaplen: c.int("MAX_SNIFF_BYTES"),
        anyDirection: c.bool("ENABLE_PCAP_ANY_DIRECTION"),
      });
      log.log(
        "info",
        file === undefined
          ? `Sniffing interface: ${c.get("PCAP_INTF")}`
          : `Reading pcap file: ${file}`,
      );
      log.log("info", `PCAP filter is: '${c.get("PCAP_FILTER")}'`);
      for (const w of source.warnings ?? []) log.log("warning", w);
    }
    if (c.bool("ENABLE_TCP_SERVER")) {
      tcpServer = await startDummyTcpServer(c.int("TCPSERV_PORT"));
      log.log("info", `Kicking off TCP server to listen on port ${c.int("TCPSERV_PORT")}.`);
    }
    const src = source;
    const eng = engine;
    const stop = () => src.close();
    const hup = () => {
      void (async () => {
        try {
          const next = load(f);
          await attachGpgKeys(next);
          loaded = next;
          for (const w of loaded.warnings) log.log("warning", w);
          eng.reload(loaded.settings);
          log.log("info", "Re-read the configuration (SIGHUP); granted rules stay in place.");
        } catch (e) {
          log.log("error", `Cannot reload, keeping the old configuration: ${(e as Error).message}`);
        }
      })();
    };
    const signals: [Deno.Signal, () => void][] = [["SIGTERM", stop], ["SIGINT", stop], [
      "SIGHUP",
      hup,
    ]];
    for (const [s, h] of signals) process.on(s, h);
    let ticks = 0;
    const deepEvery = c.int("RULES_CHECK_THRESHOLD");
    let expiring = false;
    ticker = setInterval(() => {
      if (expiring) return;
      expiring = true;
      ticks++;
      eng.expire(deepEvery > 0 && ticks % deepEvery === 0).catch((e) =>
        log.log("error", `Expiry failed: ${(e as Error).message}`)
      )
        .finally(() => expiring = false);
    }, 1000);
    log.log("info", "Starting fwknopd-ts main event loop.");
    const limit = typeof f["packet-limit"] === "string" ? Number(f["packet-limit"]) : 0;
    let n = 0;
    // Garbage is turned away on its raw bytes, before it costs a string; with
    // -v every drop is logged instead, so every payload goes the whole way.
    const keep = log.wants("debug")
      ? undefined
      : (first: number, length: number) => keepRawPayload(eng.policy, first, length);
    // -C counts every packet read, also those the prefilter turned away.
    const reached = () => {
      if (limit === 0 || n + src.screened < limit) return false;
      log.log("info", `Packet count limit (${limit}) reached. Exiting...`);
      return true;
    };
    read: for await (const batch of src.batches(keep)) {
      log.hold(); // one stderr write per batch
      try {
        for (const pkt of batch) {
          const busy = eng.handle(pkt);
          if (busy !== undefined) await busy;
          n++;
          if (reached()) break read;
        }
        if (reached()) break;
      } finally {
        log.flush();
      }
    }
    for (const [s, h] of signals) process.off(s, h);
    const st = eng.stats;
    // What the prefilter turned away never reached the engine; it was refused too.
    const lost = src.dropped ? `; ${src.dropped} dropped because the queue was full` : "";
    log.log(
      "info",
      `Processed ${st.packets + src.screened} packets: ${
        test ? `${st.testAccepted} accepted (test mode)` : `${st.granted} granted`
      }, ${st.refused + src.screened} refused${lost}.`,
    );
    log.log("info", "Shutting down fwknopd-ts.");
    return 0;
  } finally {
    source?.close();
    tcpServer?.close();
    if (ticker !== undefined) clearInterval(ticker);
    await engine?.closeCycles();
    if (!test && c.bool("FLUSH_IPT_AT_EXIT")) await fw.flush();
    replay.close();
    releasePidFile(pidFile, process.pid);
    log.close();
  }
}

async function run(args: string[], io: ServerIo): Promise<number> {
  const f = flags(getopt(args, SERVER_OPTIONS, PROGRAM).options);
  if (f.help === true) {
    io.out(helpText());
    return 0;
  }
  if (f.version === true) {
    io.out(
      `fwknopd-ts server ${FWKNOPD_TS_VERSION} (compatible with fwknopd 2.6.10), firewall: iptables\n`,
    );
    return 0;
  }
  if (f["key-gen"] === true || typeof f["key-gen-file"] === "string") {
    const num = (k: string, lo: number, hi: number) => {
      if (f[k] === undefined) return undefined;
      const v = Number(f[k]);
      if (!Number.isInteger(v) || v < lo || v > hi) {
        throw new UsageError(`Invalid value '${f[k]}' for --${k}: expected ${lo} to ${hi}`);
      }
      return v;
    };
    const hmacType = f["hmac-digest-type"] === undefined
      ? undefined
      : parseDigestName(f["hmac-digest-type"] as string);
    if (f["hmac-digest-type"] !== undefined && hmacType === undefined) {
      throw new UsageError(`Invalid value '${f["hmac-digest-type"]}' for --hmac-digest-type`);
    }
    const keyLen = num("key-len", 1, 32);
    const hmacKeyLen = num("hmac-key-len", 1, 128);
    const keys = generateKeys({
      ...(keyLen === undefined ? {} : { keyLen }),
      ...(hmacKeyLen === undefined ? {} : { hmacKeyLen }),
      ...(hmacType === undefined ? {} : { hmacType }),
    });
    if (typeof f["key-gen-file"] === "string") {
      writeTextFile(f["key-gen-file"] as string, formatKeys(keys), { mode: 0o600 });
      io.out(`[+] Wrote Rijndael and HMAC keys to: ${f["key-gen-file"]}`);
    } else io.out(formatKeys(keys));
    return 0;
  }
  const exclusive = ["dump-config", "kill", "restart", "status"].filter((k) => f[k] === true);
  if (exclusive.length > 1) {
    throw new UsageError(
      `-D, -K, -R and -S cannot be combined (got ${exclusive.map((k) => `--${k}`).join(", ")})`,
    );
  }
  return await runDaemon(args, f, io);
}

/**
 * Runs the daemon (or one of its maintenance commands).
 *
 * @param args Command-line arguments without the program name.
 * @param io Where to write; defaults to the process's streams.
 * @returns The exit code: 0 ok, 1 runtime or configuration error, 2 usage error.
 */
export async function main(args: string[], io: ServerIo = defaultIo): Promise<number> {
  try {
    return await run(args, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`${e.message}\n`);
      return 2;
    }
    if (e instanceof ConfigError) {
      io.err(`Configuration error: ${e.message}\n`);
      return 1;
    }
    if (e instanceof RuntimeError || e instanceof Error) {
      io.err(`${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

if (import.meta.main) {
  setExitCode(await main(processArgs()));
}
