/**
 * Sends `GET <target>` over TLS to HOST:PORT, trusting only CA_FILE, and
 * prints the reply's bytes as base64 (an empty line when the server closed
 * without answering). Used from inside test namespaces:
 *
 *     deno run --allow-net --allow-read tests/tools/https_get.ts HOST PORT CA_FILE TARGET...
 *
 * @module
 */
import { readAll } from "../https_rig.ts";

const [host, port, caFile, ...targets] = Deno.args;
const ca = await Deno.readTextFile(caFile!);
for (const target of targets) {
  let reply: Uint8Array = new Uint8Array();
  try {
    const c = await Deno.connectTls({ hostname: host!, port: Number(port), caCerts: [ca] });
    await c.write(new TextEncoder().encode(`GET ${target} HTTP/1.1\r\nHost: ${host}\r\n\r\n`));
    reply = await readAll(c);
    c.close();
  } catch {
    // closed without an answer
  }
  // deno-lint-ignore no-console
  console.log(btoa(String.fromCharCode(...reply)));
}
