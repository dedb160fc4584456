/**
 * The running daemon: builds the components (replay cache, firewall and
 * grant table, engine, packet source), runs the packet loop, answers
 * signals (SIGHUP reloads fwknopd.conf and access.conf keeping live grants,
 * SIGTERM/SIGINT stop) and shuts down in order.
 *
 * @module
 */
import { exists, makeDir } from "../sys/files.ts";
import { dirname, resolve } from "../sys/paths.ts";
import { offSignal, onSignal, pid, type Signal } from "../sys/process.ts";
import { run as exec } from "../sys/exec.ts";
import { GrantTable } from "../../firewall/grants.ts";
import { Iptables } from "../../firewall/iptables.ts";
import type { FirewallBackend } from "../../firewall/backend.ts";
import type { PacketSource } from "../capture/packet.ts";
import { openPcap } from "../capture/pcap.ts";
import { openCapture } from "../capture/open_capture.ts";
import { type DummyTcpServer, startDummyTcpServer } from "../capture/tcp_server.ts";
import { openUdpServer } from "../capture/udp.ts";
import type { ServerConfig } from "../config/server_conf.ts";
import { ConfigError } from "../config/lexer.ts";
import { FileReplayCache, MemoryReplayCache, type ReplayCache } from "../replay/file.ts";
import { backend as cryptoBackend } from "../spa/crypto.ts";
import { Engine } from "./engine.ts";
import type { ServerFlags } from "./flags.ts";
import { attachGpgKeys, load, type Loaded } from "./load.ts";
import type { DaemonLogger } from "./log.ts";
import { claimPidFile, releasePidFile } from "./pidfile.ts";
import type { DaemonFleet } from "./fleet_setup.ts";
import { fleetOptions } from "../fleet/options.ts";
import { Metrics, serveMetrics } from "./metrics.ts";
import { CaptureHolder, runCapture } from "./capture_loop.ts";
import { fault } from "../fault.ts";
import { RuntimeError } from "../cli/errors.ts";
import { ownUid } from "../sys/nofollow.ts";
import { checkDir, nearestExisting } from "../sys/safe_dir.ts";
import { dirView } from "../sys/dir_view.ts";
import type { GuardedListener } from "../sys/listen.ts";
import { makeBackend } from "./firewall_config.ts";
import { knockFilter } from "../../knock/filter.ts";
import { fileSource, kmsgSource, type LogSource } from "../../knock/log_source.ts";
import { JOURNALCTL, journalSource } from "../../knock/journal_source.ts";
import type { KnockStanza } from "../../knock/watcher.ts";
import type { Alerts } from "../alerts/alerts.ts";
import { startAlerts } from "./alerts_start.ts";
import { restartWarnings } from "./restart_vars.ts";
import { reloadKnocks } from "./knock_reload.ts";
import { packetDumper } from "./packet_dump.ts";
import { checkNftDrop } from "./nft_drop_check.ts";

async function openSource(
  c: ServerConfig,
  log: DaemonLogger,
  knocks: readonly KnockStanza[],
): Promise<PacketSource> {
  if (c.bool("ENABLE_UDP_SERVER")) {
    const udp = await openUdpServer(serverPort(c, "UDPSERV_PORT"));
    log.log("info", `Kicking off UDP server to listen on port ${c.int("UDPSERV_PORT")}.`);
    log.log("debug", `UDP receive path: ${udp.kind}`);
    return udp;
  }
  const file = c.get("PCAP_FILE");
  const fromPcap = c.get("KNOCK_SOURCE") === "pcap";
  const filter = fromPcap ? knockFilter(c.get("PCAP_FILTER")!, knocks) : c.get("PCAP_FILTER")!;
  const o = {
    filter,
    promisc: c.bool("ENABLE_PCAP_PROMISC"),
    snaplen: c.int("MAX_SNIFF_BYTES"),
    anyDirection: c.bool("ENABLE_PCAP_ANY_DIRECTION"),
    knocks: fromPcap && knocks.length > 0,
    screen: true,
  };
  // PCAP_INTF: one interface, a list or auto; each logs its "Sniffing interface:" line.
  const source = file === undefined
    ? await openCapture(c.get("PCAP_INTF")!, o, {
      log: (level, msg) => log.log(level, msg),
      exitAtIntfDown: c.bool("EXIT_AT_INTF_DOWN"),
    })
    : await openPcap({ ...o, file });
  if (file !== undefined) log.log("info", `Reading pcap file: ${file}`);
  log.log("info", `PCAP filter is: '${filter}'`);
  for (const w of source.warnings ?? []) log.log("warning", w);
  return source;
}

/** UDPSERV_PORT / TCPSERV_PORT when the server starts (loaded wide, as fwknopd loads them). */
function serverPort(c: ServerConfig, name: string): number {
  const p = c.int(name);
  if (p < 1 || p > 65535) {
    throw new ConfigError(c.origin(name), name, `${p} is not a port (1 to 65535)`);
  }
  return p;
}

/** The firewall side: backend and grant table, initialised (FLUSH_IPT_AT_INIT first). */
async function startFirewall(c: ServerConfig, log: DaemonLogger): Promise<GrantTable> {
  const fw: FirewallBackend = await makeBackend(c, exec);
  const grants = new GrantTable(fw, {
    nowMs: Date.now,
    log: (level, msg) => log.log(level, msg),
    timers: true,
  });
  if (c.flushAt("INIT")) await grants.run((b) => b.flush());
  // Rules left by a crash (FLUSH_IPT_AT_INIT N) are swept on their recorded time.
  await grants.init();
  if (fw instanceof Iptables) fw.logTo((level, msg) => log.log(level, msg));
  await checkNftDrop(c, exec, log);
  for (const n of (fw as FirewallBackend).notes ?? []) log.log("info", n);
  log.log("debug", `Firewall: ${fw.name}`);
  return grants;
}

/** The log source KNOCK_SOURCE names, and the line that says where knocks are read from. */
function openLogSource(c: ServerConfig, log: DaemonLogger): LogSource {
  const kind = c.get("KNOCK_SOURCE");
  if (kind === "kmsg") {
    log.log("info", "Reading knocks from /dev/kmsg (kernel records only)");
    return kmsgSource();
  }
  if (kind === "journal") {
    const dir = c.get("KNOCK_JOURNAL_DIR");
    log.log(
      "info",
      `Reading knocks from the journal${
        dir === undefined ? "" : ` in ${dir}`
      } (kernel records only)`,
    );
    return journalSource(JOURNALCTL, dir);
  }
  // KNOCK_SOURCE syslog: load refused it unless KNOCK_SYSLOG_FORGEABLE Y.
  log.log("info", `Reading knocks from ${c.get("IPT_SYSLOG_FILE")}`);
  log.log(
    "warning",
    `KNOCK_SOURCE syslog: any local user can forge knocks through ${
      c.get("IPT_SYSLOG_FILE")
    } (logger writes the same lines); use kmsg, journal or pcap instead`,
  );
  return fileSource(c.get("IPT_SYSLOG_FILE")!);
}

/**
 * Knocks from kernel LOG lines (KNOCK_SOURCE kmsg, journal or syslog), fed
 * to the engine beside the capture. A source that fails is logged; SPA goes on.
 */
function startLogSource(c: ServerConfig, eng: Engine, log: DaemonLogger): LogSource | undefined {
  if (c.get("KNOCK_SOURCE") === "pcap") return undefined;
  const src = openLogSource(c, log);
  void (async () => {
    try {
      for await (const pkt of src.packets()) {
        const busy = eng.handle(pkt, "log");
        if (busy !== undefined) await busy;
      }
    } catch (e) {
      log.log("error", `Knock log source stopped: ${(e as Error).message}`);
    }
  })();
  return src;
}

/**
 * SIGHUP: re-reads fwknopd.conf and access.conf; live grants and pending
 * closes stay, and new knock stanzas are heard at once (knock_reload.ts).
 */
function reloader(
  f: ServerFlags,
  state: { loaded: Loaded },
  eng: Engine,
  log: DaemonLogger,
  fleet: DaemonFleet | undefined,
  r: Running,
) {
  return () => {
    void (async () => {
      try {
        const next = load(f);
        await attachGpgKeys(next);
        const before = state.loaded.config;
        for (const w of restartWarnings(before, next.config)) log.log("warning", w);
        for (const w of next.warnings) log.log("warning", w);
        reloadKnocks(state.loaded, next, {
          capture: r.holder?.current,
          logSource: r.logSource !== undefined,
          // The source KNOCK_SOURCE named at start (a change waits for the restart).
          startLogSource: () => r.logSource = startLogSource(before, eng, log),
        }, log);
        state.loaded = next;
        eng.reload(next.settings);
        fleet?.reload(next.settings.stanzas);
        log.log("info", "Re-read the configuration (SIGHUP); granted rules stay in place.");
      } catch (e) {
        log.log("error", `Cannot reload, keeping the old configuration: ${(e as Error).message}`);
      }
    })();
  };
}

/** Reads packets until the source ends or `-C` is reached. */
async function packetLoop(
  src: PacketSource,
  eng: Engine,
  log: DaemonLogger,
  limit: number,
): Promise<number> {
  let n = 0;
  // Garbage is turned away on its raw bytes, before it costs a string; with
  // -v every drop is logged instead, so every payload goes the whole way.
  // Knocks are decided there too, before a packet object exists.
  const keep = log.wants("debug") ? undefined : eng.prefilter.bind(eng);
  // -C counts every packet read, also those the prefilter turned away.
  const reached = () => {
    if (limit === 0 || n + src.screened < limit) return false;
    log.log("info", `Packet count limit (${limit}) reached. Exiting...`);
    return true;
  };
  if (fault("capture")) throw new Error("injected fault: capture");
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
  return n;
}

/** fwknopd's deep scan every RULES_CHECK_THRESHOLD seconds: rules of other runs expire too. */
function deepScan(
  c: ServerConfig,
  grants: GrantTable | undefined,
): ReturnType<typeof setInterval> | undefined {
  const every = c.int("RULES_CHECK_THRESHOLD");
  if (grants === undefined || every <= 0) return undefined;
  let ticks = 0;
  return setInterval(() => {
    if (++ticks % every === 0) void grants.expire(true);
  }, 1000);
}

/** fwknopd's lines on the way out (the signal, if one ended the loop), with our summary. */
function logExit(
  log: DaemonLogger,
  ident: string,
  caught: string | undefined,
  processed: string,
  engine: Engine,
): void {
  log.log("info", `Gracefully leaving the ${ident} event loop.`);
  if (caught !== undefined) log.log("warning", `Got ${caught}. Exiting...`);
  log.log("info", processed);
  const kw = engine.knocks;
  if (kw !== undefined) {
    log.log(
      "info",
      `Knock state: ${kw.tracked} sources in progress, ${kw.evicted} evicted at the cap.`,
    );
  }
  log.log("info", `Shutting Down ${ident}.`);
}

/**
 * The run directory, made with fwknopd's two lines when it is missing; it
 * and the directories of the files the daemon writes must be safe (owner
 * and mode, as OpenSSH's StrictModes: lib/sys/safe_dir.ts), else a local
 * user could plant links there that make root write elsewhere.
 *
 * @param dir `FWKNOP_RUN_DIR`.
 * @param files Other files the daemon writes (pid file, digest file).
 * @throws {RuntimeError} naming the directory at fault and why.
 */
async function makeRunDir(dir: string, files: readonly string[], log: DaemonLogger): Promise<void> {
  const uid = ownUid() ?? 0;
  const view = await dirView();
  const refuse = (what: string, d: string, at: string) => {
    const r = checkDir(at, uid, view);
    if (r.unsafe !== undefined) throw new RuntimeError(`Cannot use ${what} "${d}": ${r.unsafe}`);
    if (r.unchecked.length > 0) {
      const list = r.unchecked.map((u) => `"${u}"`).join(", ");
      log.log(
        "warning",
        `Cannot check the parents of ${what} "${d}" (${list}): add --allow-ffi to check them`,
      );
    }
  };
  if (!exists(dir)) {
    // Through the view (FFI when allowed): the parents may be outside the read permission.
    const seen = (p: string) => {
      try {
        view.stat(p);
        return true;
      } catch {
        return false;
      }
    };
    refuse("the run directory", dir, nearestExisting(resolve(dir), seen));
    log.log("info", `Run directory: ${dir} does not exist. Attempting to create it.`);
    makeDir(dir, { recursive: true, mode: 0o700 });
    log.log("info", `Successfully created Run directory: ${dir}`);
  }
  refuse("the run directory", dir, dir);
  for (const f of files) {
    const d = dirname(resolve(f));
    if (d !== resolve(dir) && exists(d)) refuse(`the directory of "${f}"`, d, d);
  }
}

/**
 * The digest cache (DIGEST_FILE). A file that cannot be used (a link planted
 * there, no permission, a full disk) stops the start with its reason and no
 * stack, and the pid file just claimed is given back.
 */
function openDigestCache(file: string, f: ServerFlags, pidFile: string): ReplayCache {
  try {
    return FileReplayCache.open(file, f.rotateDigestCache);
  } catch (e) {
    releasePidFile(pidFile, pid());
    throw new RuntimeError(`DIGEST_FILE: ${(e as Error).message}`);
  }
}

function summary(eng: Engine, src: PacketSource, test: boolean): string {
  const st = eng.stats;
  // What the prefilter turned away never reached the engine; it was refused too.
  const lost = src.dropped ? `; ${src.dropped} lost in capture (the buffer was full)` : "";
  const failed = st.failed > 0 ? `, ${st.failed} failed` : "";
  return `Processed ${st.packets + src.screened} packets: ${
    test ? `${st.testAccepted} accepted (test mode)` : `${st.granted} granted`
  }, ${st.refused + src.screened} refused${failed}${lost}.`;
}

/** What the daemon holds while it runs, released in order by {@linkcode shutdown}. */
interface Running {
  pidFile: string;
  alerts?: Alerts;
  replay: ReplayCache;
  fleet: DaemonFleet | undefined;
  source?: PacketSource;
  grants?: GrantTable;
  engine?: Engine;
  tcpServer?: DummyTcpServer;
  ticker?: ReturnType<typeof setInterval>;
  logSource?: LogSource;
  metricsServer?: GuardedListener;
  httpsServer?: GuardedListener;
  holder?: CaptureHolder;
  signals: [Signal, () => void][];
}

/** Step 1: GnuPG keys, the run directory, the pid file, the replay cache and the fleet link. */
async function prepare(f: ServerFlags, loaded: Loaded, log: DaemonLogger): Promise<Running> {
  const c = loaded.config;
  const pidFile = c.get("FWKNOP_PID_FILE")!;
  const digestFile = c.get("DIGEST_FILE")!;
  await attachGpgKeys(loaded);
  const persist = c.bool("ENABLE_DIGEST_PERSISTENCE");
  await makeRunDir(c.get("FWKNOP_RUN_DIR")!, persist ? [pidFile, digestFile] : [pidFile], log);
  for (const n of loaded.notices) log.log("info", n);
  const pidWarning = await claimPidFile(pidFile, pid());
  if (pidWarning !== undefined) log.log("warning", pidWarning);
  const local: ReplayCache = persist
    ? openDigestCache(digestFile, f, pidFile)
    : new MemoryReplayCache();
  log.log("debug", `Using Digest Cache: '${digestFile}' (entry count = ${local.size})`);
  let fleet: DaemonFleet | undefined;
  try {
    // Loaded only with a fleet: the Redis client and the fleet code cost memory otherwise.
    if (fleetOptions(c) !== undefined) {
      const { DaemonFleet } = await import("./fleet_setup.ts");
      fleet = await DaemonFleet.open(c, local, loaded.settings.policy, log);
    }
  } catch (e) {
    local.close();
    releasePidFile(pidFile, pid());
    throw e;
  }
  log.log("debug", `Crypto: ${cryptoBackend.name}`);
  return { pidFile, replay: fleet?.replay ?? local, fleet, signals: [] };
}

/** Step 2: the firewall, the engine, the packet and log sources and the TCP server. */
async function startServices(
  f: ServerFlags,
  loaded: Loaded,
  log: DaemonLogger,
  r: Running,
  metrics: Metrics,
): Promise<Engine> {
  const c = loaded.config;
  const fleet = r.fleet;
  if (!f.test) r.grants = await startFirewall(c, log);
  const dump = packetDumper(log.verbose, (lines) => log.logAll(lines));
  const engine = new Engine(loaded.settings, {
    replay: r.replay,
    grants: r.grants,
    log,
    run: exec,
    nowMs: Date.now,
    ...(c.bool("ENABLE_METRICS") ? { metrics } : {}),
    ...(fleet === undefined ? {} : { publish: fleet.publish }),
    ...(r.alerts === undefined ? {} : { granted: (g) => r.alerts!.granted(g) }),
    ...(dump === undefined ? {} : { dump }),
  });
  r.engine = engine;
  fleet?.start(r.grants, loaded.settings.stanzas, log);
  r.source = await openSource(c, log, loaded.settings.knocks ?? []);
  const nk = loaded.settings.knocks?.length ?? 0;
  if (nk > 0) {
    log.log(
      "info",
      `Watching ${nk} knock stanza${nk === 1 ? "" : "s"} (${c.get("KNOCK_SOURCE")}).`,
    );
    r.logSource = startLogSource(c, engine, log);
  }
  if (c.bool("ENABLE_TCP_SERVER")) {
    r.tcpServer = await startDummyTcpServer(
      serverPort(c, "TCPSERV_PORT"),
      (msg) => log.log("warning", msg),
    );
    log.log("info", `Kicking off TCP server to listen on port ${c.int("TCPSERV_PORT")}.`);
  }
  if (c.bool("ENABLE_HTTPS_SERVER")) {
    // Loaded only when enabled: the HTTPS listener and the web client's files.
    const { startHttpsServer } = await import("./https_setup.ts");
    r.httpsServer = await startHttpsServer(c, engine, log);
  }
  return engine;
}

/** Step 3 (with ENABLE_METRICS): the gauges and the metrics server. */
async function startMetrics(
  c: Loaded["config"],
  metrics: Metrics,
  r: Running,
  holder: CaptureHolder,
  eng: Engine,
  log: DaemonLogger,
): Promise<void> {
  const { grants, fleet } = r;
  metrics.gauges = {
    screened: () => holder.current.screened,
    captureDropped: () => holder.current.dropped ?? 0,
    knockSources: () => eng.knocks?.tracked ?? 0,
    ...(grants === undefined ? {} : { liveGrants: () => grants.size }),
    ...(fleet === undefined ? {} : { redisUp: () => (fleet.link.up ? 1 : 0) }),
  };
  r.metricsServer = await serveMetrics(
    c.get("METRICS_ADDRESS")!,
    metrics,
    (msg) => log.log("warning", msg),
  );
  log.log("info", `Serving metrics on http://${c.get("METRICS_ADDRESS")}/metrics`);
}

/** Last step: releases what the daemon holds, in order, whatever happened. */
async function shutdown(r: Running, c: Loaded["config"], log: DaemonLogger): Promise<void> {
  for (const [s, h] of r.signals) offSignal(s, h);
  r.source?.close();
  r.holder?.current.close();
  r.logSource?.close();
  await r.metricsServer?.close();
  await r.httpsServer?.close();
  r.tcpServer?.close();
  if (r.ticker !== undefined) clearInterval(r.ticker);
  await r.engine?.idle();
  await r.engine?.closeCycles();
  await r.fleet?.close();
  await r.grants?.close();
  if (r.grants !== undefined && c.flushAt("EXIT")) await r.grants.run((b) => b.flush());
  r.replay.close();
  releasePidFile(r.pidFile, pid());
  log.tap = undefined;
  await r.alerts?.close();
  log.close();
}

/**
 * Runs the daemon until a signal or the end of the packets.
 *
 * @param f The command line.
 * @param loaded The configuration.
 * @param log The logger.
 * @returns The exit code.
 */
export async function runDaemon(
  f: ServerFlags,
  loaded: Loaded,
  log: DaemonLogger,
): Promise<number> {
  const c = loaded.config;
  // fwknopd's name in its own lines ("Starting fwknopd"), as log watchers match it.
  const ident = c.get("SYSLOG_IDENTITY")!;
  const r = await prepare(f, loaded, log);
  r.alerts = startAlerts(c, log);
  const metrics = new Metrics(f.test ? "none" : c.get("FIREWALL_TYPE")!);
  const state = { loaded };
  try {
    log.log("info", `Starting ${ident}`);
    const engine = await startServices(f, loaded, log, r, metrics);
    const holder = new CaptureHolder(r.source!);
    r.holder = holder;
    r.source = undefined; // the holder owns it from here (it may be reopened)
    let caught: string | undefined;
    const stop = (sig: string) => () => {
      caught ??= sig;
      holder.stop();
    };
    r.signals.push(["SIGTERM", stop("SIGTERM")], ["SIGINT", stop("SIGINT")], [
      "SIGHUP",
      reloader(f, state, engine, log, r.fleet, r),
    ]);
    for (const [s, h] of r.signals) onSignal(s, h);
    r.ticker = deepScan(c, r.grants);
    if (c.bool("ENABLE_METRICS")) await startMetrics(c, metrics, r, holder, engine, log);
    log.log("info", `Starting ${ident} main event loop.`);
    const limit = f.packetLimit === undefined ? 0 : Number(f.packetLimit);
    await runCapture(
      holder,
      (s) => packetLoop(s, engine, log, limit),
      // Reopened with the knock stanzas of the last reload.
      () => openSource(c, log, state.loaded.settings.knocks ?? []),
      log,
      c.bool("EXIT_AT_INTF_DOWN"),
    );
    logExit(log, ident, caught, summary(engine, holder.current, f.test), engine);
    return 0;
  } finally {
    await shutdown(r, c, log);
  }
}
