import { assert, assertEquals } from "../../tests/assert.ts";
import { FleetMemory } from "./memory.ts";

Deno.test("fleet memory: ids and revocations held until their time, across a restart", () => {
  const dir = Deno.makeTempDirSync();
  const path = `${dir}/fleet.memory`;
  const m = new FleetMemory(path, 1000);
  m.remember("a", 1100);
  m.remember("b", 1010);
  m.revoke("192.0.2.1", 1_000_000, 1200);
  m.save(1000);
  assertEquals((Deno.statSync(path).mode ?? 0) & 0o777, 0o600);
  const back = new FleetMemory(path, 1050);
  assert(back.seen("a") && !back.seen("b"), "b expired before the restart");
  assert(back.revoked("192.0.2.1", 999_000), "a grant made before the revocation");
  assert(!back.revoked("192.0.2.1", 1_000_001), "a grant made after it");
  assert(!back.revoked("192.0.2.2", 0));
  back.save(1300);
  assertEquals(back.size, { ids: 0, revocations: 0 });
  Deno.writeTextFileSync(path, "{not json");
  assertEquals(new FleetMemory(path, 0).size, { ids: 0, revocations: 0 });
  Deno.removeSync(dir, { recursive: true });
});
