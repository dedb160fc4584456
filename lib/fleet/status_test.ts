/** The fleet status file: written whole, never through a link planted in the run directory. */
import { assertEquals } from "../../tests/assert.ts";
import { statusLines, statusPath, writeStatus } from "./status.ts";
import type { FleetStatus } from "./propagate.ts";

Deno.test("fleet status: a link planted at fleet.status.tmp is replaced, its target untouched", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const target = `${dir}/root-only`;
    Deno.writeTextFileSync(target, "keep\n");
    Deno.symlinkSync(target, `${dir}/fleet.status.tmp`);
    const s = {
      gateway: "gw1",
      redis: "127.0.0.1:6379",
      up: true,
      since: 0,
      lagMs: {},
      applied: 1,
      published: 2,
      pendingPublish: 0,
    } satisfies FleetStatus;
    writeStatus(statusPath(dir), s);
    assertEquals(Deno.readTextFileSync(target), "keep\n");
    assertEquals(Deno.lstatSync(statusPath(dir)).mode! & 0o777, 0o600);
    assertEquals(
      statusLines(statusPath(dir), 0)?.[0],
      "Fleet: gateway gw1, Redis at 127.0.0.1:6379 connected (for 0 s)",
    );
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
