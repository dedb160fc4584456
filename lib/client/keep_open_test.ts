import { assert, assertEquals } from "../../tests/assert.ts";
import type { ForegroundChild } from "../sys/foreground.ts";
import type { Signal } from "../sys/process.ts";
import { keepOpen, type KeepOpenDeps, renewEveryMs, START_DELAY_MS } from "./keep_open.ts";
import { spawnForeground } from "../sys/foreground.ts";

/** A command that ends when the test says, and a clock that advances only when slept on. */
function fakes(failSends: number[] = []) {
  const events: string[] = [];
  let sent = 0;
  let finish!: (code: number) => void;
  const handlers = new Map<Signal, () => void>();
  let ticks = 0;
  const child: ForegroundChild = {
    pid: 4242,
    status: new Promise<number>((ok) => finish = ok),
    kill: (sig) => events.push(`kill ${sig}`),
  };
  const d: KeepOpenDeps = {
    send: () => {
      sent++;
      events.push(`send ${sent}`);
      return failSends.includes(sent)
        ? Promise.reject(new Error("network is unreachable"))
        : Promise.resolve();
    },
    spawn: (argv) => {
      events.push(`spawn ${argv.join(" ")}`);
      return Promise.resolve(child);
    },
    warn: (m) => events.push(`warn ${m}`),
    onSignal: (s, h) => handlers.set(s, h),
    offSignal: (s) => handlers.delete(s),
    sleep: (ms) => {
      events.push(`sleep ${ms}`);
      ticks++;
      return new Promise((r) => setTimeout(r, 0));
    },
  };
  return { d, events, handlers, finish, sentCount: () => sent, ticks: () => ticks };
}

Deno.test("keep-open: renews at half the grant: half of -f, else half of fwknopd's 30 s", () => {
  assertEquals(renewEveryMs(10), 5000);
  assertEquals(renewEveryMs(-1), 15000);
  assertEquals(renewEveryMs(1), 1000);
  assertEquals(renewEveryMs(0), 15000);
});

Deno.test("keep-open: one packet before the command, one per tick while it runs, its status at the end", async () => {
  const f = fakes();
  const run = keepOpen(["ssh", "host"], 5000, f.d);
  while (f.sentCount() < 4) await new Promise((r) => setTimeout(r, 0));
  f.finish(3);
  assertEquals(await run, 3);
  assertEquals(f.events.slice(0, 5), [
    "send 1",
    `sleep ${START_DELAY_MS}`,
    "spawn ssh host",
    "sleep 5000",
    "send 2",
  ]);
  assertEquals(f.handlers.size, 0); // handlers removed
  const after = f.sentCount();
  await new Promise((r) => setTimeout(r, 5));
  assertEquals(f.sentCount(), after); // nothing sent once the command ended
});

Deno.test("keep-open: a failed renewal is reported and tried again; the command keeps running", async () => {
  const f = fakes([2]);
  const run = keepOpen(["ssh", "host"], 5000, f.d);
  while (f.sentCount() < 3) await new Promise((r) => setTimeout(r, 0));
  f.finish(0);
  assertEquals(await run, 0);
  const warn = f.events.find((e) => e.startsWith("warn "))!;
  assertEquals(
    warn,
    'warn Cannot renew access for "ssh": network is unreachable; trying again in 5 s',
  );
  assert(!f.events.includes("kill SIGTERM"));
});

Deno.test("keep-open: the first packet failing runs nothing", async () => {
  const f = fakes([1]);
  let err = "";
  try {
    await keepOpen(["ssh", "host"], 5000, f.d);
  } catch (e) {
    err = (e as Error).message;
  }
  assertEquals(err, "network is unreachable");
  assert(!f.events.some((e) => e.startsWith("spawn")));
});

Deno.test("keep-open: Ctrl-C is left to the command; SIGTERM and SIGHUP are passed on", async () => {
  const f = fakes();
  const run = keepOpen(["ssh", "host"], 5000, f.d);
  while (!f.handlers.has("SIGINT")) await new Promise((r) => setTimeout(r, 0));
  f.handlers.get("SIGINT")!();
  f.handlers.get("SIGTERM")!();
  f.handlers.get("SIGHUP")!();
  f.finish(130);
  assertEquals(await run, 130);
  assertEquals(f.events.filter((e) => e.startsWith("kill")), ["kill SIGTERM", "kill SIGHUP"]);
});

Deno.test("foreground: the exit status, 128 + n after a signal, and a missing program", async () => {
  assertEquals(await (await spawnForeground(["sh", "-c", "exit 7"])).status, 7);
  const c = await spawnForeground(["sleep", "30"]);
  c.kill("SIGTERM");
  assertEquals(await c.status, 143);
  c.kill("SIGTERM"); // ended: left alone
  let failed = false;
  try {
    await spawnForeground(["/nonexistent/program"]);
  } catch {
    failed = true;
  }
  assert(failed);
});
