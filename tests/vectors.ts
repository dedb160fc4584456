/**
 * Golden vector helpers: the shape of `tests/testdata/vectors.json` and a
 * parser for the field dump the real fwknop client prints with `-T -v`.
 *
 * @module
 */

/** One vector made by the real client. */
export interface VectorCase {
  /** The client arguments (without `-T -v`). */
  args: string[];
  /** The keys given to the client. */
  keys: { key?: string; keyBase64?: string; hmacKey?: string; hmacKeyBase64?: string };
  /** `-M` value. */
  mode: string;
  /** `--hmac-digest-type` value, or `none`. */
  hmacType: string;
  /** The first field dump, label to value. */
  dump: Record<string, string>;
}

/**
 * Reads the first `SPA Field Values:` block of fwknop's `-T -v` output into a
 * label-to-value map.
 *
 * @param text The client's standard output.
 * @returns The fields keyed by their labels (`Random Value`, `Final SPA Data`, ...).
 */
export function parseFieldDump(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const start = text.indexOf("SPA Field Values:");
  if (start < 0) throw new SyntaxError('Cannot find "SPA Field Values:" in the client output');
  for (const line of text.slice(start).split("\n").slice(2)) {
    const m = /^\s*([A-Za-z ]+?): (.*)$/.exec(line);
    if (m === null) break;
    out[m[1]!] = m[2]!;
  }
  return out;
}

import { b64Decode } from "../lib/spa/base64.ts";
import { parseDigestName } from "../lib/spa/digest.ts";
import type { SpaKeys } from "../lib/spa/packet.ts";
import { parseModeName } from "../lib/spa/rijndael.ts";

/** Loads a vector file from `tests/testdata/`. */
export async function loadVectors(name: string): Promise<VectorCase[]> {
  const text = await Deno.readTextFile(new URL(`./testdata/${name}`, import.meta.url));
  return (JSON.parse(text) as { cases: VectorCase[] }).cases;
}

/** Turns a vector's key material into decoder keys. */
export function keysOf(c: VectorCase): SpaKeys {
  const enc = new TextEncoder();
  const key = c.keys.keyBase64 !== undefined
    ? b64Decode(c.keys.keyBase64)!
    : enc.encode(c.keys.key!);
  const keys: SpaKeys = { key, mode: parseModeName(c.mode)! };
  if (c.keys.hmacKeyBase64 !== undefined) keys.hmacKey = b64Decode(c.keys.hmacKeyBase64)!;
  else if (c.keys.hmacKey !== undefined) keys.hmacKey = enc.encode(c.keys.hmacKey);
  if (keys.hmacKey !== undefined) keys.hmacType = parseDigestName(c.hmacType)!;
  return keys;
}
