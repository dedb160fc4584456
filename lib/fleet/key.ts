/**
 * The fleet key (FLEET_KEY_FILE): a file holding the base64 of at least 32
 * random bytes, the same on every gateway of the fleet and never sent to
 * Redis. Its mode is checked like a key file's: readable by its owner only.
 *
 * Make one with `umask 077; head -c 32 /dev/urandom | base64 > /etc/fwknop/fleet.key`.
 *
 * @module
 */
import { readText, stat } from "../sys/files.ts";
import { b64Decode } from "../spa/base64.ts";
import { FLEET_KEY_MIN_BYTES } from "./message.ts";

/**
 * Reads and checks a fleet key file.
 *
 * @param path The file.
 * @returns The key bytes, or the reason it is refused (a sentence naming the file).
 */
export function readFleetKey(path: string): Uint8Array | string {
  let text: string;
  try {
    const mode = stat(path).mode;
    if ((mode & 0o077) !== 0) {
      return `${path}: readable by group or others (mode ${
        (mode & 0o777).toString(8).padStart(4, "0")
      }); chmod 600 ${path}`;
    }
    text = readText(path);
  } catch (e) {
    const err = e as Error & { code?: string; name?: string };
    if (err.name === "NotCapable" || /Requires read access/.test(err.message)) {
      return `${path}: read permission needed (--allow-read=${path})`;
    }
    return `${path}: ${err.code === "ENOENT" ? "no such file" : err.message}`;
  }
  const key = b64Decode(text.trim());
  if (key === undefined) return `${path}: not base64`;
  if (key.length < FLEET_KEY_MIN_BYTES) {
    return `${path}: the key is ${key.length} bytes; at least ${FLEET_KEY_MIN_BYTES} are needed`;
  }
  return key;
}
