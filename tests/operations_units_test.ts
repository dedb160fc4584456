/**
 * docs/operations.md counts the systemd units in dist/systemd and lists
 * each one: the count, the list and the folder agree.
 */
import { assertEquals } from "./assert.ts";

const ROOT = new URL("../", import.meta.url);
const WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"];

Deno.test("docs/operations.md: the number of systemd units it states is the number it lists and ships", () => {
  const md = Deno.readTextFileSync(new URL("docs/operations.md", ROOT));
  const m = /`dist\/systemd\/` holds (\w+) units:\n\n((?:- [\s\S]*?\n)+?)\n(?!- | {2})/.exec(md);
  if (m === null) throw new Error("docs/operations.md has no `dist/systemd/` holds N units: list");
  const listed = [...m[2]!.matchAll(/^- `([^`]+)`/gm)].map((x) => x[1]!);
  const shipped: string[] = [];
  for (const e of Deno.readDirSync(new URL("dist/systemd/", ROOT))) {
    if (e.isFile && e.name.endsWith(".service")) shipped.push(e.name);
    if (e.isDirectory && e.name.endsWith(".service.d")) {
      for (const f of Deno.readDirSync(new URL(`dist/systemd/${e.name}/`, ROOT))) {
        shipped.push(`${e.name}/${f.name}`);
      }
    }
  }
  assertEquals(WORDS.indexOf(m[1]!), listed.length, `"${m[1]}" units, listed: ${listed}`);
  assertEquals(listed.sort(), shipped.sort());
});
