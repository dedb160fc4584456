/**
 * Host name resolution for the client: IPv4 as fwknop's client does, or
 * IPv6 with `-6`. Address literals pass through in their own family.
 *
 * @module
 */
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { RuntimeError } from "../cli/errors.ts";

/**
 * Resolves a host name to one address of the family; address literals
 * (of either family) pass through.
 *
 * @param host A host name or address.
 * @param family 4 (fwknop's default) or 6 (`-6`).
 * @returns The address.
 * @throws {RuntimeError} when the name does not resolve.
 */
export async function resolveHost(host: string, family: 4 | 6 = 4): Promise<string> {
  if (isIP(host) !== 0) return host;
  try {
    return (await lookup(host, { family })).address;
  } catch (e) {
    throw new RuntimeError(
      `Cannot resolve '${host}' to an IPv${family} address: ${(e as Error).message}`,
    );
  }
}
