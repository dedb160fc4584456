import { assertEquals } from "../../tests/assert.ts";
import { escapeLog } from "./escape.ts";

Deno.test("log escape: control characters cannot end a line or forge another", () => {
  assertEquals(escapeLog("plain text, unchanged"), "plain text, unchanged");
  assertEquals(
    escapeLog("by ops\nFORGED: Added element 6.6.6.6"),
    "by ops\\x0aFORGED: Added element 6.6.6.6",
  );
  assertEquals(
    escapeLog("a\rb\x00c\x1b[31md\x7f\x85\u2028"),
    "a\\x0db\\x00c\\x1b[31md\\x7f\\x85\\u2028",
  );
  // A literal "\x0a" typed by an attacker stays distinguishable from an escaped newline.
  assertEquals(escapeLog("\\x0a\n"), "\\\\x0a\\x0a");
  assertEquals(escapeLog("\\x0a only"), "\\x0a only", "no control character: untouched");
});
