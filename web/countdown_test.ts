import { assertEquals } from "../tests/assert.ts";
import { Countdown, countdownText } from "./countdown.ts";

Deno.test("countdown: words for the time left and for expiry", () => {
  assertEquals(countdownText(30), "Access expires in 30 s");
  assertEquals(countdownText(125), "Access expires in 2 min 5 s");
  assertEquals(countdownText(0), "Access expired: re-send to open again");
  assertEquals(countdownText(-3), "Access expired: re-send to open again");
});

Deno.test("countdown: starts at the grant's life and restarts on a re-send", () => {
  let now = 1_000_000;
  const shown: string[] = [];
  const c = new Countdown((t) => shown.push(t), () => now);
  c.start(30);
  now += 12_000;
  c.start(10);
  c.stop();
  assertEquals(shown, ["Access expires in 30 s", "Access expires in 10 s"]);
});
