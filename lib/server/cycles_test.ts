/** The CMD_CYCLE runner with an injected clock and fake timers: nothing sleeps. */
import { assert, assertEquals } from "../../tests/assert.ts";
import type { ExecResult } from "../sys/exec.ts";
import type { CyclePlan, CycleStep } from "../policy/verdict.ts";
import { CycleRunner } from "./cycles.ts";

const T0 = 1_800_000_000;

/** Timers that fire only when the test moves the clock. */
class FakeTime {
  ms = T0 * 1000;
  #next = 1;
  readonly #timers = new Map<number, { fn: () => void; at: number }>();
  readonly nowMs = () => this.ms;
  readonly schedule = {
    setTimeout: (fn: () => void, ms: number): unknown => {
      const id = this.#next++;
      this.#timers.set(id, { fn, at: this.ms + ms });
      return id;
    },
    clearTimeout: (h: unknown) => void this.#timers.delete(h as number),
  };
  /** Moves the clock `s` seconds on and fires every timer due by then. */
  advance(s: number): void {
    this.ms += s * 1000;
    for (;;) {
      const due = [...this.#timers].find(([, t]) => t.at <= this.ms);
      if (due === undefined) return;
      this.#timers.delete(due[0]);
      due[1].fn();
    }
  }
  get pending(): number {
    return this.#timers.size;
  }
}

function setup(fail: (argv: readonly string[]) => boolean = () => false) {
  const time = new FakeTime();
  const ran: string[] = [];
  const lines: string[] = [];
  const run = (argv: readonly string[]): Promise<ExecResult> => {
    ran.push(argv.join(" "));
    const bad = fail(argv);
    return Promise.resolve({ code: bad ? 1 : 0, stdout: "", stderr: bad ? "no such set" : "" });
  };
  const cycles = new CycleRunner({
    run,
    log: (l, m) => lines.push(`${l}: ${m}`),
    nowMs: time.nowMs,
    schedule: time.schedule,
  });
  return { time, ran, lines, cycles, log: () => lines.join("\n") };
}

const step = (port: number, close = true): CycleStep => ({
  label: `192.0.2.5 tcp/${port}`,
  key: `k${port}`,
  open: ["open", String(port)],
  ...(close ? { close: ["close", String(port)] } : {}),
});
const plan = (timeout: number, ...steps: CycleStep[]): CyclePlan => ({
  kind: "cycle",
  stanza: 1,
  open: steps[0]!.open,
  timeout,
  steps,
});
const TAG = "[203.0.113.9] (stanza #1)";

Deno.test("cycles: one open per port now, each close at its second, with fwknopd's log lines", async () => {
  const { time, ran, cycles, log } = setup();
  assertEquals(await cycles.start(TAG, plan(30, step(22), step(53))), "opened");
  assertEquals(ran, ["open 22", "open 53"]);
  assertEquals(cycles.live().map((l) => l.closeAt), [T0 + 30, T0 + 30]);
  time.advance(29);
  await cycles.idle();
  assertEquals(ran.length, 2, "nothing closes before its second");
  time.advance(1);
  await cycles.idle();
  assertEquals(ran, ["open 22", "open 53", "close 22", "close 53"]);
  assertEquals(cycles.size, 0);
  const text = log();
  assert(text.includes(`${TAG} Running CMD_CYCLE_OPEN command: open 22`), text);
  assert(text.includes(`${TAG} Running CMD_CYCLE_CLOSE command in 30 seconds: close 53`), text);
  assert(text.includes(`${TAG} Timer expired, running CMD_CYCLE_CLOSE command: close 22`), text);
});

Deno.test("cycles: a repeat request moves the close time and does not run OPEN again", async () => {
  const { time, ran, cycles, log } = setup();
  await cycles.start(TAG, plan(30, step(22)));
  time.advance(20);
  assertEquals(await cycles.start(TAG, plan(30, step(22))), "extended");
  assertEquals(ran, ["open 22"], "OPEN ran once");
  assertEquals(cycles.live().map((l) => l.closeAt), [T0 + 50]);
  assert(
    log().includes(
      `${TAG} CMD_CYCLE for 192.0.2.5 tcp/22 is already open; close moved to ${T0 + 50}`,
    ),
    log(),
  );
  time.advance(10);
  await cycles.idle();
  assertEquals(ran, ["open 22"], "not closed at the first request's time");
  // A shorter repeat leaves the later close where it is.
  assertEquals(await cycles.start(TAG, plan(5, step(22))), "already-open");
  assert(log().includes(`CMD_CYCLE for 192.0.2.5 tcp/22 is already open until ${T0 + 50}`), log());
  time.advance(19);
  await cycles.idle();
  assertEquals(ran, ["open 22"]);
  time.advance(1);
  await cycles.idle();
  assertEquals(ran, ["open 22", "close 22"], "closed once, at the moved time");
  assertEquals(time.pending, 0, "no timer left behind");
  // After the close, the same request opens afresh.
  assertEquals(await cycles.start(TAG, plan(30, step(22))), "opened");
  assertEquals(ran, ["open 22", "close 22", "open 22"]);
});

Deno.test("cycles: the same request twice at once runs OPEN once and keeps the later close", async () => {
  const { time, ran, cycles } = setup();
  const [a, b] = await Promise.all([
    cycles.start(TAG, plan(30, step(22))),
    cycles.start(TAG, plan(60, step(22))),
  ]);
  assertEquals([a, b].sort(), ["extended", "opened"]);
  assertEquals(ran, ["open 22"]);
  assertEquals(cycles.live().map((l) => l.closeAt), [T0 + 60]);
  time.advance(60);
  await cycles.idle();
  assertEquals(ran, ["open 22", "close 22"]);
});

Deno.test("cycles: an OPEN that fails for one port is undone at once; the other ports stay", async () => {
  const { time, ran, cycles, log } = setup((argv) => argv.join(" ") === "open 53");
  assertEquals(await cycles.start(TAG, plan(30, step(22), step(53), step(80))), "failed");
  assertEquals(ran, ["open 22", "open 53", "close 53", "open 80"]);
  assertEquals(cycles.live().map((l) => l.label), ["192.0.2.5 tcp/22", "192.0.2.5 tcp/80"]);
  const text = log();
  assert(
    text.includes(
      `error: ${TAG} CMD_CYCLE_OPEN for 192.0.2.5 tcp/53 exited with code 1: no such set`,
    ),
    text,
  );
  assert(text.includes(`${TAG} Running CMD_CYCLE_CLOSE command now: close 53`), text);
  time.advance(30);
  await cycles.idle();
  assertEquals(ran.slice(4), ["close 22", "close 80"]);
  // The failed port is not live: asking again runs its OPEN again (and undoes it again).
  await cycles.start(TAG, plan(30, step(53)));
  assertEquals(ran.slice(6), ["open 53", "close 53"]);
});

Deno.test("cycles: a CLOSE that fails is logged with its port and not retried", async () => {
  const { time, ran, cycles, log } = setup((argv) => argv[0] === "close");
  await cycles.start(TAG, plan(30, step(22)));
  time.advance(30);
  await cycles.idle();
  assert(
    log().includes(`error: ${TAG} CMD_CYCLE_CLOSE for 192.0.2.5 tcp/22 exited with code 1`),
    log(),
  );
  time.advance(3600);
  await cycles.idle();
  assertEquals(ran, ["open 22", "close 22"]);
  assertEquals(cycles.size, 0);
});

Deno.test("cycles: CLOSE NONE keeps nothing and runs OPEN for every request", async () => {
  const { time, ran, cycles } = setup();
  await cycles.start(TAG, plan(30, step(22, false)));
  await cycles.start(TAG, plan(30, step(22, false)));
  assertEquals(ran, ["open 22", "open 22"]);
  assertEquals([cycles.size, time.pending], [0, 0]);
});

Deno.test("cycles: stopping runs every pending CLOSE now, earliest first, and cancels the timers", async () => {
  const { time, ran, cycles, log } = setup();
  await cycles.start(TAG, plan(90, step(80)));
  await cycles.start(TAG, plan(30, step(22)));
  await cycles.closeAll();
  assertEquals(ran, ["open 80", "open 22", "close 22", "close 80"]);
  assert(log().includes(`${TAG} Running CMD_CYCLE_CLOSE command at exit: close 22`), log());
  assertEquals([cycles.size, time.pending], [0, 0]);
  time.advance(100);
  await cycles.idle();
  assertEquals(ran.length, 4, "nothing runs twice");
});

Deno.test("cycles: a request that comes while its CLOSE runs waits for it, then opens afresh", async () => {
  const time = new FakeTime();
  const ran: string[] = [];
  let release = () => {};
  const run = (argv: readonly string[]): Promise<ExecResult> => {
    ran.push(argv.join(" "));
    const ok = { code: 0, stdout: "", stderr: "" };
    if (argv[0] !== "close") return Promise.resolve(ok);
    return new Promise((r) => (release = () => r(ok)));
  };
  const cycles = new CycleRunner({
    run,
    log: () => {},
    nowMs: time.nowMs,
    schedule: time.schedule,
  });
  await cycles.start(TAG, plan(30, step(22)));
  time.advance(30);
  assertEquals(ran, ["open 22", "close 22"], "the close is running");
  const again = cycles.start(TAG, plan(30, step(22)));
  await Promise.resolve();
  assertEquals(ran.length, 2, "the new OPEN waits for the close");
  release();
  assertEquals(await again, "opened");
  assertEquals(ran, ["open 22", "close 22", "open 22"]);
});

Deno.test("cycles: a knockd stanza's plan (no steps) is one pair keyed by its commands", async () => {
  const { time, ran, cycles } = setup();
  const knock: CyclePlan = {
    kind: "cycle",
    stanza: 2,
    open: ["start", "192.0.2.5"],
    close: ["stop", "192.0.2.5"],
    timeout: 10,
  };
  assertEquals(await cycles.start(TAG, knock), "opened");
  time.advance(5);
  assertEquals(await cycles.start(TAG, knock), "extended");
  time.advance(10);
  await cycles.idle();
  assertEquals(ran, ["start 192.0.2.5", "stop 192.0.2.5"]);
});
