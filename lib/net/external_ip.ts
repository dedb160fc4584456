/**
 * `-R`: learn this host's public IPv4 address from a web service whose
 * answer starts with a dotted quad.
 *
 * @module
 */
import { RuntimeError } from "../cli/errors.ts";
import { parseAddr } from "./addr.ts";
import { checkMessageIp } from "./ip_text.ts";

const RESOLVE_TIMEOUT_MS = 10_000;

/**
 * Fetches the resolver URL and reads the address from the first line.
 *
 * @param url The resolver URL (`https://` unless `httpOnly`).
 * @param userAgent User-Agent to send, or `undefined` for the runtime's.
 * @param httpOnly Whether `--resolve-http-only` was given.
 * @returns The address.
 * @throws {RuntimeError} when the fetch fails or the answer holds no address.
 */
export async function resolveExternalIp(
  url: string,
  userAgent: string | undefined,
  httpOnly: boolean,
): Promise<string> {
  let target = url;
  if (httpOnly) target = target.replace(/^https:\/\//, "http://");
  if (!/^https?:\/\//.test(target)) target = (httpOnly ? "http://" : "https://") + target;
  let body: string;
  try {
    const res = await fetch(target, {
      headers: userAgent === undefined ? {} : { "User-Agent": userAgent },
      signal: AbortSignal.timeout(RESOLVE_TIMEOUT_MS),
    });
    body = await res.text();
    if (!res.ok) throw new Error(`HTTP status ${res.status}`);
  } catch (e) {
    throw new RuntimeError(
      `Cannot resolve the external IP from '${target}': ${(e as Error).message}`,
    );
  }
  // fwknop's resolvers answer with the address first; an IPv6 one (a -6
  // client's) is taken too, since fwknopd-ts can open it.
  const m = /^\s*(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}|[0-9A-Fa-f:]*:[0-9A-Fa-f:]+)/.exec(
    body.split("\n")[0] ?? "",
  );
  if (m === null || checkMessageIp(m[1]!) !== undefined) {
    throw new RuntimeError(
      `Cannot resolve the external IP from '${target}': the answer does not start with an IP address`,
    );
  }
  return parseAddr(m[1]!)?.text ?? m[1]!;
}
