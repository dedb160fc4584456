/**
 * PCAP_INTF's value: one interface (fwknopd's form), a comma-separated list
 * (`eth0,wg0`: one capture on each), `any` (libpcap's every-interface
 * device) or `auto` (the interfaces of the default routes, followed when
 * they change). Names are checked as Linux checks them (`dev_valid_name`),
 * so a name from a file or from /proc reaches libpcap only when the kernel
 * could have made it.
 *
 * @module
 */

/** Linux's IFNAMSIZ less the terminating NUL: the longest interface name. */
export const MAX_INTF_NAME = 15;
/** Most interfaces in one list (each capture holds its own kernel ring). */
export const MAX_INTFS = 16;
/** The value that follows the default route. */
export const AUTO_INTF = "auto";
/** libpcap's pseudo-device that captures on every interface. */
export const ANY_INTF = "any";

/** What PCAP_INTF asks for. */
export type IntfSpec =
  | { kind: "auto" }
  | { kind: "list"; names: string[] };

/**
 * Why `name` cannot be an interface name, or `undefined` when it can: not
 * empty, at most 15 bytes, not `.` or `..`, and no `/`, `:`, `,`,
 * whitespace or control character.
 *
 * @param name A candidate interface name.
 * @returns The reason, or `undefined`.
 * @example
 * ```ts
 * import { intfNameError } from "./intf_list.ts";
 * console.assert(intfNameError("wg0") === undefined);
 * console.assert(intfNameError("eth0/1") !== undefined);
 * ```
 */
export function intfNameError(name: string): string | undefined {
  if (name === "") return "an interface name is empty";
  if (new TextEncoder().encode(name).length > MAX_INTF_NAME) {
    return `"${name}" is longer than ${MAX_INTF_NAME} bytes`;
  }
  if (name === "." || name === "..") return `"${name}" is not an interface name`;
  // deno-lint-ignore no-control-regex
  const bad = /[/:,\s\x00-\x1f\x7f]/.exec(name);
  if (bad !== null) {
    const c = bad[0].charCodeAt(0);
    const shown = c < 0x21 || c === 0x7f ? `\\x${c.toString(16).padStart(2, "0")}` : bad[0];
    // deno-lint-ignore no-control-regex
    return `"${name.replace(/[\x00-\x1f\x7f]/g, "?")}" contains "${shown}"`;
  }
  return undefined;
}

/**
 * Parses PCAP_INTF (or `-i`): `auto`, or one or more names separated by
 * commas (spaces after a comma are allowed). `auto` and `any` stand alone;
 * a name may not repeat.
 *
 * @param value The variable's value.
 * @returns What to capture on, or the reason the value is refused.
 * @example
 * ```ts
 * import { parseIntfList } from "./intf_list.ts";
 * const r = parseIntfList("eth0, wg0");
 * console.assert("spec" in r && r.spec.kind === "list" && r.spec.names.length === 2);
 * ```
 */
export function parseIntfList(value: string): { spec: IntfSpec } | { error: string } {
  const names = value.split(",").map((n) => n.trim());
  if (names.length === 1 && names[0] === AUTO_INTF) return { spec: { kind: "auto" } };
  if (names.length > MAX_INTFS) return { error: `more than ${MAX_INTFS} interfaces` };
  for (const n of names) {
    const why = intfNameError(n);
    if (why !== undefined) return { error: names.length > 1 ? `${why} in the list` : why };
    if (names.length > 1 && (n === AUTO_INTF || n === ANY_INTF)) {
      return { error: `"${n}" stands alone, not in a list` };
    }
  }
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice !== undefined) return { error: `"${twice}" is listed twice` };
  return { spec: { kind: "list", names } };
}
