/**
 * `--keep-open`: runs a command (such as `ssh host`) and keeps its access
 * open for as long as it runs, sending a fresh SPA packet before each grant
 * expires, then ends with the command's exit status.
 *
 * When to renew: the grant lasts the server's FW_ACCESS_TIMEOUT, which the
 * client cannot know, unless `-f/--fw-timeout` asks for a length (the
 * server honours it up to MAX_FW_TIMEOUT). The client renews at half the
 * grant: half of `-f`, or half of fwknopd's default of 30 s without it, so
 * a lost packet or a slow server still leaves half a grant of margin. A
 * renewal that fails is reported and tried again at the next tick; the
 * command keeps running.
 *
 * Signals: Ctrl-C at the terminal reaches the command directly (it shares
 * the terminal's process group), so the client ignores SIGINT and waits for
 * the command to decide; SIGTERM and SIGHUP sent to the client are passed
 * on to the command.
 *
 * @module
 */
import type { Signal } from "../sys/process.ts";
import type { ForegroundChild } from "../sys/foreground.ts";

/** The grant length assumed without `-f`: fwknopd's default FW_ACCESS_TIMEOUT. */
export const DEFAULT_GRANT_SECONDS = 30;
/** The shortest interval between two packets. */
export const MIN_RENEW_MS = 1000;
/** How long after the first packet the command starts (the server opens the port meanwhile). */
export const START_DELAY_MS = 1000;

/**
 * The interval between packets.
 *
 * @param fwTimeout `-f` in seconds, or -1 when not given.
 * @returns Half the grant in milliseconds, at least {@link MIN_RENEW_MS}.
 */
export function renewEveryMs(fwTimeout: number): number {
  const grant = fwTimeout > 0 ? fwTimeout : DEFAULT_GRANT_SECONDS;
  return Math.max(MIN_RENEW_MS, Math.floor((grant * 1000) / 2));
}

/** What keep-open needs from the client and the platform. */
export interface KeepOpenDeps {
  /** Builds and sends a fresh SPA packet. */
  send(): Promise<void>;
  /** Starts the command in the foreground. */
  spawn(argv: readonly string[]): Promise<ForegroundChild>;
  /** Reports a failed renewal (stderr). */
  warn(msg: string): void;
  /** Signal handlers (lib/sys/process.ts). */
  onSignal(sig: Signal, h: () => void): void;
  /** Removes a handler set with `onSignal`. */
  offSignal(sig: Signal, h: () => void): void;
  /** Waits (default a timer, cleared when `stop` aborts); tests pass their own. */
  sleep?: (ms: number, stop?: AbortSignal) => Promise<void>;
}

/** A timer that `stop` clears, so the client exits as soon as the command has. */
function defaultSleep(ms: number, stop?: AbortSignal): Promise<void> {
  return new Promise<void>((r) => {
    const cut = () => {
      clearTimeout(t);
      r();
    };
    const t = setTimeout(() => {
      stop?.removeEventListener("abort", cut);
      r();
    }, ms);
    stop?.addEventListener("abort", cut, { once: true });
  });
}

/**
 * Sends the first packet, starts the command, renews until it ends.
 *
 * @param argv The command.
 * @param everyMs The interval between packets ({@link renewEveryMs}).
 * @param d The client's sender and the platform.
 * @returns The command's exit status (128 + the signal number when a signal ended it).
 * @throws {Error} when the first packet cannot be sent or the command cannot start (nothing runs then).
 */
export async function keepOpen(
  argv: readonly string[],
  everyMs: number,
  d: KeepOpenDeps,
): Promise<number> {
  const sleep = d.sleep ?? defaultSleep;
  await d.send();
  await sleep(START_DELAY_MS);
  const child = await d.spawn(argv);
  const handlers: [Signal, () => void][] = [
    ["SIGINT", () => {}],
    ["SIGTERM", () => child.kill("SIGTERM")],
    ["SIGHUP", () => child.kill("SIGHUP")],
  ];
  for (const [s, h] of handlers) d.onSignal(s, h);
  const stop = new AbortController();
  let ended = false;
  const status = child.status.finally(() => {
    ended = true;
    stop.abort();
  });
  try {
    for (;;) {
      await Promise.race([status, sleep(everyMs, stop.signal)]);
      if (ended) return await status;
      try {
        await d.send();
      } catch (e) {
        d.warn(
          `Cannot renew access for "${argv[0]}": ${(e as Error).message}; trying again in ${
            everyMs / 1000
          } s`,
        );
      }
    }
  } finally {
    for (const [s, h] of handlers) d.offSignal(s, h);
  }
}
