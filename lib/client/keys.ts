/**
 * Where the client's keys come from, in fwknop's order: the command line or
 * rc file (text or base64), a key file (`-G`), `--stdin`, `--fd`, and last a
 * prompt that does not echo.
 *
 * @module
 */
import { RuntimeError, UsageError } from "../cli/errors.ts";
import { readFd, readSecret, stdinIsTerminal } from "../sys/runtime.ts";
import { readText } from "../sys/files.ts";
import { b64Decode, isBase64Charset } from "../spa/base64.ts";
import { MAX_HMAC_KEY_LEN } from "../spa/packet.ts";
import { MAX_KEY_LEN } from "../spa/rijndael.ts";
import type { ClientSettings } from "./settings.ts";

const enc = new TextEncoder();

/**
 * Reads `HOST: key` lines and returns the key of the last line for `host`.
 *
 * @param path The key file.
 * @param host The `-D` value.
 * @returns The key text, or `undefined` when no line names the host.
 * @throws {RuntimeError} when the file cannot be read.
 */
export function keyFromFile(path: string, host: string | undefined): string | undefined {
  let text: string;
  try {
    text = readText(path);
  } catch (e) {
    throw new RuntimeError(`Cannot read key file '${path}': ${(e as Error).message}`);
  }
  let found: string | undefined;
  for (const line of text.split("\n")) {
    const m = /^\s*([^:#\s]+)\s*:\s?(.*?)\r?$/.exec(line);
    if (m !== null && m[1] === host) found = m[2];
  }
  return found;
}

function fromBase64(what: string, text: string): Uint8Array {
  const bytes = isBase64Charset(text) ? b64Decode(text) : undefined;
  if (bytes === undefined || bytes.length === 0) {
    throw new UsageError(
      `Base64 encoded ${what} argument '${text}' doesn't look like base64-encoded data.`,
    );
  }
  return bytes;
}

function checkLen(what: string, key: Uint8Array, max: number): Uint8Array {
  if (key.length < 1 || key.length > max) {
    throw new UsageError(`Invalid ${what} key length ${key.length}: it must be 1 to ${max} bytes`);
  }
  return key;
}

function prompt(what: string): string {
  if (!stdinIsTerminal()) {
    throw new UsageError(
      `No ${what} key given and no terminal to ask on: use --key-rijndael/--key-base64-rijndael ` +
        `(--key-hmac/--key-base64-hmac), -G, --stdin, --fd or a .fwknoprc stanza`,
    );
  }
  return readSecret(what === "encryption" ? "Enter encryption key: " : "Enter HMAC key: ");
}

/**
 * Finds the Rijndael key.
 *
 * @param s The settings.
 * @returns The key bytes.
 * @throws {UsageError} when no key can be had or it has a bad length.
 */
export function encryptionKey(s: ClientSettings): Uint8Array {
  let key: Uint8Array;
  if (s.keyBase64 !== undefined) key = fromBase64("Rijndael", s.keyBase64);
  else if (s.key !== undefined) key = enc.encode(s.key);
  else if (s.keyFile !== undefined) {
    const k = keyFromFile(s.keyFile, s.destination);
    if (k === undefined) {
      throw new UsageError(`No key for '${s.destination}' in key file '${s.keyFile}'`);
    }
    key = enc.encode(k);
  } else if (s.readStdin || s.fd !== undefined) {
    key = enc.encode(readFd(s.fd ?? 0).split("\n")[0]!.replace(/\r$/, ""));
  } else {
    key = enc.encode(prompt("encryption"));
  }
  return checkLen("Rijndael", key, MAX_KEY_LEN);
}

/**
 * Finds the HMAC key, when HMAC is in use.
 *
 * @param s The settings.
 * @returns The key bytes, or `undefined` without HMAC.
 * @throws {UsageError} when no key can be had or it has a bad length.
 */
export function hmacKey(s: ClientSettings): Uint8Array | undefined {
  let key: Uint8Array;
  if (s.hmacKeyBase64 !== undefined) key = fromBase64("HMAC", s.hmacKeyBase64);
  else if (s.hmacKey !== undefined) key = enc.encode(s.hmacKey);
  else if (s.hmacKeyFile !== undefined) {
    const k = keyFromFile(s.hmacKeyFile, s.destination);
    if (k === undefined) {
      throw new UsageError(`No HMAC key for '${s.destination}' in key file '${s.hmacKeyFile}'`);
    }
    key = enc.encode(k);
  } else if (s.useHmac) key = enc.encode(prompt("HMAC"));
  else return undefined;
  return checkLen("HMAC", key, MAX_HMAC_KEY_LEN);
}
