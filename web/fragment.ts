/**
 * The fragment contract: `#SPA_SERVER=host&ACCESS=tcp/22&KEY_BASE64=...&SEND=Y`.
 * Names are `.fwknoprc` names, values percent-encoded (`+` may come as `%2B`
 * or as itself: it is never read as a space). `SEND=Y` asks for one packet
 * as soon as the page has loaded, which {@link mayAutoSend} grants only when
 * the fragment itself carries the encryption key: a link can make the page
 * knock with the keys it brings, never with keys remembered on the device.
 *
 * @module
 */
import { isSettingName, KEY_NAMES, type SettingName } from "./settings.ts";

/** Longest fragment read; a longer one is ignored whole. */
export const MAX_FRAGMENT_LEN = 4096;

/** What a fragment says. */
export interface Fragment {
  /** The settings it names, decoded. */
  values: Partial<Record<SettingName, string>>;
  /** Whether it asks for a packet at load (`SEND=Y`). */
  send: boolean;
  /** Names it holds that the page does not know, or values that do not decode. */
  ignored: string[];
}

function decode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

/**
 * Reads a fragment.
 *
 * @param hash `location.hash`, with or without its `#`.
 * @returns The settings, the send flag and what was ignored.
 */
export function parseFragment(hash: string): Fragment {
  const out: Fragment = { values: {}, send: false, ignored: [] };
  const text = hash.startsWith("#") ? hash.slice(1) : hash;
  if (text === "") return out;
  if (text.length > MAX_FRAGMENT_LEN) {
    out.ignored.push(`the whole fragment (${text.length} characters)`);
    return out;
  }
  for (const pair of text.split("&")) {
    if (pair === "") continue;
    const eq = pair.indexOf("=");
    const name = decode(eq < 0 ? pair : pair.slice(0, eq))?.trim().toUpperCase() ?? "";
    const value = eq < 0 ? "" : decode(pair.slice(eq + 1));
    if (value === undefined) out.ignored.push(name);
    else if (name === "SEND") out.send = /^(y|yes|1)$/i.test(value.trim());
    else if (isSettingName(name)) out.values[name] = value.trim();
    else out.ignored.push(name);
  }
  return out;
}

/**
 * Whether the fragment carries a key of its own.
 *
 * @param f The parsed fragment.
 * @returns `true` when `KEY_BASE64` or `KEY` is given and not empty.
 */
export function fragmentHasKey(f: Fragment): boolean {
  return (f.values.KEY_BASE64 ?? "") !== "" || (f.values.KEY ?? "") !== "";
}

/**
 * Whether the page may send at load: `SEND=Y` and the fragment's own key.
 *
 * @param f The parsed fragment.
 * @returns `true` to send one packet with the fragment's settings.
 */
export function mayAutoSend(f: Fragment): boolean {
  return f.send && fragmentHasKey(f) && (f.values.SPA_SERVER ?? "") !== "";
}

/**
 * Whether remembered keys may fill the form: only when the fragment names
 * no key and no destination other than the remembered one, so a link cannot
 * point the page's remembered keys at another server.
 *
 * @param f The parsed fragment.
 * @param stored The remembered settings.
 * @returns `true` to load the remembered keys.
 */
export function mayUseStoredKeys(
  f: Fragment,
  stored: Partial<Record<SettingName, string>>,
): boolean {
  if (KEY_NAMES.some((n) => f.values[n] !== undefined)) return false;
  for (const n of ["SPA_SERVER", "SPA_SERVER_PORT", "SPA_SERVER_PROTO"] as const) {
    const v = f.values[n];
    if (v !== undefined && v !== (stored[n] ?? "")) return false;
  }
  return true;
}
