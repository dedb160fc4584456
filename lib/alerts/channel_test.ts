import { assertEquals, assertMatch } from "../../tests/assert.ts";
import { AlertChannel } from "./channel.ts";
import { type AlertRecord, alertRecord } from "./record.ts";

const rec = (n: number): AlertRecord =>
  alertRecord("fault", "error", `fault ${n}`, undefined, "gw");

/** A delivery that waits until released, so the queue can be seen filling. */
function gate() {
  let open!: () => void;
  let opened = new Promise<void>((r) => (open = r));
  return {
    wait: () => opened,
    release: () => {
      open();
      opened = new Promise<void>((r) => (open = r));
    },
  };
}

Deno.test("channel: offer returns at once while a delivery hangs; a full queue drops the oldest", async () => {
  const g = gate();
  const got: string[] = [];
  const reports: string[] = [];
  const ch = new AlertChannel("webhook", {
    deliver: async (r) => {
      await g.wait();
      got.push(r.msg);
    },
    queueSize: 3,
    retries: 0,
    report: (m) => reports.push(m),
  });
  for (let i = 0; i < 10; i++) ch.offer(rec(i)); // the first is taken, then 9 into 3 places
  assertEquals([ch.waiting, ch.stats.dropped], [3, 6]);
  assertMatch(
    reports[0]!,
    /^Alerts \(webhook\): dropped 1 alert, oldest first \(1 in all\): the queue was full$/,
  );
  assertEquals(reports.length, 1, "drops are reported once a minute, not per alert");
  for (let i = 0; i < 4; i++) {
    g.release();
    await new Promise((r) => setTimeout(r, 0));
  }
  await ch.close(1000);
  assertEquals(got, ["fault 0", "fault 7", "fault 8", "fault 9"]);
  assertEquals(ch.stats, { sent: 4, failed: 0, dropped: 6 });
  assertMatch(reports.at(-1)!, /dropped 5 alerts, oldest first \(6 in all\)/);
});

Deno.test("channel: a failure that may pass is tried again with growing waits, then given up", async () => {
  const waits: number[] = [];
  const reports: string[] = [];
  let calls = 0;
  const ch = new AlertChannel("mail", {
    deliver: () => {
      calls++;
      return Promise.reject(
        Object.assign(new Error("Cannot send the alert mail: down"), { permanent: false }),
      );
    },
    queueSize: 10,
    retries: 3,
    report: (m) => reports.push(m),
    sleep: (ms) => {
      waits.push(ms);
      return Promise.resolve();
    },
  });
  ch.offer(rec(1));
  await ch.close(1000);
  assertEquals([calls, waits], [4, [1000, 2000, 4000]]);
  assertEquals(reports, ["Cannot send the alert mail: down (gave up after 4 attempts)"]);
  assertEquals(ch.stats, { sent: 0, failed: 1, dropped: 0 });
});

Deno.test("channel: a permanent refusal is not tried again", async () => {
  let calls = 0;
  const ch = new AlertChannel("mail", {
    deliver: () => {
      calls++;
      return Promise.reject(Object.assign(new Error("refused"), { permanent: true }));
    },
    queueSize: 10,
    retries: 5,
    report: () => {},
  });
  ch.offer(rec(1));
  ch.offer(rec(2));
  await ch.close(1000);
  assertEquals([calls, ch.stats.failed], [2, 2]);
});

Deno.test("channel: close ends a hanging delivery after the grace time and counts what is left", async () => {
  const ch = new AlertChannel("webhook", {
    deliver: (_r, signal) =>
      new Promise((_ok, no) => signal.addEventListener("abort", () => no(new Error("stopped")))),
    queueSize: 10,
    retries: 2,
    report: () => {},
  });
  for (let i = 0; i < 4; i++) ch.offer(rec(i));
  await ch.close(50);
  assertEquals(ch.stats, { sent: 0, failed: 1, dropped: 3 });
  ch.offer(rec(9)); // after close: ignored
  assertEquals(ch.waiting, 0);
});
