/**
 * A throw-away certificate authority for the alert tests: a CA and a server
 * certificate for `localhost` and 127.0.0.1 signed by it, made with openssl
 * in a temporary directory.
 *
 * @module
 */
import { must } from "./netns.ts";

/** The PEM files of a test CA and of one server it signed. */
export interface TestCa {
  dir: string;
  caFile: string;
  ca: string;
  cert: string;
  key: string;
}

/**
 * Makes a CA and a server certificate for `localhost`, 127.0.0.1 and the
 * extra names or addresses given.
 *
 * @param extra More subjectAltName entries, such as `IP:10.9.0.2`.
 * @returns The PEM texts and the CA file's path.
 */
export async function makeTestCa(extra: string[] = []): Promise<TestCa> {
  const dir = await Deno.makeTempDir({ prefix: "fkts-alert-ca-" });
  const o = (n: string) => `${dir}/${n}`;
  await must([
    "openssl",
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-keyout",
    o("ca.key"),
    "-out",
    o("ca.pem"),
    "-days",
    "2",
    "-subj",
    "/CN=fwknop-ts test CA",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign",
  ]);
  await must([
    "openssl",
    "req",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-keyout",
    o("srv.key"),
    "-out",
    o("srv.csr"),
    "-subj",
    "/CN=localhost",
  ]);
  const san = ["DNS:localhost", "IP:127.0.0.1", ...extra].join(",");
  await Deno.writeTextFile(
    o("ext.cnf"),
    `subjectAltName=${san}\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n`,
  );
  await must([
    "openssl",
    "x509",
    "-req",
    "-in",
    o("srv.csr"),
    "-CA",
    o("ca.pem"),
    "-CAkey",
    o("ca.key"),
    "-CAcreateserial",
    "-out",
    o("srv.pem"),
    "-days",
    "2",
    "-extfile",
    o("ext.cnf"),
  ]);
  return {
    dir,
    caFile: o("ca.pem"),
    ca: await Deno.readTextFile(o("ca.pem")),
    cert: await Deno.readTextFile(o("srv.pem")),
    key: await Deno.readTextFile(o("srv.key")),
  };
}
