import { assertEquals, assertThrows } from "../../tests/assert.ts";
import { UsageError } from "../cli/errors.ts";
import { timeOffset } from "./options.ts";

Deno.test("time offsets read as the stock client reads them (TIME_OFFSET, --time-offset-*)", () => {
  const cases: [string, number][] = [
    ["60", 60],
    ["1s", 1],
    ["30S", 30],
    ["+1H", 3600],
    ["1M", 60],
    ["2d", 172800],
    ["65536", 65536],
  ];
  for (const [text, secs] of cases) assertEquals(timeOffset("TIME_OFFSET", text), secs, text);
  for (const bad of ["x", "1y", "65537", "", "--1", "1.5h"]) {
    assertThrows(() => timeOffset("TIME_OFFSET", bad), UsageError, "TIME_OFFSET");
  }
});
