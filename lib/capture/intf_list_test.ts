import { assertEquals } from "../../tests/assert.ts";
import { intfNameError, MAX_INTFS, parseIntfList } from "./intf_list.ts";

const err = (v: string) => {
  const r = parseIntfList(v);
  return "error" in r ? r.error : undefined;
};

Deno.test("intf list: one name, a list, spaces after commas, auto, any", () => {
  assertEquals(parseIntfList("eth0"), { spec: { kind: "list", names: ["eth0"] } });
  assertEquals(parseIntfList("eth0,wg0"), { spec: { kind: "list", names: ["eth0", "wg0"] } });
  assertEquals(parseIntfList("eth0, wg0"), { spec: { kind: "list", names: ["eth0", "wg0"] } });
  assertEquals(parseIntfList("auto"), { spec: { kind: "auto" } });
  assertEquals(parseIntfList("any"), { spec: { kind: "list", names: ["any"] } });
  assertEquals(parseIntfList("eth-none-corpus"), {
    spec: { kind: "list", names: ["eth-none-corpus"] },
  });
});

Deno.test("intf list: hostile and mistaken values are refused with the reason", () => {
  assertEquals(err(""), "an interface name is empty");
  assertEquals(err("eth0,"), "an interface name is empty in the list");
  assertEquals(err("eth0,,wg0"), "an interface name is empty in the list");
  assertEquals(err("eth0,eth0"), `"eth0" is listed twice`);
  assertEquals(err("eth0,auto"), `"auto" stands alone, not in a list`);
  assertEquals(err("any,wg0"), `"any" stands alone, not in a list`);
  assertEquals(err("a-very-long-name0"), `"a-very-long-name0" is longer than 15 bytes`);
  assertEquals(err("../etc"), `"../etc" contains "/"`);
  assertEquals(err("eth0:1"), `"eth0:1" contains ":"`);
  assertEquals(err("eth0 wg0"), `"eth0 wg0" contains "\\x20"`);
  assertEquals(err("eth0\0x"), `"eth0?x" contains "\\x00"`);
  assertEquals(err("eth\x1b[2J"), `"eth?[2J" contains "\\x1b"`);
  assertEquals(err(".."), `".." is not an interface name`);
  // Fifteen bytes in UTF-8, not fifteen characters.
  assertEquals(err("ééééééééé"), `"ééééééééé" is longer than 15 bytes`);
  const many = Array.from({ length: MAX_INTFS + 1 }, (_, i) => `e${i}`).join(",");
  assertEquals(err(many), `more than ${MAX_INTFS} interfaces`);
  assertEquals(intfNameError("wg0"), undefined);
});
