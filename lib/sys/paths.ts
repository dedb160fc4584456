/**
 * POSIX path arithmetic on strings (what `node:path` gives, without loading
 * Deno's Node layer for it): no file is touched except the working directory
 * that `resolve` asks the file seam for.
 *
 * @module
 */
import { cwd } from "./files.ts";

/** Collapses `.`, `..` and repeated slashes; keeps a leading slash. */
export function normalize(path: string): string {
  const abs = path.startsWith("/");
  const out: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (out.length > 0 && out[out.length - 1] !== "..") out.pop();
      else if (!abs) out.push("..");
    } else out.push(part);
  }
  const body = out.join("/");
  return abs ? `/${body}` : body === "" ? "." : body;
}

/** The parts joined by `/`, normalized. */
export function join(...parts: string[]): string {
  const nonEmpty = parts.filter((p) => p !== "");
  return nonEmpty.length === 0 ? "." : normalize(nonEmpty.join("/"));
}

/** The directory part: `/a/b` → `/a`, `b` → `.`, `/` → `/`. */
export function dirname(path: string): string {
  if (/^\/+$/.test(path)) return "/";
  const p = path.replace(/\/+$/, "");
  const i = p.lastIndexOf("/");
  if (i < 0) return ".";
  if (i === 0) return "/";
  return p.slice(0, i).replace(/\/+$/, "") || "/";
}

/** The last part: `/a/b/` → `b`. */
export function basename(path: string): string {
  const p = path.replace(/\/+$/, "");
  return p.slice(p.lastIndexOf("/") + 1);
}

/** An absolute, normalized path: relative ones start at the working directory. */
export function resolve(path: string): string {
  return normalize(path.startsWith("/") ? path : `${cwd()}/${path}`);
}
