/**
 * What the page's form holds, by fwknop's `.fwknoprc` names, and the
 * defaults a phone user starts from.
 *
 * @module
 */

/** The `.fwknoprc` names the page reads from its form, its fragment and its store. */
export const SETTING_NAMES = [
  "SPA_SERVER",
  "SPA_SERVER_PORT",
  "SPA_SERVER_PROTO",
  "ACCESS",
  "ALLOW_IP",
  "KEY_BASE64",
  "HMAC_KEY_BASE64",
  "KEY",
  "HMAC_KEY",
  "HMAC_DIGEST_TYPE",
  "DIGEST_TYPE",
  "FW_TIMEOUT",
  "SPOOF_USER",
] as const;

/** One of {@link SETTING_NAMES}. */
export type SettingName = typeof SETTING_NAMES[number];

/** The page's settings: every value as the text of its form field. */
export type WebSettings = Record<SettingName, string>;

/** The names that carry a secret: never shown in a status line, stored only when asked. */
export const KEY_NAMES: readonly SettingName[] = [
  "KEY_BASE64",
  "HMAC_KEY_BASE64",
  "KEY",
  "HMAC_KEY",
];

/** The names that say where a packet goes; stored keys belong to them. */
export const DESTINATION_NAMES: readonly SettingName[] = [
  "SPA_SERVER",
  "SPA_SERVER_PORT",
  "SPA_SERVER_PROTO",
];

/** fwknopd's default `FW_ACCESS_TIMEOUT`: the grant's life when the client asks none. */
export const DEFAULT_ACCESS_TIMEOUT = 30;

/** fwknop's default SPA port (`-p`), where fwknopd's TCP server also listens. */
export const DEFAULT_SPA_PORT = 62201;

/** The form's starting values. */
export const DEFAULTS: Readonly<WebSettings> = {
  SPA_SERVER: "",
  SPA_SERVER_PORT: String(DEFAULT_SPA_PORT),
  SPA_SERVER_PROTO: "http",
  ACCESS: "tcp/22",
  ALLOW_IP: "source",
  KEY_BASE64: "",
  HMAC_KEY_BASE64: "",
  KEY: "",
  HMAC_KEY: "",
  HMAC_DIGEST_TYPE: "sha256",
  DIGEST_TYPE: "sha256",
  FW_TIMEOUT: "",
  SPOOF_USER: "",
};

/**
 * Whether a name is one of the page's settings.
 *
 * @param name A name from a fragment or a store.
 * @returns `true` for a name in {@link SETTING_NAMES}.
 */
export function isSettingName(name: string): name is SettingName {
  return (SETTING_NAMES as readonly string[]).includes(name);
}
