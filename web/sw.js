// fwknop-ts service worker: keeps the page's own files for offline use.
// It answers only requests for exactly those files; every other request (the
// SPA request above all) goes to the network untouched and is never cached.
const CACHE = "fwknop-ts-__BUILD__";
const FILES = ["./", "index.html", "manifest.webmanifest", "icon-192.png", "icon-512.png"];
const scope = new URL("./", self.location.href);
const OWN = new Set(FILES.map((f) => new URL(f, scope).href));

self.addEventListener("install", (ev) => {
  ev.waitUntil(caches.open(CACHE).then((c) => c.addAll(FILES)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (ev) => {
  ev.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (ev) => {
  const url = new URL(ev.request.url);
  url.search = "";
  url.hash = "";
  if (ev.request.method !== "GET" || !OWN.has(url.href)) return;
  ev.respondWith(
    caches.open(CACHE).then((c) => c.match(url.href).then((hit) => hit ?? fetch(ev.request))),
  );
});
