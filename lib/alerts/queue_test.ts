import { assertEquals, assertThrows } from "../../tests/assert.ts";
import { DropOldestQueue } from "./queue.ts";

Deno.test("a full queue drops its oldest item and counts it", () => {
  const q = new DropOldestQueue<number>(3);
  for (let i = 1; i <= 5; i++) q.push(i);
  assertEquals([q.size, q.dropped], [3, 2]);
  assertEquals([q.shift(), q.shift(), q.shift(), q.shift()], [3, 4, 5, undefined]);
  q.push(6);
  q.push(7);
  assertEquals(q.clear(), 2);
  assertEquals([q.size, q.dropped], [0, 4]);
});

Deno.test("a queue wraps around its ring without losing order", () => {
  const q = new DropOldestQueue<number>(2);
  const out: number[] = [];
  for (let i = 0; i < 7; i++) {
    q.push(i);
    if (i % 2 === 1) out.push(q.shift()!);
  }
  assertEquals(out, [0, 2, 4]);
  assertEquals(q.dropped, 2);
  assertEquals([q.shift(), q.shift()], [5, 6]);
});

Deno.test("a queue needs room for one item", () => {
  assertThrows(() => new DropOldestQueue(0), RangeError, "at least 1");
});
