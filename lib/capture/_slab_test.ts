import { assert, assertEquals } from "../../tests/assert.ts";
import { copyPayload } from "./_slab.ts";

Deno.test("copyPayload: copies stay intact while the source is reused, across slabs", () => {
  const src = new Uint8Array(1000);
  const copies: [number, Uint8Array][] = [];
  for (let i = 0; i < 200; i++) {
    src.fill(i & 0xff);
    copies.push([i & 0xff, copyPayload(src, 100, 100 + 500)]);
  }
  for (const [v, c] of copies) {
    assertEquals(c.length, 500);
    assert(c.every((b) => b === v), `copy of ${v} changed`);
  }
  const big = new Uint8Array(70000).fill(7);
  const c = copyPayload(big, 0, big.length);
  big.fill(0);
  assert(c.length === 70000 && c.every((b) => b === 7));
});
