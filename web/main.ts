/// <reference lib="dom" />
/**
 * The browser client page: wires the form (web/index.html) to the SPA
 * encoder. Element ids are a contract for the tests and for anyone who
 * automates the page; index.html lists them.
 *
 * @module
 */
import { type Fragment, mayAutoSend, mayUseStoredKeys, parseFragment } from "./fragment.ts";
import { parseQrText } from "./qr_text.ts";
import { buildWebSpa, mixedContentProblem } from "./request.ts";
import {
  DEFAULTS,
  KEY_NAMES,
  SETTING_NAMES,
  type SettingName,
  type WebSettings,
} from "./settings.ts";
import { forgetSettings, type KeyValueStore, loadSettings, saveSettings } from "./store.ts";
import { Countdown } from "./countdown.ts";

/** The id of a setting's form field: `SPA_SERVER` is `spa-server`. */
function fieldId(name: SettingName): string {
  return name.toLowerCase().replaceAll("_", "-");
}

function el<T extends HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (e === null) throw new Error(`Cannot start the page: element "${id}" is missing`);
  return e as T;
}

type Field = HTMLInputElement | HTMLSelectElement;

function readForm(): WebSettings {
  const s = { ...DEFAULTS };
  for (const n of SETTING_NAMES) s[n] = el<Field>(fieldId(n)).value.trim();
  return s;
}

function fillForm(values: Partial<Record<SettingName, string>>): void {
  for (const n of SETTING_NAMES) {
    const v = values[n];
    if (v !== undefined) el<Field>(fieldId(n)).value = v;
  }
}

function say(text: string, kind: "ok" | "error" | "info" = "info"): void {
  const status = el<HTMLOutputElement>("status");
  status.textContent = text;
  status.dataset.kind = kind;
}

function notice(text: string): void {
  el<HTMLParagraphElement>("notice").textContent = text;
}

function storage(): KeyValueStore | undefined {
  try {
    return globalThis.localStorage ?? undefined;
  } catch {
    return undefined;
  }
}

const countdown = new Countdown((text) => el<HTMLOutputElement>("countdown").textContent = text);

/** Sends one fresh packet with the given settings; says "sent", never "opened". */
async function send(s: WebSettings): Promise<void> {
  const mixed = mixedContentProblem(location.protocol, s);
  if (mixed !== undefined) return say(mixed, "error");
  let spa;
  try {
    spa = buildWebSpa(s, Math.floor(Date.now() / 1000));
  } catch (e) {
    say(e instanceof Error ? e.message : String(e), "error");
    return;
  }
  const where = `${s.SPA_SERVER}:${s.SPA_SERVER_PORT}`;
  const at = new Date().toLocaleTimeString();
  say(`SPA packet sent to ${where} (${s.SPA_SERVER_PROTO}) at ${at}`, "ok");
  el<HTMLButtonElement>("resend").disabled = false;
  countdown.start(spa.grantSeconds);
  document.body.dataset.sent = String(Number(document.body.dataset.sent ?? "0") + 1);
  try {
    await fetch(spa.url, {
      mode: "no-cors",
      cache: "no-store",
      credentials: "omit",
      referrerPolicy: "no-referrer",
    });
  } catch {
    // fwknopd's TCP server closes without a reply: the packet left all the same.
  }
}

/** Saves the form when the box is ticked; `forget` also clears the store when it is not. */
function remember(forget: boolean): void {
  const store = storage();
  if (store === undefined) return;
  if (el<HTMLInputElement>("remember").checked) saveSettings(store, readForm());
  else if (forget) forgetSettings(store);
}

function applyQr(): void {
  try {
    const k = parseQrText(el<HTMLTextAreaElement>("qr-text").value);
    fillForm({
      KEY_BASE64: k.keyBase64,
      HMAC_KEY_BASE64: k.hmacKeyBase64 ?? "",
      KEY: "",
      HMAC_KEY: "",
    });
    el<HTMLTextAreaElement>("qr-text").value = "";
    say("Keys read from the pasted text", "ok");
  } catch (e) {
    say(e instanceof Error ? e.message : String(e), "error");
  }
}

function startValues(frag: Fragment, store: KeyValueStore | undefined) {
  const stored = store === undefined ? {} : loadSettings(store);
  const useKeys = mayUseStoredKeys(frag, stored);
  const fromStore = { ...stored };
  if (!useKeys) { for (const n of KEY_NAMES) delete fromStore[n]; }
  if (!useKeys && KEY_NAMES.some((n) => stored[n])) {
    notice(
      "This link brings its own keys or names another server: the keys remembered on this " +
        "device were not loaded (and are kept unless you tick Remember or press Forget).",
    );
  }
  const values = { ...DEFAULTS, ...fromStore, ...frag.values };
  // With the link's settings in the form, sending must not overwrite what is remembered.
  return { values, remembered: useKeys && Object.keys(stored).length > 0 };
}

function wire(): void {
  el<HTMLFormElement>("spa-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    remember(false);
    void send(readForm());
  });
  el<HTMLButtonElement>("resend").addEventListener("click", () => void send(readForm()));
  el<HTMLButtonElement>("qr-apply").addEventListener("click", applyQr);
  el<HTMLInputElement>("remember").addEventListener("change", () => remember(true));
  el<HTMLButtonElement>("forget").addEventListener("click", () => {
    const store = storage();
    if (store !== undefined) forgetSettings(store);
    el<HTMLInputElement>("remember").checked = false;
    fillForm({ KEY_BASE64: "", HMAC_KEY_BASE64: "", KEY: "", HMAC_KEY: "" });
    say("Forgot the settings remembered on this device");
  });
}

function start(): void {
  const frag = parseFragment(location.hash);
  // The keys leave the address bar (the history entry keeps what was opened).
  if (location.hash !== "") history.replaceState(null, "", location.pathname + location.search);
  const store = storage();
  const { values, remembered } = startValues(frag, store);
  fillForm(values);
  el<HTMLInputElement>("remember").checked = remembered;
  wire();
  if (frag.ignored.length > 0) notice(`Ignored in the link: ${frag.ignored.join(", ")}`);
  if (mayAutoSend(frag)) void send({ ...DEFAULTS, ...frag.values });
  else if (frag.send) {
    notice("The link asked to send, but it carries no key of its own: nothing was sent.");
  }
  if (location.protocol !== "file:") {
    const link = document.createElement("link");
    link.rel = "manifest";
    link.href = "manifest.webmanifest";
    document.head.append(link);
  }
  // Served over HTTPS (or from localhost, which browsers also count as secure): work offline.
  if (isSecureContext && location.protocol !== "file:" && "serviceWorker" in navigator) {
    navigator.serviceWorker.register("sw.js").catch(() => {});
  }
  document.body.dataset.ready = "true";
}

start();
