/**
 * `deno task web`: builds the browser client into `dist/web/` (or the
 * directory given as the first argument): `index.html` with the script and
 * styles inline under a hash-based Content-Security-Policy, the web app
 * manifest, the service worker and the icons. The page needs nothing from
 * any other host.
 *
 * The page runs the CLI's own `lib/spa` code. `lib/spa/crypto.ts` picks a
 * Deno or Node backend, so the bundle maps it to `web/spa_crypto.ts` (the
 * `@noble` backend) through an import map: {@link webConfig}. The bundle is
 * checked for `node:` imports and the `Deno` global before it is written.
 *
 * @module
 */
import { grayPng } from "../tests/png.ts";

/** The Content-Security-Policy of the page; `__SCRIPT_HASH__` and `__STYLE_HASH__` are filled in. */
export const CSP_TEMPLATE = [
  "default-src 'none'",
  "script-src '__SCRIPT_HASH__'",
  "style-src '__STYLE_HASH__'",
  "img-src 'self'",
  "manifest-src 'self'",
  "worker-src 'self'",
  // The SPA server is the user's to choose; only the SPA request goes there.
  "connect-src http: https:",
  "base-uri 'none'",
  "form-action 'none'",
].join("; ");

/** Sizes of the PNG icons the manifest names. */
const ICON_SIZES = [192, 512];

/**
 * The Deno configuration the page is bundled (and its crypto tested) with:
 * deno.json's imports plus the map from `lib/spa/crypto.ts` to the browser seam.
 *
 * @param root The repository's URL, ending in `/`.
 * @returns The configuration object, to write as JSON.
 */
export function webConfig(
  root: URL,
): { imports: Record<string, string>; compilerOptions: unknown } {
  const cfg = JSON.parse(Deno.readTextFileSync(new URL("deno.json", root)));
  return {
    imports: {
      ...cfg.imports,
      [new URL("lib/spa/crypto.ts", root).href]: new URL("web/spa_crypto.ts", root).href,
    },
    compilerOptions: cfg.compilerOptions,
  };
}

/**
 * What in a bundle would touch the platform: a `node:` import or the `Deno` global.
 *
 * @param js The bundled script.
 * @returns The offending snippets (none for a clean bundle).
 */
export function platformUses(js: string): string[] {
  return [...js.matchAll(/["']node:[a-z_/]+["']|\bDeno\.[A-Za-z]+|\bprocess\.[a-z]+/g)]
    .map((m) => m[0]);
}

async function sha256(text: string): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return btoa(String.fromCharCode(...new Uint8Array(d)));
}

async function bundle(root: URL, tmp: string): Promise<string> {
  await Deno.writeTextFile(`${tmp}/deno.json`, JSON.stringify(webConfig(root)));
  // A copy of deno.lock checks the packages' integrity; Deno rewrites its
  // workspace section for this configuration, so the copy is thrown away.
  await Deno.copyFile(new URL("deno.lock", root), `${tmp}/deno.lock`);
  const out = `${tmp}/app.js`;
  const r = await new Deno.Command(Deno.execPath(), {
    args: [
      "bundle",
      "--quiet",
      "--platform=browser",
      "--format=iife",
      "--minify",
      `--config=${tmp}/deno.json`,
      `--lock=${tmp}/deno.lock`,
      `--output=${out}`,
      new URL("web/main.ts", root).pathname,
    ],
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!r.success) {
    throw new Error(`Cannot bundle web/main.ts: deno bundle exited with code ${r.code}`);
  }
  const js = await Deno.readTextFile(out);
  const uses = platformUses(js);
  if (uses.length > 0) {
    throw new Error(`Cannot build the page: the bundle touches the platform: ${uses.join(", ")}`);
  }
  return js;
}

function icon(size: number): Uint8Array {
  const rows: number[][] = [];
  const c = size / 2;
  for (let y = 0; y < size; y++) {
    const row: number[] = [];
    for (let x = 0; x < size; x++) {
      const ring = Math.hypot(x - c, y - size * 0.42);
      const hole = ring < size * 0.09 ||
        (Math.abs(x - c) < size * 0.04 && y > size * 0.42 && y < size * 0.7);
      row.push(hole ? 255 : 0x35);
    }
    rows.push(row);
  }
  return grayPng(rows);
}

/**
 * Builds the page.
 *
 * @param root The repository's URL, ending in `/`.
 * @param outDir Where to write the files.
 * @returns The paths written.
 */
export async function buildWeb(root: URL, outDir: string): Promise<string[]> {
  const tmp = await Deno.makeTempDir({ prefix: "fwknop-web-" });
  try {
    const js = (await bundle(root, tmp)).replaceAll("</script", "<\\/script");
    const css = await Deno.readTextFile(new URL("web/style.css", root));
    const csp = CSP_TEMPLATE.replace("__SCRIPT_HASH__", `sha256-${await sha256(js)}`)
      .replace("__STYLE_HASH__", `sha256-${await sha256(css)}`);
    const html = (await Deno.readTextFile(new URL("web/index.html", root)))
      .replace("__CSP__", csp)
      .replace(/<style>\s*__STYLE__\s*<\/style>/, () => `<style>${css}</style>`)
      .replace(/<script>\s*__SCRIPT__;?\s*<\/script>/, () => `<script>${js}</script>`);
    const build = (await sha256(html)).replace(/[^A-Za-z0-9]/g, "").slice(0, 16);
    const sw = (await Deno.readTextFile(new URL("web/sw.js", root))).replace("__BUILD__", build);
    await Deno.mkdir(outDir, { recursive: true });
    const files: [string, string | Uint8Array][] = [
      ["index.html", html],
      ["sw.js", sw],
      ["manifest.webmanifest", await Deno.readTextFile(new URL("web/manifest.webmanifest", root))],
      ...ICON_SIZES.map((s): [string, Uint8Array] => [`icon-${s}.png`, icon(s)]),
    ];
    for (const [name, data] of files) {
      if (typeof data === "string") await Deno.writeTextFile(`${outDir}/${name}`, data);
      else await Deno.writeFile(`${outDir}/${name}`, data);
    }
    return files.map(([name]) => `${outDir}/${name}`);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}

if (import.meta.main) {
  const root = new URL("..", import.meta.url);
  const out = Deno.args[0] ?? new URL("dist/web", root).pathname;
  // deno-lint-ignore no-console
  for (const f of await buildWeb(root, out)) console.log(f);
}
