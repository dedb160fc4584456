import { assertEquals } from "../tests/assert.ts";
import {
  forgetSettings,
  type KeyValueStore,
  loadSettings,
  saveSettings,
  STORE_KEY,
} from "./store.ts";

function memory(): KeyValueStore & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return {
    data,
    getItem: (k) => data.get(k) ?? null,
    setItem: (k, v) => void data.set(k, v),
    removeItem: (k) => void data.delete(k),
  };
}

Deno.test("store: settings round-trip and are forgotten whole", () => {
  const s = memory();
  assertEquals(loadSettings(s), {});
  saveSettings(s, { SPA_SERVER: "198.51.100.7", KEY_BASE64: "YWJj" });
  assertEquals(loadSettings(s), { SPA_SERVER: "198.51.100.7", KEY_BASE64: "YWJj" });
  forgetSettings(s);
  assertEquals(s.data.size, 0);
});

Deno.test("store: a tampered entry yields only known names with string values", () => {
  const s = memory();
  for (const bad of ["{", "null", "[1]", "42"]) {
    s.data.set(STORE_KEY, bad);
    assertEquals(loadSettings(s), {});
  }
  s.data.set(
    STORE_KEY,
    JSON.stringify({ SPA_SERVER: "h", ACCESS: 22, evil: "x", __proto__: { KEY: "k" } }),
  );
  assertEquals(loadSettings(s), { SPA_SERVER: "h" });
});
