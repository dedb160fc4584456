/**
 * "Remember on this device": the settings in `localStorage`, keys included,
 * only after the user ticks the box. Anyone who can run script on the page's
 * origin, use the unlocked device or read its browser profile can read them
 * there; without the box nothing is written and the keys live only in the
 * open page.
 *
 * @module
 */
import { isSettingName, type SettingName } from "./settings.ts";

/** The `localStorage` key the settings are kept under. */
export const STORE_KEY = "fwknop-ts.settings";

/** The part of `Storage` the page uses. */
export interface KeyValueStore {
  /** Reads an item. */
  getItem(key: string): string | null;
  /** Writes an item. */
  setItem(key: string, value: string): void;
  /** Removes an item. */
  removeItem(key: string): void;
}

/**
 * Reads the remembered settings; anything malformed is dropped.
 *
 * @param store The storage.
 * @returns The remembered settings (empty when none).
 */
export function loadSettings(store: KeyValueStore): Partial<Record<SettingName, string>> {
  const out: Partial<Record<SettingName, string>> = {};
  let raw: unknown;
  try {
    raw = JSON.parse(store.getItem(STORE_KEY) ?? "{}");
  } catch {
    return out;
  }
  if (typeof raw !== "object" || raw === null) return out;
  for (const [k, v] of Object.entries(raw)) {
    if (isSettingName(k) && typeof v === "string") out[k] = v;
  }
  return out;
}

/**
 * Remembers the settings.
 *
 * @param store The storage.
 * @param s The settings to keep.
 */
export function saveSettings(store: KeyValueStore, s: Partial<Record<SettingName, string>>): void {
  store.setItem(STORE_KEY, JSON.stringify(s));
}

/**
 * Forgets everything remembered.
 *
 * @param store The storage.
 */
export function forgetSettings(store: KeyValueStore): void {
  store.removeItem(STORE_KEY);
}
