/**
 * Host name resolution for the client (IPv4 only, as fwknop's client).
 *
 * @module
 */
import { lookup } from "node:dns/promises";
import { isIPv4 } from "node:net";
import { RuntimeError } from "../cli/errors.ts";

/**
 * Resolves a host name to one IPv4 address; dotted quads pass through.
 *
 * @param host A host name or IPv4 address.
 * @returns The address.
 * @throws {RuntimeError} when the name does not resolve.
 */
export async function resolveIPv4(host: string): Promise<string> {
  if (isIPv4(host)) return host;
  try {
    return (await lookup(host, { family: 4 })).address;
  } catch (e) {
    throw new RuntimeError(`Cannot resolve '${host}' to an IPv4 address: ${(e as Error).message}`);
  }
}
