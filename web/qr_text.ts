/**
 * The key text of a Fwknop2 QR code, as `fwknop-ts --key-gen --qr` prints
 * it: `KEY_BASE64:<key> HMAC_KEY_BASE64:<hmac key>` (the HMAC part optional).
 * A pasted `.fwknoprc` excerpt (`KEY_BASE64  <key>` lines) is read too.
 *
 * @module
 */

/** Longest text read from the paste box. */
export const MAX_QR_TEXT_LEN = 2048;

/** The keys found in a pasted text. */
export interface QrKeys {
  /** `KEY_BASE64`. */
  keyBase64?: string;
  /** `HMAC_KEY_BASE64`. */
  hmacKeyBase64?: string;
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Reads the keys from a QR text or `.fwknoprc` lines.
 *
 * @param text The pasted text.
 * @returns The keys.
 * @throws {SyntaxError} when no key is found or a key is not base64.
 */
export function parseQrText(text: string): QrKeys {
  if (text.length > MAX_QR_TEXT_LEN) {
    throw new SyntaxError(`Cannot read the pasted keys: longer than ${MAX_QR_TEXT_LEN} characters`);
  }
  const out: QrKeys = {};
  for (const m of text.matchAll(/\b(HMAC_KEY_BASE64|KEY_BASE64)\s*[:=\s]\s*(\S+)/g)) {
    const value = m[2]!;
    if (!BASE64.test(value)) {
      throw new SyntaxError(`Cannot read the pasted keys: ${m[1]} is not base64`);
    }
    if (m[1] === "KEY_BASE64") out.keyBase64 = value;
    else out.hmacKeyBase64 = value;
  }
  if (out.keyBase64 === undefined) {
    throw new SyntaxError("Cannot read the pasted keys: no KEY_BASE64 in the text");
  }
  return out;
}
