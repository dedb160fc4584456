import { assert, assertEquals } from "../../tests/assert.ts";
import { MAX_ROUTE_TABLE, readRouteTables } from "./route_tables.ts";
import { defaultRouteIntfs } from "../capture/default_route.ts";

Deno.test("route tables: the kernel's files are read (Deno refuses /proc/net; libc reads them)", () => {
  const t = readRouteTables();
  assert(t.v4.startsWith("Iface\tDestination"), t.v4.slice(0, 80));
  // Whatever this host's default route is, it is one of its interfaces.
  for (const n of defaultRouteIntfs(t)) assert(t.v4.includes(n) || t.v6.includes(n));
});

Deno.test("route tables: a missing file is empty, a huge one is cut at the cap", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fwknop-routes-" });
  const big = `${dir}/big`;
  await Deno.writeFile(big, new Uint8Array(MAX_ROUTE_TABLE + 4096).fill(0x41));
  const t = readRouteTables({ v4: big, v6: `${dir}/missing` });
  assertEquals(t.v4.length, MAX_ROUTE_TABLE);
  assertEquals(t.v6, "");
  await Deno.remove(dir, { recursive: true });
});
