/**
 * `deno task build:npm`: generates the npm package for Node in `npm/`.
 *
 * The design named dnt, which lives on JSR, and JSR cannot be reached from
 * these machines; so TypeScript's own compiler (from npm) emits the same
 * sources as ES modules with declarations, rewriting `.ts` imports to `.js`.
 * Every module but the tests ships, the Deno-only FFI files too: the seams
 * (`lib/sys/runtime.ts`, `lib/spa/crypto.ts`, `lib/capture/pcap.ts`, ...) load
 * them only under Deno and Node's modules otherwise. An optional output
 * directory replaces `npm/` (the Node test builds into a temporary one).
 *
 * @module
 */
import ts from "npm:typescript@5.9.3";
import { VERSION } from "../lib/version.ts";

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const OUT = Deno.args[0] ?? `${ROOT}/npm`;
const ENTRY_DIRS = ["lib", "firewall"];
const ENTRY_FILES = ["mod.ts", "client.ts", "server.ts"];
/** The `cap` addon for libpcap under Node. */
const CAP_VERSION = "0.2.1";

async function* sources(dir: string): AsyncGenerator<string> {
  for await (const e of Deno.readDir(dir)) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory) yield* sources(path);
    else if (path.endsWith(".ts") && !path.endsWith("_test.ts")) yield path;
  }
}

/** A relative module specifier ending in `.ts`, after `from` or in `import(...)`. */
const RELATIVE_TS = /(from\s+|import\()(["'])(\.{1,2}\/[^"']+)\.ts\2/g;

async function* emitted(dir: string, suffix: string): AsyncGenerator<string> {
  for await (const e of Deno.readDir(dir)) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory) yield* emitted(path, suffix);
    else if (path.endsWith(suffix)) yield path;
  }
}

/** The package's command wrappers: Node has no `import.meta.main` before v24. */
function bin(module: string): string {
  return `#!/usr/bin/env node
import { main } from "../${module}";
import { args, setExitCode } from "../lib/sys/runtime.js";
setExitCode(await main(args()));
`;
}

/**
 * npm builds optional dependencies quietly and goes on when they fail; this
 * postinstall check says so, and what to install (it never fails the install).
 */
const CHECK_CAP = `#!/usr/bin/env node
import { createRequire } from "node:module";
try {
  createRequire(import.meta.url)("cap");
} catch {
  console.warn(
    "fwknop-ts: the optional 'cap' module (libpcap capture for fwknopd-ts) did not build or " +
      "load. Install libpcap's headers and a C++ compiler (Debian: apt-get install libpcap-dev " +
      "g++ make), then run: npm rebuild cap (npm 11 may skip install scripts it has not " +
      "been told to trust: run npm install-scripts approve cap first). Until then fwknopd-ts " +
      "reads packets only in UDP-server mode (-U); the client and the library work as they are.",
  );
}
`;

async function build(): Promise<void> {
  const config = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`));
  const files = ENTRY_FILES.map((f) => `${ROOT}/${f}`);
  for (const d of ENTRY_DIRS) for await (const f of sources(`${ROOT}/${d}`)) files.push(f);
  files.sort();
  await Deno.remove(OUT, { recursive: true }).catch(() => {});
  const program = ts.createProgram(files, {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    rewriteRelativeImportExtensions: true,
    allowImportingTsExtensions: true,
    declaration: true,
    outDir: OUT,
    rootDir: ROOT,
    strict: true,
    skipLibCheck: true,
    noEmitOnError: false,
    types: [],
  });
  // Type errors are deno check's job (Deno's globals are unknown here); emit regardless.
  const result = program.emit();
  if (result.emitSkipped) throw new Error("TypeScript emitted nothing");
  // TypeScript rewrites `.ts` specifiers in the JavaScript it emits but not in
  // the declarations; Node's resolution needs `.js` there too.
  for await (const file of emitted(OUT, ".d.ts")) {
    const text = await Deno.readTextFile(file);
    await Deno.writeTextFile(file, text.replace(RELATIVE_TS, "$1$2$3.js$2"));
  }
  await Deno.mkdir(`${OUT}/bin`, { recursive: true });
  for (const [name, module] of [["fwknop-ts", "client.js"], ["fwknopd-ts", "server.js"]]) {
    await Deno.writeTextFile(`${OUT}/bin/${name}.js`, bin(module!), { mode: 0o755 });
  }
  await Deno.writeTextFile(`${OUT}/bin/check-cap.js`, CHECK_CAP, { mode: 0o755 });
  const openpgp = String(config.imports.openpgp).replace(/^npm:openpgp@/, "");
  // Fleet mode's Redis client (loaded only when FLEET_REDIS_URL is set).
  const redis = String(config.imports["@redis/client"]).replace(/^npm:@redis\/client@/, "");
  const pkg = {
    name: "fwknop-ts",
    version: VERSION,
    description:
      "Single Packet Authorization (SPA) wire-compatible with fwknop 2.6: client, daemon and library",
    type: "module",
    main: "./mod.js",
    types: "./mod.d.ts",
    exports: { ".": { types: "./mod.d.ts", default: "./mod.js" } },
    bin: { "fwknop-ts": "./bin/fwknop-ts.js", "fwknopd-ts": "./bin/fwknopd-ts.js" },
    engines: { node: ">=20" },
    scripts: { postinstall: "node bin/check-cap.js" },
    man: [
      "./man/fwknop-ts.1",
      "./man/fwknopd-ts.8",
      "./man/fwknopd-ts.conf.5",
      "./man/fwknopd-ts-access.conf.5",
    ],
    dependencies: {
      openpgp,
      "@redis/client": redis,
      uqr: String(config.imports.uqr).replace(/^npm:uqr@/, ""),
    },
    // libpcap capture under Node; it builds against libpcap-dev, and without
    // it the daemon still runs in UDP-server mode.
    optionalDependencies: { cap: CAP_VERSION },
  };
  await Deno.writeTextFile(`${OUT}/package.json`, JSON.stringify(pkg, null, 2) + "\n");
  await Deno.copyFile(`${ROOT}/README.md`, `${OUT}/README.md`);
  for (const dir of ["man", "completions"]) {
    await Deno.mkdir(`${OUT}/${dir}`, { recursive: true });
    for await (const e of Deno.readDir(`${ROOT}/${dir}`)) {
      await Deno.copyFile(`${ROOT}/${dir}/${e.name}`, `${OUT}/${dir}/${e.name}`);
    }
  }
  // deno-lint-ignore no-console
  console.log(`npm package ${pkg.name}@${pkg.version}: ${files.length} modules in ${OUT}`);
}

await build();
