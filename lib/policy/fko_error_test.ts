import { assertEquals } from "../../tests/assert.ts";
import { fkoErrorText } from "./fko_error.ts";

const I = "Args contain invalid data: FKO_ERROR_INVALID_DATA_";

Deno.test("fko errors: each decode failure gets the libfko string fwknopd logs", () => {
  const cases: [Parameters<typeof fkoErrorText>[0], string][] = [
    [{ reason: "hmac-mismatch", detail: "HMAC does not match" }, `${I}HMAC_COMPAREFAIL`],
    [{ reason: "hmac-mismatch", detail: "Invalid HMAC key length" }, "Invalid HMAC key length"],
    [
      { reason: "decrypt-failed", detail: "wrong key or mode" },
      "Decryption failed or decrypted data is invalid",
    ],
    [{ reason: "decrypt-failed", detail: "Invalid key length" }, "Invalid key length"],
    [
      { reason: "decrypt-failed", detail: "ciphertext length is invalid" },
      `${I}ENCRYPT_CIPHERLEN_VALIDFAIL`,
    ],
    [
      { reason: "digest-mismatch", detail: "x" },
      "The computed digest did not match the digest in the spa data",
    ],
    [{ reason: "encryption-type", detail: "x" }, "Invalid encryption type"],
    [{ reason: "bad-length", detail: "x" }, `${I}FUNCS_NEW_MSGLEN_VALIDFAIL`],
    [{ reason: "not-base64", detail: "x" }, `${I}ENCODE_NOTBASE64`],
    [
      { reason: "bad-field", field: "Encoded Data", detail: "holds unprintable bytes" },
      `${I}DECODE_NON_ASCII`,
    ],
    [
      { reason: "bad-field", field: "Encoded Data", detail: "has fewer than 7 fields" },
      `${I}DECODE_LT_MIN_FIELDS`,
    ],
    [
      { reason: "bad-field", field: "Encoded Data", detail: "has an empty field" },
      `${I}DECODE_WRONG_NUM_FIELDS`,
    ],
    [
      { reason: "bad-field", field: "Encoded Data", detail: "length 3 is outside" },
      `${I}DECODE_MSGLEN_VALIDFAIL`,
    ],
    [{ reason: "bad-field", field: "SPA Data Digest", detail: "x" }, "Invalid digest type"],
    [{ reason: "bad-field", field: "Timestamp", detail: "x" }, `${I}DECODE_TIMESTAMP_DECODEFAIL`],
    [{ reason: "bad-field", field: "Nat Access", detail: "x" }, `${I}DECODE_NATACCESS_VALIDFAIL`],
    [{ reason: "bad-field", field: "Something New", detail: "x" }, `${I}DECODE_MESSAGE_VALIDFAIL`],
  ];
  for (const [f, want] of cases) assertEquals(fkoErrorText(f), want, JSON.stringify(f));
});
