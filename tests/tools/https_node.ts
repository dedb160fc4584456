/**
 * The HTTPS endpoint alone, for running under Node (bundled by
 * tests/https_node_test.ts): `https_node CERT_FILE KEY_FILE` listens on a
 * free loopback port, prints `node https PORT`, and prints `pkt SRC LEN`
 * for each packet it hands on. Runs until killed.
 *
 * @module
 */
import { startHttpsSpa } from "../../lib/server/https_spa.ts";
import { args, isDeno, writeErr, writeOut } from "../../lib/sys/runtime.ts";
import { readText } from "../../lib/sys/files.ts";

const [certFile, keyFile] = args();
const l = await startHttpsSpa({
  address: "127.0.0.1",
  port: 0,
  tls: { cert: readText(certFile!), key: readText(keyFile!) },
  submit: (p) => writeOut(`pkt ${p.src.text} ${p.payload.length}\n`),
  warn: (msg) => writeErr(`${msg}\n`),
});
writeOut(`${isDeno ? "deno" : "node"} https ${l.port}\n`);
