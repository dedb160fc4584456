import { assertEquals } from "../../tests/assert.ts";
import { parseRoutes, routeInterface } from "./route.ts";

const TABLE = `Iface	Destination	Gateway 	Flags	RefCnt	Use	Metric	Mask		MTU	Window	IRTT
eth0	00000000	010200C0	0003	0	0	100	00000000	0	0	0
eth0	000200C0	00000000	0001	0	0	100	00FFFFFF	0	0	0
wg0	000033C6	00000000	0001	0	0	0	0000FFFF	0	0	0
down0	070033C6	00000000	0000	0	0	0	FFFFFFFF	0	0	0
`;

Deno.test("route: the longest matching prefix that is up picks the interface", () => {
  const r = parseRoutes(TABLE);
  assertEquals(r.length, 3, "the route without RTF_UP is left out");
  assertEquals(routeInterface(r, "192.0.2.9"), "eth0");
  assertEquals(routeInterface(r, "198.51.0.7"), "wg0");
  assertEquals(routeInterface(r, "203.0.113.1"), "eth0", "the default route");
  assertEquals(routeInterface([], "203.0.113.1"), undefined);
  assertEquals(routeInterface(r, "not an address"), undefined);
});
