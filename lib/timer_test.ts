import { assert, assertEquals } from "../tests/assert.ts";
import { DeadlineHeap, longTimeout, MAX_TIMEOUT_MS } from "./timer.ts";
import { FakeClock } from "./timer_fake.ts";

const DAY = 86_400_000;

Deno.test("longTimeout: 30 days (FW_ACCESS_TIMEOUT 2600000) fire once, at the deadline, never early", () => {
  const c = new FakeClock();
  let fired = 0;
  const ms = 2_600_000 * 1000;
  longTimeout(() => fired++, ms, c);
  c.advance(DAY);
  assertEquals(fired, 0);
  c.advance(ms - DAY - 1);
  assertEquals(fired, 0);
  c.advance(1);
  assertEquals(fired, 1);
  c.advance(60 * DAY);
  assertEquals(fired, 1);
  assertEquals(c.timers.size, 0);
  assert(c.delays.every((d) => d >= 0 && d <= MAX_TIMEOUT_MS), `delays ${c.delays}`);
  assertEquals(c.delays.length, 2); // 2,600,000,000 ms is two steps of at most 2^31-1
});

Deno.test("longTimeout: a late wake-up is measured again; short and past delays fire at once", () => {
  const c = new FakeClock();
  const at: number[] = [];
  const start = c.now;
  longTimeout(() => at.push(c.now - start), 50 * DAY, c);
  // The host slept: time jumps past the first step's end before it fires.
  c.now += 40 * DAY;
  c.advance(10 * DAY);
  assertEquals(at, [50 * DAY]);
  const d: number[] = [];
  longTimeout(() => d.push(1), -5, c);
  longTimeout(() => d.push(2), Number.NaN, c);
  longTimeout(() => d.push(3), 10, c);
  c.advance(10);
  assertEquals(d, [1, 2, 3]);
});

Deno.test("longTimeout: cancel stops it at any step; Infinity never fires", () => {
  const c = new FakeClock();
  let fired = 0;
  const t = longTimeout(() => fired++, 40 * DAY, c);
  c.advance(30 * DAY); // past the first step
  t.cancel();
  t.cancel();
  c.advance(30 * DAY);
  assertEquals([fired, c.timers.size], [0, 0]);
  const never = longTimeout(() => fired++, Infinity, c);
  c.advance(1000 * DAY);
  assertEquals(fired, 0);
  never.cancel();
  assertEquals(c.timers.size, 0);
});

Deno.test("longTimeout: the system clock runs a short delay", async () => {
  const fired = await new Promise<boolean>((resolve) => longTimeout(() => resolve(true), 1));
  assertEquals(fired, true);
});

Deno.test("DeadlineHeap: pops in deadline order, ties and all, and rebuilds from live entries", () => {
  const h = new DeadlineHeap<number>();
  assertEquals(h.pop(), undefined);
  assertEquals(h.peek(), undefined);
  let seed = 7;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % 1000;
  const want: number[] = [];
  for (let i = 0; i < 2000; i++) {
    const at = rand();
    want.push(at);
    h.push(at, i);
  }
  want.sort((a, b) => a - b);
  const got: number[] = [];
  for (let e = h.pop(); e !== undefined; e = h.pop()) got.push(e[0]);
  assertEquals(got, want);
  assertEquals(h.size, 0);
  h.rebuild([[5, 1], [3, 2], [9, 3], [1, 4], [3, 5]]);
  assertEquals(h.size, 5);
  const order: [number, number][] = [];
  for (let e = h.pop(); e !== undefined; e = h.pop()) order.push(e);
  assertEquals(order.map((e) => e[0]), [1, 3, 3, 5, 9]);
  assertEquals(order[0], [1, 4]);
});
