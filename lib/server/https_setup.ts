/**
 * The daemon's side of SPA over HTTPS: reads `HTTPS_*` from fwknopd.conf,
 * the certificate, key and page, and starts the endpoint
 * (`https_spa.ts`) with its packets fed to the engine one at a time.
 *
 * @module
 */
import type { CapturedPacket } from "../capture/packet.ts";
import { RuntimeError } from "../cli/errors.ts";
import { ConfigError } from "../config/lexer.ts";
import type { ServerConfig } from "../config/server_conf.ts";
import type { GuardedListener } from "../sys/listen.ts";
import { fileMode } from "../sys/runtime.ts";
import { readText } from "../sys/files.ts";
import type { Engine } from "./engine.ts";
import { HTTPS_MAX_PENDING, startHttpsSpa } from "./https_spa.ts";
import { loadWebSite, type WebSite } from "./https_web.ts";
import type { DaemonLogger } from "./log.ts";

/** A file named by a variable, read, or a named error. */
function readNamed(c: ServerConfig, name: string): string {
  const path = c.get(name);
  if (path === undefined) {
    throw new ConfigError(
      c.origin("ENABLE_HTTPS_SERVER"),
      name,
      "must be set when ENABLE_HTTPS_SERVER is Y",
    );
  }
  try {
    return readText(path);
  } catch (e) {
    throw new RuntimeError(`Cannot read ${name} "${path}": ${(e as Error).message}`);
  }
}

/** The page from HTTPS_WEB_DIR, with what was left out logged. */
function site(c: ServerConfig, log: DaemonLogger): WebSite | undefined {
  const dir = c.get("HTTPS_WEB_DIR");
  if (dir === undefined) return undefined;
  let s: WebSite;
  try {
    s = loadWebSite(dir);
  } catch (e) {
    throw new RuntimeError(`Cannot read HTTPS_WEB_DIR "${dir}": ${(e as Error).message}`);
  }
  for (const w of s.skipped) log.log("warning", `HTTPS_WEB_DIR: not served: ${w}`);
  log.log("info", `Serving the web page from ${dir} (${s.files.size} files).`);
  return s;
}

/**
 * Feeds packets to the engine one at a time, as the capture loop does; past
 * {@link HTTPS_MAX_PENDING} waiting, new ones are dropped and counted.
 */
export class SerialSink {
  #tail: Promise<void> = Promise.resolve();
  #pending = 0;
  /** Packets dropped because too many were waiting. */
  dropped = 0;

  /**
   * @param handle Processes one packet (the engine's `handle`).
   * @param onError Where a failure of `handle` is reported.
   */
  constructor(
    readonly handle: (pkt: CapturedPacket) => Promise<void> | undefined,
    readonly onError: (e: unknown) => void,
  ) {}

  /** Queues one packet. */
  submit(pkt: CapturedPacket): void {
    if (this.#pending >= HTTPS_MAX_PENDING) {
      this.dropped++;
      return;
    }
    this.#pending++;
    this.#tail = this.#tail.then(() => this.handle(pkt)).catch(this.onError).finally(() => {
      this.#pending--;
    });
  }

  /** Waits until every queued packet was processed. */
  idle(): Promise<void> {
    return this.#tail;
  }
}

/**
 * Starts the HTTPS endpoint from the configuration.
 *
 * @param c fwknopd.conf (ENABLE_HTTPS_SERVER is Y).
 * @param eng The engine packets go to.
 * @param log The daemon's log.
 * @returns The listener.
 * @throws {ConfigError} when the certificate or key is not named.
 * @throws {RuntimeError} when a file cannot be read or the port cannot be bound.
 */
export async function startHttpsServer(
  c: ServerConfig,
  eng: Engine,
  log: DaemonLogger,
): Promise<GuardedListener> {
  const tls = { cert: readNamed(c, "HTTPS_CERT_FILE"), key: readNamed(c, "HTTPS_KEY_FILE") };
  const keyPath = c.get("HTTPS_KEY_FILE")!;
  if (((fileMode(keyPath) ?? 0) & 0o077) !== 0) {
    log.log("warning", `HTTPS_KEY_FILE "${keyPath}" is readable by other users (chmod 600 it)`);
  }
  const port = c.int("HTTPS_SERVER_PORT");
  const sink = new SerialSink(
    (pkt) => eng.handle(pkt),
    (e) => log.log("error", `HTTPS packet handling failed: ${(e as Error).stack}`),
  );
  const o = {
    port,
    tls,
    site: site(c, log),
    submit: (pkt: CapturedPacket) => sink.submit(pkt),
    warn: (msg: string) => log.log("warning", msg),
  };
  let l: GuardedListener;
  try {
    l = await startHttpsSpa({ ...o, address: "::" }).catch(() =>
      startHttpsSpa({ ...o, address: "0.0.0.0" })
    );
  } catch (e) {
    throw new RuntimeError(
      `Cannot start the HTTPS server on port ${port}: ${(e as Error).message}`,
    );
  }
  log.log("info", `Kicking off HTTPS server to listen on port ${port}.`);
  return l;
}
