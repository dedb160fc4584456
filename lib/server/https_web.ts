/**
 * The web page the HTTPS endpoint serves (`HTTPS_WEB_DIR`), read once at
 * start into memory. Requests are answered from this table by exact path,
 * so no request ever reaches the file system: `/../`, encoded dots and
 * links out of the folder name nothing that is in it.
 *
 * What is read: regular files only (symbolic links, devices and sockets are
 * skipped, so a link to `/etc/shadow` put in the folder serves nothing),
 * names of letters, digits, `.`, `_` and `-` not starting with a dot, at
 * most {@link WEB_MAX_DEPTH} folders deep, {@link WEB_MAX_FILES} files,
 * {@link WEB_MAX_FILE_BYTES} each and {@link WEB_MAX_TOTAL_BYTES} in all.
 *
 * @module
 */
import { lstatSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** Files served at most. */
export const WEB_MAX_FILES = 64;
/** Bytes in one served file at most. */
export const WEB_MAX_FILE_BYTES = 2 * 1024 * 1024;
/** Bytes in all served files at most. */
export const WEB_MAX_TOTAL_BYTES = 8 * 1024 * 1024;
/** Folder depth below the web folder. */
export const WEB_MAX_DEPTH = 3;
/** A name that may be served: no leading dot, no `/`, `%` or `\`. */
const SAFE_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;

/**
 * The Content-Security-Policy sent when the page names none (a
 * `<meta http-equiv="Content-Security-Policy">` in index.html is sent as the
 * header instead): the page's own files only, SPA requests to any web server.
 */
export const DEFAULT_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; " +
  "img-src 'self' data:; connect-src 'self' https: http:; manifest-src 'self'; " +
  "worker-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** Content types by file extension; anything else is `application/octet-stream`. */
const TYPES: Readonly<Record<string, string>> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  mjs: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  json: "application/json",
  webmanifest: "application/manifest+json",
  svg: "image/svg+xml",
  png: "image/png",
  ico: "image/x-icon",
  txt: "text/plain; charset=utf-8",
  wasm: "application/wasm",
};

/** One file to serve. */
export interface WebFile {
  /** The Content-Type. */
  type: string;
  /** The bytes. */
  body: Uint8Array;
}

/** The page: files by request path (`/` is `/index.html`), and the CSP header's value. */
export interface WebSite {
  /** Files by path, such as `/index.html` and `/icons/a.png`. */
  files: ReadonlyMap<string, WebFile>;
  /** The Content-Security-Policy header value. */
  csp: string;
  /** What was left out and why, for the log. */
  skipped: readonly string[];
}

/** The CSP a page's `<meta http-equiv>` states, if it is one clean header line. */
export function metaCsp(html: string): string | undefined {
  const m = /<meta\s+http-equiv=["']Content-Security-Policy["']\s+content="([^"]{1,4096})"/i
    .exec(html) ??
    /<meta\s+content="([^"]{1,4096})"\s+http-equiv=["']Content-Security-Policy["']/i.exec(html);
  if (m === null) return undefined;
  const v = m[1]!.replaceAll("&#39;", "'").replaceAll("&quot;", '"').replaceAll("&amp;", "&")
    .trim();
  // A header value: printable ASCII only (no CR or LF to split the response).
  if (!/^[\x20-\x7e]+$/.test(v)) return undefined;
  return /frame-ancestors/i.test(v) ? v : `${v.replace(/;\s*$/, "")}; frame-ancestors 'none'`;
}

function typeOf(name: string): string {
  const dot = name.lastIndexOf(".");
  return (dot < 0 ? undefined : TYPES[name.slice(dot + 1).toLowerCase()]) ??
    "application/octet-stream";
}

/** Walks one folder into `out`; returns the bytes read so far. */
function walk(
  dir: string,
  prefix: string,
  depth: number,
  out: Map<string, WebFile>,
  skipped: string[],
  total: number,
): number {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch (e) {
    skipped.push(`${dir}: ${(e as Error).message}`);
    return total;
  }
  for (const name of names) {
    const path = join(dir, name);
    if (!SAFE_NAME.test(name)) {
      skipped.push(`${path}: the name is not served`);
      continue;
    }
    const st = lstatSync(path);
    if (st.isDirectory()) {
      if (depth >= WEB_MAX_DEPTH) skipped.push(`${path}: deeper than ${WEB_MAX_DEPTH} folders`);
      else total = walk(path, `${prefix}${name}/`, depth + 1, out, skipped, total);
      continue;
    }
    if (!st.isFile()) {
      skipped.push(`${path}: not a regular file (links are not followed)`);
      continue;
    }
    if (out.size >= WEB_MAX_FILES) {
      skipped.push(`${path}: more than ${WEB_MAX_FILES} files`);
      continue;
    }
    if (st.size > WEB_MAX_FILE_BYTES || total + st.size > WEB_MAX_TOTAL_BYTES) {
      skipped.push(`${path}: too large`);
      continue;
    }
    const body = new Uint8Array(readFileSync(path));
    total += body.length;
    out.set(`${prefix}${name}`, { type: typeOf(name), body });
  }
  return total;
}

/**
 * Reads the web folder.
 *
 * @param dir `HTTPS_WEB_DIR`.
 * @returns The files, the CSP and what was skipped.
 * @throws {Error} when `dir` is not a folder (the file system's error).
 */
export function loadWebSite(dir: string): WebSite {
  if (!lstatSync(dir).isDirectory()) {
    throw new Error(`Cannot serve "${dir}": it is not a folder (a link to one is not followed)`);
  }
  const files = new Map<string, WebFile>();
  const skipped: string[] = [];
  walk(dir, "/", 0, files, skipped, 0);
  const index = files.get("/index.html");
  const csp = (index === undefined ? undefined : metaCsp(new TextDecoder().decode(index.body))) ??
    DEFAULT_CSP;
  return { files, csp, skipped };
}
