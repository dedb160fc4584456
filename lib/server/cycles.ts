/**
 * The CMD_CYCLE runner: runs each pair's open command, keeps the live
 * cycles and runs each close command at its time. Its contract:
 *
 * - a repeat request for a live cycle (same commands apart from `$TIMEOUT`
 *   and `$CLIENT_TIMEOUT`) does not run OPEN again (a second `iptables -A`
 *   would stack a rule that the one close leaves behind); it moves the close
 *   time when it asks for a later one, as the grant table extends a grant;
 * - a cycle without a close command (CMD_CYCLE_CLOSE NONE) keeps nothing:
 *   its OPEN runs for every request, since such commands carry their own
 *   kernel timeouts and running them again is what extends them;
 * - pairs are independent: an OPEN that fails is logged for its port, and
 *   its CLOSE runs at once to undo what a half-done command may have left
 *   (the other ports stay open until their time);
 * - a CLOSE that fails is logged with its exit code and error text; it is
 *   not retried;
 * - `closeAll` (the daemon stopping) runs every pending CLOSE now, so a
 *   stopped or restarted daemon leaves nothing open (fwknopd 2.6.10 forgets
 *   them); after SIGKILL or a crash the pending closes are lost;
 * - commands of one key never overlap: a request that comes while the
 *   cycle's CLOSE runs waits for it, then opens afresh.
 *
 * @module
 */
import type { Runner } from "../sys/exec.ts";
import type { CyclePlan, CycleStep } from "../policy/verdict.ts";
import { type LongTimeout, longTimeout, systemClock, type TimerClock } from "../timer.ts";

/** How long one CMD_CYCLE command may run. */
export const CYCLE_CMD_TIMEOUT_MS = 5000;

/** What happened to a plan: the worst of its pairs. */
export type CycleOutcome = "opened" | "extended" | "already-open" | "failed";

/** Log levels the runner uses. */
export type CycleLogLevel = "error" | "info";

/** The runner's surroundings. */
export interface CycleRunnerOptions {
  run: Runner;
  log: (level: CycleLogLevel, msg: string) => void;
  /** Milliseconds since the epoch (injected so tests control time). */
  nowMs: () => number;
  /** The timer functions (the system's by default; tests pass fakes). */
  schedule?: Pick<TimerClock, "setTimeout" | "clearTimeout">;
}

/** A live cycle: its close command and when it runs. */
interface Live {
  key: string;
  label: string;
  close: string[];
  /** Milliseconds since the epoch. */
  at: number;
  /** The log tag of the request that opened it. */
  tag: string;
  timer?: LongTimeout;
}

/** A live cycle as `live()` reports it. */
export interface LiveCycle {
  label: string;
  close: string[];
  /** Unix seconds when CLOSE runs. */
  closeAt: number;
}

const RANK: Readonly<Record<CycleOutcome, number>> = {
  "already-open": 0,
  extended: 1,
  opened: 2,
  failed: 3,
};

/** Runs CMD_CYCLE pairs and their close commands at their time. */
export class CycleRunner {
  readonly #o: CycleRunnerOptions;
  readonly #live = new Map<string, Live>();
  /** Close commands running now, by key. */
  readonly #closing = new Map<string, Promise<void>>();

  constructor(o: CycleRunnerOptions) {
    this.#o = o;
  }

  /** Number of live cycles (pending close commands). */
  get size(): number {
    return this.#live.size;
  }

  /** The live cycles, earliest close first. */
  live(): LiveCycle[] {
    return [...this.#live.values()]
      .sort((a, b) => a.at - b.at)
      .map((l) => ({ label: l.label, close: [...l.close], closeAt: Math.floor(l.at / 1000) }));
  }

  /**
   * Carries out a plan: every pair in turn.
   *
   * @param tag The log tag (`[source] (stanza #n)`).
   * @param p The plan.
   * @returns `failed` when any pair failed, else the most that happened.
   */
  async start(tag: string, p: CyclePlan): Promise<CycleOutcome> {
    // A knockd stanza's start and stop commands: one pair, keyed by its commands.
    const steps: readonly CycleStep[] = p.steps ?? [{
      label: p.open.join(" "),
      key: JSON.stringify([p.stanza, p.open, p.close ?? null]),
      open: p.open,
      ...(p.close === undefined ? {} : { close: p.close }),
    }];
    let worst: CycleOutcome = "already-open";
    for (const s of steps) {
      const r = await this.#step(tag, s, p.timeout);
      if (RANK[r] > RANK[worst]) worst = r;
    }
    return worst;
  }

  async #step(tag: string, s: CycleStep, timeout: number): Promise<CycleOutcome> {
    await this.#closing.get(s.key);
    const at = this.#o.nowMs() + timeout * 1000;
    const live = this.#live.get(s.key);
    if (live !== undefined) return this.#repeat(tag, live, at);
    const close = s.close;
    // Claimed before OPEN runs, so a repeat arriving meanwhile finds it.
    const entry: Live | undefined = close === undefined
      ? undefined
      : { key: s.key, label: s.label, close, at, tag };
    if (entry !== undefined) this.#live.set(s.key, entry);
    this.#o.log("info", `${tag} Running CMD_CYCLE_OPEN command: ${s.open.join(" ")}`);
    const r = await this.#o.run(s.open, { timeoutMs: CYCLE_CMD_TIMEOUT_MS });
    if (r.code !== 0) {
      this.#o.log(
        "error",
        `${tag} CMD_CYCLE_OPEN for ${s.label} exited with code ${r.code}: ${r.stderr.trim()}`,
      );
      if (entry === undefined) return "failed";
      this.#live.delete(s.key);
      this.#o.log("info", `${tag} Running CMD_CYCLE_CLOSE command now: ${entry.close.join(" ")}`);
      await this.#runClose(entry);
      return "failed";
    }
    if (entry !== undefined) this.#arm(entry);
    return "opened";
  }

  /** A request for a live cycle: moves its close time when it asks for a later one. */
  #repeat(tag: string, live: Live, at: number): CycleOutcome {
    if (at <= live.at) {
      const until = Math.floor(live.at / 1000);
      this.#o.log("info", `${tag} CMD_CYCLE for ${live.label} is already open until ${until}`);
      return "already-open";
    }
    live.at = at;
    const until = Math.floor(at / 1000);
    this.#o.log(
      "info",
      `${tag} CMD_CYCLE for ${live.label} is already open; close moved to ${until}`,
    );
    // Not armed yet means its OPEN is still running: it arms with the new time.
    if (live.timer !== undefined) {
      live.timer.cancel();
      this.#arm(live);
    } else this.#logScheduled(tag, live);
    return "extended";
  }

  #logScheduled(tag: string, live: Live): void {
    const secs = Math.max(0, Math.round((live.at - this.#o.nowMs()) / 1000));
    this.#o.log(
      "info",
      `${tag} Running CMD_CYCLE_CLOSE command in ${secs} seconds: ${live.close.join(" ")}`,
    );
  }

  /** Arms the close timer of a live cycle for its time. */
  #arm(live: Live): void {
    this.#logScheduled(live.tag, live);
    const t = this.#o.schedule ?? systemClock;
    const clock: TimerClock = {
      nowMs: this.#o.nowMs,
      setTimeout: (fn, ms) => t.setTimeout(fn, ms),
      clearTimeout: (h) => t.clearTimeout(h),
    };
    // CMD_CYCLE_TIMER may pass setTimeout's 24.8-day limit: longTimeout waits in steps.
    live.timer = longTimeout(
      () => {
        if (this.#live.get(live.key) !== live) return;
        this.#live.delete(live.key);
        this.#o.log(
          "info",
          `${live.tag} Timer expired, running CMD_CYCLE_CLOSE command: ${live.close.join(" ")}`,
        );
        void this.#runClose(live);
      },
      live.at - this.#o.nowMs(),
      clock,
    );
  }

  /** Runs a close command; other commands of its key wait until it has finished. */
  #runClose(live: Live): Promise<void> {
    const done = (async () => {
      const r = await this.#o.run(live.close, { timeoutMs: CYCLE_CMD_TIMEOUT_MS });
      if (r.code !== 0) {
        this.#o.log(
          "error",
          `${live.tag} CMD_CYCLE_CLOSE for ${live.label} exited with code ${r.code}: ${r.stderr.trim()}`,
        );
      }
    })().finally(() => {
      if (this.#closing.get(live.key) === done) this.#closing.delete(live.key);
    });
    this.#closing.set(live.key, done);
    return done;
  }

  /** Waits for the close commands running now. */
  async idle(): Promise<void> {
    while (this.#closing.size > 0) await Promise.all([...this.#closing.values()]);
  }

  /** Runs every pending close command now, earliest first (the daemon stopping). */
  async closeAll(): Promise<void> {
    const pending = [...this.#live.values()].sort((a, b) => a.at - b.at);
    this.#live.clear();
    for (const live of pending) {
      live.timer?.cancel();
      this.#o.log(
        "info",
        `${live.tag} Running CMD_CYCLE_CLOSE command at exit: ${live.close.join(" ")}`,
      );
      await this.#runClose(live);
    }
    await this.idle();
  }
}
