/**
 * An in-memory firewall for unit tests: it keeps the rules a real backend
 * would hold, records every call, can be told to refuse, and checks the
 * "never called concurrently" contract.
 *
 * @module
 */
import { type FirewallBackend, FirewallError, type SweepResult } from "./backend.ts";
import { type Grant, grantKey, grantSource, portsText } from "./grant.ts";

/** One rule held by the fake: a grant and the expiry it was opened with. */
export interface MemoryRule {
  key: string;
  grant: Grant;
}

/** The fake backend. */
export class MemoryFirewall implements FirewallBackend {
  readonly name = "memory";
  /** Live rules, one per grant (a replaced grant's rule goes). */
  readonly rules: MemoryRule[] = [];
  /** Every call, in order: `open <key> <exp>`, `close ...`, `sweep <now>`, ... */
  readonly calls: string[] = [];
  /** When set, the next `open` throws this message. */
  failNextOpen?: string;
  /** Milliseconds each call takes (to expose overlapping calls). */
  delayMs = 0;
  #busy = false;

  async #enter<T>(call: string, fn: () => T): Promise<T> {
    if (this.#busy) throw new Error(`MemoryFirewall: ${call} overlaps another call`);
    this.#busy = true;
    try {
      this.calls.push(call);
      if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
      return fn();
    } finally {
      this.#busy = false;
    }
  }

  init(): Promise<void> {
    return this.#enter("init", () => {});
  }

  open(g: Grant, replaces?: Grant): Promise<string[]> {
    const key = grantKey(g);
    return this.#enter(`open ${key} ${g.expiresAt}`, () => {
      if (this.failNextOpen !== undefined) {
        const msg = this.failNextOpen;
        this.failNextOpen = undefined;
        throw new FirewallError(msg, `open ${key}`);
      }
      if (this.rules.some((r) => r.key === key && r.grant.expiresAt === g.expiresAt)) return [];
      if (replaces !== undefined) this.#remove(replaces);
      this.rules.push({ key, grant: g });
      return [`${grantSource(g)} ${portsText(g.ports)} expires at ${g.expiresAt}`];
    });
  }

  #remove(g: Grant): void {
    const key = grantKey(g);
    const i = this.rules.findIndex((r) => r.key === key && r.grant.expiresAt === g.expiresAt);
    if (i >= 0) this.rules.splice(i, 1);
  }

  close(g: Grant): Promise<void> {
    return this.#enter(`close ${grantKey(g)} ${g.expiresAt}`, () => this.#remove(g));
  }

  sweep(now: number): Promise<SweepResult> {
    return this.#enter(`sweep ${now}`, () => {
      const removed: string[] = [];
      for (const r of [...this.rules]) {
        if (r.grant.expiresAt <= now) {
          this.#remove(r.grant);
          removed.push(r.key);
        }
      }
      const next = Math.min(...this.rules.map((r) => r.grant.expiresAt));
      return Number.isFinite(next) ? { removed, next } : { removed };
    });
  }

  flush(): Promise<void> {
    return this.#enter("flush", () => void this.rules.splice(0));
  }

  list(now: number): Promise<string> {
    return this.#enter(
      "list",
      () => this.rules.map((r) => `${r.key} (${r.grant.expiresAt - now}s left)\n`).join(""),
    );
  }

  listAll(): Promise<string> {
    return this.list(0);
  }
}
