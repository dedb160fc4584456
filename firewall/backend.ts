/**
 * The firewall seam: one file per tool (iptables, nftables, ...) implements
 * `FirewallBackend`; the grant table (`grants.ts`) is its only caller.
 *
 * @module
 */
import type { Grant } from "./grant.ts";
import type { Runner } from "../lib/sys/exec.ts";

/** A firewall command that failed: the grant was not applied. */
export class FirewallError extends Error {
  /** The argv or batch that failed, for the log. */
  readonly command: string;

  constructor(message: string, command: string) {
    super(message);
    this.name = "FirewallError";
    this.command = command;
  }
}

/**
 * Runs a firewall command and returns its output, or throws fwknopd's
 * `Error N from cmd:'...': ...` when it fails.
 *
 * @param run The argv runner.
 * @param argv The program and its arguments.
 * @param input Text for its standard input.
 * @returns Its standard output.
 * @throws {FirewallError} when it exits non-zero.
 */
export async function mustRun(run: Runner, argv: string[], input?: string): Promise<string> {
  const opts = input === undefined ? { timeoutMs: 30_000 } : { timeoutMs: 30_000, input };
  const r = await run(argv, opts);
  if (r.code !== 0) {
    const line = argv.join(" ");
    throw new FirewallError(`Error ${r.code} from cmd:'${line}': ${r.stderr.trim()}`, line);
  }
  return r.stdout;
}

/**
 * fwknopd's refusal of a NAT grant by a firewall it drives for access only
 * (ipfw, pf), in its own words.
 *
 * @param g The grant.
 * @param tool The backend, for the error.
 * @throws {FirewallError} when the grant asks for NAT.
 */
export function refuseNat(g: Grant, tool: string): void {
  if (g.nat === undefined) return;
  throw new FirewallError(
    g.nat.kind === "local"
      ? "Local NAT requests are not currently supported."
      : "Forwarding/NAT requests are not currently supported.",
    tool,
  );
}

/** What a sweep removed, and when the next of our rules is due. */
export interface SweepResult {
  /** One line per removed rule, for the log. */
  removed: string[];
  /** The earliest expiry still in the firewall (Unix seconds), if any. */
  next?: number;
}

/**
 * A firewall the daemon opens and closes.
 *
 * Contracts every backend keeps:
 * - **Never called concurrently**: the grant table queues every call, so a
 *   backend may assume one call at a time and need no locks of its own.
 * - `init` runs once before anything else: it creates our chains, tables or
 *   sets (flushing ours first when configured) and never touches rules we
 *   did not create.
 * - `open` is idempotent: opening a grant whose rules are all present
 *   changes nothing. With `replaces`, the earlier grant of the same key is
 *   swapped for the new one without a moment in which neither is open.
 *   When the firewall refuses, `open` throws `FirewallError` and leaves
 *   none of the grant's rules behind.
 * - `close` is tolerant: rules already gone (expired by the kernel, removed
 *   by an admin, flushed) are not an error. It removes exactly the grant's
 *   rules, never another grant's, however the rules are ordered.
 * - `sweep(now)` removes every rule of ours whose recorded expiry is at or
 *   before `now`, also those left by an earlier run (recovery after a
 *   crash or restart); it reports the next expiry still pending.
 * - `flush` removes our rules, chains, tables and sets, and only ours.
 * - `list` and `listAll` only read.
 */
export interface FirewallBackend {
  /** `iptables`, `nftables`, `memory`, ... (shown by `-D`, `--version`, logs). */
  readonly name: string;
  /**
   * Lines `init` leaves for the log (fwknopd's start-up lines, such as
   * ipfw's `Added check-state rule ...`); read once after `init`.
   */
  readonly notes?: readonly string[];
  /**
   * When the backend next wants `sweep` called for its own housekeeping,
   * whatever the grants' expiry (ipfw purges its expire set), in Unix
   * seconds; undefined when it has none pending.
   */
  readonly housekeepingAt?: number;
  init(): Promise<void>;
  /**
   * Applies a grant.
   *
   * @param g The grant.
   * @param replaces A live grant of the same key that `g` extends.
   * @returns One line per rule or element added, for the log.
   * @throws {FirewallError} when the firewall refused.
   */
  open(g: Grant, replaces?: Grant): Promise<string[]>;
  /**
   * Removes a grant's rules; tolerant of rules already gone.
   *
   * @returns Lines for the log in the tool's own words (iptables: fwknopd's
   *   `Removed rule N from CHAIN with expire time of T`), or nothing for
   *   the grant table's generic line.
   */
  close(g: Grant): Promise<string[] | void>;
  /** Removes our rules due at `now`, including those of earlier runs. */
  sweep(now: number): Promise<SweepResult>;
  /** Removes everything of ours. */
  flush(): Promise<void>;
  /** `--fw-list`: our rules, with the time left at `now` where the tool keeps it. */
  list(now: number): Promise<string>;
  /** `--fw-list-all`: the whole tables we touch. */
  listAll(): Promise<string>;
  /**
   * Stops the helper processes the backend keeps (iptables' long-lived
   * restore); rules stay. Idempotent; a later call starts them again.
   */
  stop?(): void;
}
