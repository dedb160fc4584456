/**
 * Opens one TCP connection from a given local address, for tests that
 * check a grant holds for one source only.
 *
 *     deno run --allow-net tests/tools/connect_from.ts HOST PORT LOCAL_ADDRESS [TIMEOUT_MS]
 *
 * Exits 0 when the connection is accepted, 1 otherwise.
 *
 * @module
 */
import { createConnection } from "node:net";

const [host, port, local, timeout] = Deno.args;
if (host === undefined || port === undefined || local === undefined) {
  // deno-lint-ignore no-console
  console.error("usage: connect_from.ts HOST PORT LOCAL_ADDRESS [TIMEOUT_MS]");
  Deno.exit(2);
}
const ok = await new Promise<boolean>((resolve) => {
  const s = createConnection({ host, port: Number(port), localAddress: local });
  const t = setTimeout(() => {
    s.destroy();
    resolve(false);
  }, Number(timeout ?? 700));
  s.on("connect", () => {
    clearTimeout(t);
    s.destroy();
    resolve(true);
  });
  s.on("error", () => {
    clearTimeout(t);
    resolve(false);
  });
});
Deno.exit(ok ? 0 : 1);
