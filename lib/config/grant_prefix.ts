/**
 * GRANT_SOURCE_PREFIX_V4 and GRANT_SOURCE_PREFIX_V6: an access stanza
 * option (ours; fwknopd 2.6 has none) that opens the network around the
 * granted address instead of the address alone, for clients whose SPA
 * packet and later connection leave a mobile carrier's or CGNAT pool from
 * different addresses.
 *
 * @module
 */
import { ConfigError, type ConfLine } from "./lexer.ts";

/**
 * The shortest IPv4 prefix a stanza may grant: a /16 (65,536 addresses).
 * A typing slip such as `8` or `0` is a configuration error, never a grant
 * to a tenth of the Internet.
 */
export const GRANT_PREFIX_FLOOR_V4 = 16;
/** The shortest IPv6 prefix a stanza may grant: a /48 (one site's allocation). */
export const GRANT_PREFIX_FLOOR_V6 = 48;

/**
 * Reads a GRANT_SOURCE_PREFIX_V4 or _V6 value: a prefix length from the
 * floor to the family's full length (32 or 128, which grants the address
 * alone, as if the variable were unset).
 *
 * @param l The config line.
 * @param family 4 for GRANT_SOURCE_PREFIX_V4, 6 for GRANT_SOURCE_PREFIX_V6.
 * @returns The prefix length, or `undefined` for the full length (no network).
 * @throws {ConfigError} naming file, line and variable, when the value is not
 *   a whole number from the floor to the full length.
 */
export function parseGrantPrefix(l: ConfLine, family: 4 | 6): number | undefined {
  const [floor, max] = family === 4 ? [GRANT_PREFIX_FLOOR_V4, 32] : [GRANT_PREFIX_FLOOR_V6, 128];
  const v = l.value.trim().replace(/^\//, "");
  const n = Number(v);
  if (!/^\d{1,3}$/.test(v) || n > max) {
    throw new ConfigError(l, l.name, `"${l.value}" is not a prefix length from ${floor} to ${max}`);
  }
  if (n < floor) {
    throw new ConfigError(
      l,
      l.name,
      `"${l.value}" is shorter than /${floor}: it would open ${
        family === 4 ? `${2 ** (32 - n)} addresses` : `2^${128 - n} addresses`
      } to whoever shares the network (the least allowed is ${floor})`,
    );
  }
  return n === max ? undefined : n;
}
