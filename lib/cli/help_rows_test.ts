import { assertEquals } from "../../tests/assert.ts";
import { optionRows } from "./help_rows.ts";

Deno.test("optionRows: the names column, a long name wraps, the default argument name, hidden left out", () => {
  assertEquals(
    optionRows([
      { long: "test", short: "T", arg: false, help: "Test mode." },
      { long: "digest-type", arg: true, help: "The digest." },
      { long: "a-very-long-option-name-here", arg: true, meta: "NAME", help: "Long." },
      { long: "daemon-child", arg: false, hidden: true, help: "Internal." },
    ]),
    [
      ` -T, --test${" ".repeat(24)}Test mode.`,
      `    --digest-type VALUE${" ".repeat(12)}The digest.`,
      `    --a-very-long-option-name-here NAME\n${" ".repeat(35)}Long.`,
    ],
  );
});
