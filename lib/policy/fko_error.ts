/**
 * fwknopd's words for a packet that failed to decode: the libfko error
 * string it logs after "Error creating fko context: ", so fail2ban and
 * logwatch rules written for fwknopd keep matching.
 *
 * @module
 */
import type { DecodeFailure } from "../spa/packet.ts";

const INVALID = "Args contain invalid data: FKO_ERROR_INVALID_DATA_";

/** Field of a bad plaintext message to libfko's error suffix. */
const FIELD_ERRORS: Readonly<Record<string, string>> = {
  "Random Value": "DECODE_RAND_MISSING",
  "Username": "DECODE_USERNAME_VALIDFAIL",
  "Timestamp": "DECODE_TIMESTAMP_DECODEFAIL",
  "FKO Version": "DECODE_VERSION_TOOBIG",
  "Message Type": "DECODE_MSGTYPE_DECODEFAIL",
  "Message String": "DECODE_MESSAGE_VALIDFAIL",
  "Nat Access": "DECODE_NATACCESS_VALIDFAIL",
  "Client Timeout": "DECODE_TIMEOUT_VALIDFAIL",
  "Server Auth": "DECODE_SRVAUTH_DECODEFAIL",
};

function encodedDataError(detail: string): string {
  if (detail.includes("unprintable")) return `${INVALID}DECODE_NON_ASCII`;
  if (detail.includes("fewer")) return `${INVALID}DECODE_LT_MIN_FIELDS`;
  if (detail.includes("field")) return `${INVALID}DECODE_WRONG_NUM_FIELDS`;
  return `${INVALID}DECODE_MSGLEN_VALIDFAIL`;
}

/**
 * The libfko error string fwknopd logs for this failure.
 *
 * @param f Why decoding failed.
 * @returns The text after "Error creating fko context: ".
 */
export function fkoErrorText(f: DecodeFailure): string {
  switch (f.reason) {
    case "hmac-mismatch":
      return f.detail.startsWith("Invalid") ? f.detail : `${INVALID}HMAC_COMPAREFAIL`;
    case "decrypt-failed":
      if (f.detail === "Invalid key length") return f.detail;
      if (f.detail.includes("ciphertext length")) return `${INVALID}ENCRYPT_CIPHERLEN_VALIDFAIL`;
      return "Decryption failed or decrypted data is invalid";
    case "digest-mismatch":
      return "The computed digest did not match the digest in the spa data";
    case "encryption-type":
      return "Invalid encryption type";
    case "bad-length":
      return `${INVALID}FUNCS_NEW_MSGLEN_VALIDFAIL`;
    case "not-base64":
      return `${INVALID}ENCODE_NOTBASE64`;
    case "bad-field":
      if (f.field === "Encoded Data") return encodedDataError(f.detail);
      if (f.field === "SPA Data Digest") return "Invalid digest type";
      return `${INVALID}${FIELD_ERRORS[f.field] ?? "DECODE_MESSAGE_VALIDFAIL"}`;
  }
}
