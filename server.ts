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
import { statusPath } from "./lib/fleet/status.ts";
import { UsageError } from "./lib/cli/errors.ts";
import { getopt } from "./lib/cli/getopt.ts";
import { optionRows } from "./lib/cli/help_rows.ts";
import { FirewallError } from "./firewall/backend.ts";
import { ConfigError } from "./lib/config/lexer.ts";
import { FIREWALL_TYPES } from "./lib/config/server_conf.ts";
import { RuntimeError } from "./lib/cli/errors.ts";
import {
  args as processArgs,
  isPermissionError,
  setExitCode,
  writeErr,
  writeOut,
} from "./lib/sys/runtime.ts";
import { control, daemonize, type ServerIo } from "./lib/server/control.ts";
import { runDaemon } from "./lib/server/daemon.ts";
import { VERSION } from "./lib/version.ts";
import { dumpConfig } from "./lib/server/dump.ts";
import { type ServerFlags, serverFlags } from "./lib/server/flags.ts";
import { stderrIsJournal } from "./lib/server/journal.ts";
import { load } from "./lib/server/load.ts";
import { checkRunDirAbsolute } from "./lib/server/run_dir.ts";
import { DaemonLogger, fatalLine } from "./lib/server/log.ts";
import { keyGen, maintenance, stanzaQr } from "./lib/server/maintenance.ts";
import { SERVER_OPTIONS } from "./lib/server/options.ts";
import {
  childPermissionFlags,
  foregroundFlags,
  missingPermissions,
  needsContext,
} from "./lib/server/permissions.ts";

export type { ServerIo } from "./lib/server/control.ts";

/** The program's version (from `lib/version.ts`). */
export const FWKNOPD_TS_VERSION: string = VERSION;

const defaultIo: ServerIo = { out: writeOut, err: writeErr };
const PROGRAM = "fwknopd-ts";

function helpText(): string {
  const rows = optionRows(SERVER_OPTIONS);
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

/** What `main` learns while starting: with LOG_FORMAT json a fatal error is a JSON line too. */
interface Started {
  json: boolean;
}

/** Loads the configuration and runs what the command line asks for. */
async function start(
  args: string[],
  f: ServerFlags,
  io: ServerIo,
  started: Started,
): Promise<number> {
  const loaded = load(f);
  const c = loaded.config;
  started.json = c.get("LOG_FORMAT") === "json";
  const log = new DaemonLogger({
    verbose: f.verbose + c.int("VERBOSE"),
    stderr: true,
    syslog: f.syslogEnable,
    ident: c.get("SYSLOG_IDENTITY")!,
    write: io.err,
    journal: stderrIsJournal(),
    json: c.get("LOG_FORMAT") === "json",
  });
  // fwknopd checks the run directory after -K, -R and -S, before everything else.
  if (!f.kill && !f.restart && !f.status && f.qr === undefined) {
    checkRunDirAbsolute(c, f.runDir !== undefined);
  }
  for (const w of loaded.warnings) log.log("warning", w);
  if (f.dumpConfig || f.exitParseConfig) {
    // The daemon logs these after making its run directory, in fwknopd's order.
    for (const n of loaded.notices) log.log("info", n);
    for (const w of loaded.rollbackWarnings ?? []) log.log("warning", w);
    const perms = f.dumpConfig ? foregroundFlags(f, loaded) : [];
    io.out(f.dumpConfig ? dumpConfig(c, loaded.settings.stanzas, perms) : "configuration OK\n");
    return 0;
  }
  const pidFile = c.get("FWKNOP_PID_FILE")!;
  if (f.qr !== undefined) return await stanzaQr(f.qr, loaded.settings.stanzas, io);
  const fleetStatus = statusPath(c.get("FWKNOP_RUN_DIR")!);
  const done = (await control(f, pidFile, io, fleetStatus)) ?? (await maintenance(f, c, io));
  if (done !== undefined) return done;
  const ctx = needsContext(f, loaded);
  const missing = missingPermissions(c, ctx);
  if (missing.length > 0) {
    throw new RuntimeError(`fwknopd-ts needs these Deno permissions: ${missing.join(", ")}`);
  }
  if (!f.foreground && !f.daemonChild) {
    const perms = childPermissionFlags(c, ctx);
    return await daemonize(new URL(import.meta.url).pathname, args, pidFile, io, perms);
  }
  return await runDaemon(f, loaded, log);
}

async function run(args: string[], io: ServerIo, started: Started): Promise<number> {
  const f = serverFlags(getopt(args, SERVER_OPTIONS, PROGRAM).options);
  if (f.help) {
    io.out(helpText());
    return 0;
  }
  if (f.fwType !== undefined && !FIREWALL_TYPES.includes(f.fwType)) {
    throw new UsageError(
      `Invalid value '${f.fwType}' for --fw-type: expected ${FIREWALL_TYPES.join(" or ")}`,
    );
  }
  if (f.version) {
    const fw = f.fwType ?? (f.configFile === undefined ? "iptables" : tryFirewallType(f));
    io.out(
      `fwknopd-ts server ${FWKNOPD_TS_VERSION} (compatible with fwknopd 2.6.10), firewall: ${fw}\n`,
    );
    return 0;
  }
  if (f.keyGen || f.keyGenFile !== undefined) return keyGen(f, io);
  const exclusive = ["dumpConfig", "kill", "restart", "status"].filter((k) =>
    f[k as keyof ServerFlags] === true
  );
  if (exclusive.length > 1) {
    throw new UsageError(
      `-D, -K, -R and -S cannot be combined (got ${exclusive.join(", ")})`,
    );
  }
  return await start(args, f, io, started);
}

/** The firewall type fwknopd.conf names, for `--version` with `-c`. */
function tryFirewallType(f: ServerFlags): string {
  try {
    return load(f).config.get("FIREWALL_TYPE") ?? "iptables";
  } catch {
    return "iptables";
  }
}

/**
 * Runs the daemon (or one of its maintenance commands).
 *
 * @param args Command-line arguments without the program name.
 * @param io Where to write; defaults to the process's streams.
 * @returns The exit code: 0 ok, 1 runtime or configuration error, 2 usage error.
 */
export async function main(args: string[], io: ServerIo = defaultIo): Promise<number> {
  const started: Started = { json: false };
  try {
    return await run(args, io, started);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`${e.message}\n`);
      return 2;
    }
    if (e instanceof ConfigError) {
      io.err(fatalLine(`Configuration error: ${e.message}`, started.json));
      return 1;
    }
    // A firewall that refuses (no such table, a failing command) is named, not a bug.
    if (e instanceof RuntimeError || e instanceof FirewallError || isPermissionError(e)) {
      io.err(fatalLine(e.message, started.json));
      return 1;
    }
    // A bug: its stack goes to the operator (and into the bug report).
    io.err(fatalLine(e instanceof Error ? e.stack ?? e.message : String(e), started.json));
    return 1;
  }
}

if (import.meta.main) {
  setExitCode(await main(processArgs()));
}
