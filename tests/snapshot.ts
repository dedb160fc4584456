/**
 * Minimal snapshot assertions: `tests/__snapshots__/<name>.txt` holds the
 * reviewed output; run with `UPDATE_SNAPSHOTS=1` to rewrite them.
 *
 * @module
 */
import { assertEquals } from "./assert.ts";

/** Compares text with its stored snapshot (or stores it when updating). */
export async function assertSnapshot(name: string, text: string): Promise<void> {
  const url = new URL(`./__snapshots__/${name}.txt`, import.meta.url);
  if (Deno.env.get("UPDATE_SNAPSHOTS") === "1") {
    await Deno.mkdir(new URL("./__snapshots__/", import.meta.url), { recursive: true });
    await Deno.writeTextFile(url, text);
    return;
  }
  let stored: string;
  try {
    stored = await Deno.readTextFile(url);
  } catch {
    throw new Error(
      `No snapshot "${name}": run UPDATE_SNAPSHOTS=1 deno task test and review tests/__snapshots__/`,
    );
  }
  assertEquals(text, stored, `snapshot "${name}" differs`);
}
