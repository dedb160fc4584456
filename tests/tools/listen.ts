/**
 * A tiny TCP service for the namespace tests: listens on HOST and each PORT,
 * accepts connections and closes them.
 *
 *     deno run --allow-net tests/tools/listen.ts 192.0.2.2 22 2222
 *
 * @module
 */
const [host, ...ports] = Deno.args;
if (host === undefined || ports.length === 0) {
  // deno-lint-ignore no-console
  console.error("usage: listen.ts HOST PORT...");
  Deno.exit(2);
}
for (const p of ports) {
  const l = Deno.listen({ hostname: host, port: Number(p) });
  (async () => {
    for await (const c of l) c.close();
  })();
}
// deno-lint-ignore no-console
console.log("listening");
