/**
 * `deno task bench`: runs every benchmark against the stock fwknop tools in
 * the same run and prints the measurements and ratios.
 *
 * @module
 */
import { benchClientStartup } from "./client_startup.ts";

for (const line of await benchClientStartup()) {
  // deno-lint-ignore no-console
  console.log(line);
}
