/**
 * Keys to phones: the text the Fwknop2 Android client imports from a QR
 * code (`KEY_BASE64:<key> HMAC_KEY_BASE64:<hmac key>`), drawn for a
 * terminal with half-block characters (two modules per character row).
 * The encoder is `uqr` (no dependencies, any runtime).
 *
 * @module
 */
import { encode, renderUnicodeCompact } from "uqr";
import { b64EncodePadded } from "../spa/base64.ts";

/** The text a Fwknop2 QR code holds. */
export function keysQrText(key: Uint8Array, hmacKey?: Uint8Array): string {
  return `KEY_BASE64:${b64EncodePadded(key)}` +
    (hmacKey === undefined ? "" : ` HMAC_KEY_BASE64:${b64EncodePadded(hmacKey)}`);
}

/**
 * The QR code of a text for a terminal: light modules are drawn, so it
 * scans on the usual dark background (with a quiet zone around it).
 */
export function terminalQr(text: string): string {
  return renderUnicodeCompact(text, { border: 2, ecc: "M" }) + "\n";
}

/** The QR code's modules (`true` is dark), without the quiet zone. */
export function qrModules(text: string): boolean[][] {
  return encode(text, { border: 0, ecc: "M" }).data;
}
