/**
 * `deno task deb [--arch amd64|arm64|all] [--version V] [--out DIR]`: builds
 * `fwknop-ts_<version>_<arch>.deb`, a package that holds everything it runs:
 * a pinned Deno runtime (from npm's `@deno/linux-*-glibc`, its integrity
 * checked), the sources, and every npm dependency in a read-only module
 * cache, so nothing is fetched at install or run time. Layout and maintainer
 * scripts: packaging/deb/ and docs/operations.md.
 *
 * @module
 */
import { gzipSync } from "node:zlib";
import { PRODUCT_ROOTS } from "./platform_uses.ts";
import { INSTALL_PERMISSIONS } from "./install.ts";
import { VERSION } from "../lib/version.ts";

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const PKG = `${ROOT}/packaging/deb`;

/** The Deno both architectures ship, and npm's integrity of each build. */
export const DENO_PIN = {
  version: "2.9.5",
  amd64: {
    npm: "@deno/linux-x64-glibc",
    integrity:
      "sha512-TDqcnoLe3jlgqYEQm7H7MK6q0JOth+o8iSZzknRODnVkJfPiNnjVn1M1Zc6vnp+ipkyb6Av1/CUlHgHtlq59Gw==",
  },
  arm64: {
    npm: "@deno/linux-arm64-glibc",
    integrity:
      "sha512-IuYjsz9PGl7CJcNXMuN27KNDB8Q40brK3SG3l+TXMDVW61ZKwcn0fQHBHnXFiiygEwI8by/fKnASEluhZB1atw==",
  },
} as const;

/** The architectures the package is built for. */
export type Arch = "amd64" | "arm64";

/** Folders and files of the installed package. */
export const LAYOUT = {
  lib: "/usr/lib/fwknop-ts",
  conf: "/etc/fwknop-ts",
  run: "/run/fwknop-ts",
  drops: "/usr/share/fwknop-ts/systemd",
} as const;

async function sh(cmd: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  const r = await new Deno.Command(cmd, { args, env, stdout: "piped", stderr: "piped" }).output();
  const err = new TextDecoder().decode(r.stderr);
  if (!r.success) throw new Error(`Cannot build the package: ${cmd} ${args.join(" ")}: ${err}`);
  return new TextDecoder().decode(r.stdout);
}

/** The pinned Deno binary for `arch`, fetched once with npm into dist/.cache. */
async function denoBinary(arch: Arch, cache: string): Promise<string> {
  const pin = DENO_PIN[arch];
  const dir = `${cache}/deno-${arch}-${DENO_PIN.version}`;
  const bin = `${dir}/package/deno`;
  if (await exists(bin)) return bin;
  await Deno.mkdir(dir, { recursive: true });
  const out = JSON.parse(
    await sh("npm", [
      "pack",
      "--json",
      "--pack-destination",
      dir,
      `${pin.npm}@${DENO_PIN.version}`,
    ]),
  );
  if (out[0]?.integrity !== pin.integrity) {
    throw new Error(
      `Cannot build the package: ${pin.npm}@${DENO_PIN.version} has integrity ${
        out[0]?.integrity
      }, not the pinned ${pin.integrity}`,
    );
  }
  await sh("tar", ["-xzf", `${dir}/${out[0].filename}`, "-C", dir]);
  await Deno.chmod(bin, 0o755);
  return bin;
}

async function exists(p: string): Promise<boolean> {
  try {
    await Deno.lstat(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * The npm packages deno.lock pins that deno.json does not import: a dev or
 * test run without `--lock=deno.dev.lock` writes its own dependencies into
 * the product lock, and `deno cache` would then ship them in the package.
 *
 * @param denoJson deno.json's text.
 * @param lock deno.lock's text.
 * @returns The stray specifiers (`npm:name@version`); empty when the lock is clean.
 */
export function strayLockPackages(denoJson: string, lock: string): string[] {
  const imports = new Set(Object.values(JSON.parse(denoJson).imports ?? {}) as string[]);
  const pinned = Object.keys(JSON.parse(lock).specifiers ?? {});
  return pinned.filter((spec) => !imports.has(spec));
}

/** Refuses to build from a product lock that pins packages the product does not import. */
async function checkLock(): Promise<void> {
  const stray = strayLockPackages(
    await Deno.readTextFile(`${ROOT}/deno.json`),
    await Deno.readTextFile(`${ROOT}/deno.lock`),
  );
  if (stray.length > 0) {
    throw new Error(
      `Cannot build the package: deno.lock pins ${stray.join(", ")}, which deno.json does not ` +
        "import (a dev run without --lock=deno.dev.lock wrote it there?); restore deno.lock " +
        "(git diff deno.lock) and build again",
    );
  }
}

/** Copies the product sources (no tests, no fakes) and the package's default folders. */
async function stageApp(app: string): Promise<void> {
  const copy = async (rel: string): Promise<void> => {
    const st = await Deno.stat(`${ROOT}/${rel}`);
    if (st.isDirectory) {
      for await (const e of Deno.readDir(`${ROOT}/${rel}`)) await copy(`${rel}/${e.name}`);
    } else if (rel.endsWith(".ts") && !/_(test|fake)\.ts$/.test(rel)) {
      const dir = rel.includes("/") ? rel.slice(0, rel.lastIndexOf("/")) : "";
      await Deno.mkdir(`${app}/${dir}`, { recursive: true });
      // The entry files' `#!` lines are for a checkout; here the launchers run them.
      const text = await Deno.readTextFile(`${ROOT}/${rel}`);
      await Deno.writeTextFile(
        `${app}/${rel}`,
        text.startsWith("#!") ? text.replace(/^#!.*\n/, "") : text,
      );
    }
  };
  for (const r of PRODUCT_ROOTS) await copy(r);
  for (const f of ["deno.json", "deno.lock"]) await Deno.copyFile(`${ROOT}/${f}`, `${app}/${f}`);
  await Deno.writeTextFile(
    `${app}/lib/config/paths.ts`,
    `/** The Debian package's folders (written by scripts/build_deb.ts). */\n` +
      `export const DEFAULT_CONF_DIR = "${LAYOUT.conf}";\n` +
      `/** The run folder (FWKNOP_RUN_DIR's default). */\n` +
      `export const DEFAULT_RUN_DIR = "${LAYOUT.run}";\n`,
  );
}

/**
 * Fills a module cache with every npm package the sources import (also the
 * ones loaded on demand), keeping only the packages themselves.
 */
async function stageCache(deno: string, app: string, cache: string): Promise<void> {
  const files: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for await (const e of Deno.readDir(d)) {
      if (e.isDirectory) await walk(`${d}/${e.name}`);
      else if (e.name.endsWith(".ts")) files.push(`${d}/${e.name}`);
    }
  };
  await walk(app);
  await sh(deno, [
    "cache",
    "--frozen",
    `--config=${app}/deno.json`,
    `--lock=${app}/deno.lock`,
    ...files,
  ], {
    DENO_DIR: cache,
    DENO_NO_UPDATE_CHECK: "1",
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    HOME: Deno.env.get("HOME") ?? "/tmp",
  });
  for await (const e of Deno.readDir(cache)) {
    if (e.name !== "npm" && e.name !== "remote") {
      await Deno.remove(`${cache}/${e.name}`, { recursive: true });
    }
  }
}

async function put(stage: string, path: string, text: string | Uint8Array, mode = 0o644) {
  await Deno.mkdir(`${stage}${path.replace(/\/[^/]*$/, "")}`, { recursive: true });
  if (typeof text === "string") await Deno.writeTextFile(`${stage}${path}`, text);
  else await Deno.writeFile(`${stage}${path}`, text);
  await Deno.chmod(`${stage}${path}`, mode);
}

const gz = (text: string | Uint8Array) =>
  gzipSync(typeof text === "string" ? new TextEncoder().encode(text) : text, { level: 9 });

/** The launchers, units, configuration, man pages, completions and docs. */
async function stageFiles(stage: string, date: string): Promise<void> {
  const read = (p: string) => Deno.readTextFileSync(`${ROOT}/${p}`);
  const client = INSTALL_PERMISSIONS["fwknop-ts"]!.join(" ");
  await put(
    stage,
    "/usr/bin/fwknop-ts",
    read("packaging/deb/fwknop-ts.in").replace("@PERMISSIONS@", client).replace("@FLAGS@", client),
    0o755,
  );
  await put(stage, "/usr/sbin/fwknopd-ts", read("packaging/deb/fwknopd-ts"), 0o755);
  await put(
    stage,
    "/lib/systemd/system/fwknopd-ts.service",
    read("packaging/deb/systemd/fwknopd-ts.service"),
  );
  for await (const e of Deno.readDir(`${PKG}/systemd/drop-ins`)) {
    await put(stage, `${LAYOUT.drops}/${e.name}`, read(`packaging/deb/systemd/drop-ins/${e.name}`));
  }
  await put(stage, "/usr/lib/tmpfiles.d/fwknop-ts.conf", read("packaging/deb/tmpfiles.conf"));
  await put(stage, "/etc/logcheck/ignore.d.server/fwknop-ts", read("packaging/deb/logcheck"));
  await put(stage, `${LAYOUT.conf}/fwknopd.conf`, read("packaging/deb/etc/fwknopd.conf"), 0o600);
  await put(stage, `${LAYOUT.conf}/access.conf`, read("packaging/deb/etc/access.conf"), 0o600);
  for await (const e of Deno.readDir(`${ROOT}/man`)) {
    const section = e.name.replace(/^.*\./, "");
    await put(stage, `/usr/share/man/man${section}/${e.name}.gz`, gz(read(`man/${e.name}`)));
  }
  for (const name of ["fwknop-ts", "fwknopd-ts"]) {
    await put(
      stage,
      `/usr/share/bash-completion/completions/${name}`,
      read(`completions/${name}.bash`),
    );
  }
  const doc = "/usr/share/doc/fwknop-ts";
  await put(stage, `${doc}/copyright`, read("packaging/deb/copyright"));
  await put(stage, `${doc}/README.Debian`, read("packaging/deb/README.Debian"));
  await put(
    stage,
    `${doc}/changelog.gz`,
    gz(read("packaging/deb/changelog").replaceAll("@VERSION@", VERSION).replace("@DATE@", date)),
  );
  await put(
    stage,
    "/usr/share/lintian/overrides/fwknop-ts",
    read("packaging/deb/lintian-overrides"),
  );
}

/** DEBIAN/: control, conffiles, md5sums and the maintainer scripts. */
async function stageControl(stage: string, arch: Arch, version: string): Promise<void> {
  const du = await sh("du", ["-sk", "--exclude=DEBIAN", stage]);
  const size = du.split("\t")[0]!;
  const control = Deno.readTextFileSync(`${PKG}/control`).replace("@VERSION@", version)
    .replace("@ARCH@", arch).replace("@SIZE@", size);
  await put(stage, "/DEBIAN/control", control);
  const conf = [
    `${LAYOUT.conf}/access.conf`,
    `${LAYOUT.conf}/fwknopd.conf`,
    "/etc/logcheck/ignore.d.server/fwknop-ts",
  ];
  await put(stage, "/DEBIAN/conffiles", conf.join("\n") + "\n");
  for (const s of ["postinst", "prerm", "postrm"]) {
    await put(stage, `/DEBIAN/${s}`, Deno.readTextFileSync(`${PKG}/maint/${s}`), 0o755);
  }
  const sums = await sh("sh", [
    "-c",
    `cd "$0" && find . -path ./DEBIAN -prune -o -path ./etc -prune -o -type f -print | sed 's#^\\./##' | LC_ALL=C sort | xargs md5sum`,
    stage,
  ]);
  await put(stage, "/DEBIAN/md5sums", sums);
}

/**
 * Builds the package for one architecture.
 *
 * @param level xz's level (tests use 1: faster, larger).
 * @returns The path of the `.deb`.
 */
export async function buildDeb(
  arch: Arch,
  version: string,
  out: string,
  level = 6,
): Promise<string> {
  await checkLock();
  const cache = `${ROOT}/dist/.cache`;
  const stage = await Deno.makeTempDir({ prefix: `fwknop-ts-deb-${arch}-` });
  try {
    await Deno.chmod(stage, 0o755);
    const lib = `${stage}${LAYOUT.lib}`;
    await stageApp(`${lib}/app`);
    // The cache is filled by the build machine's own pinned Deno (same version, any arch).
    await stageCache(await denoBinary("amd64", cache), `${lib}/app`, `${lib}/cache`);
    await Deno.copyFile(await denoBinary(arch, cache), `${lib}/deno`);
    await Deno.chmod(`${lib}/deno`, 0o755);
    const date = new Date(Number(await commitTime()) * 1000).toUTCString().replace("GMT", "+0000");
    await stageFiles(stage, date);
    await sh("chmod", ["-R", "u+rwX,go+rX,go-w", `${lib}`]);
    await stageControl(stage, arch, version);
    await Deno.mkdir(out, { recursive: true });
    const deb = `${out}/fwknop-ts_${version}_${arch}.deb`;
    await sh("dpkg-deb", ["--root-owner-group", "-Zxz", `-z${level}`, "--build", stage, deb]);
    return deb;
  } finally {
    await Deno.remove(stage, { recursive: true });
  }
}

/** The last commit's time (Unix seconds): the changelog's date, for reproducible builds. */
async function commitTime(): Promise<string> {
  try {
    return (await sh("git", ["-C", ROOT, "log", "-1", "--format=%ct"])).trim();
  } catch {
    return String(Math.floor(Date.now() / 1000));
  }
}

/** What `--help` prints. */
export const USAGE =
  `Usage: deno task deb [--arch amd64|arm64|all] [--version V] [--out DIR] [--level N]

Builds dist/fwknop-ts_<version>_<arch>.deb (both architectures by default)
with a pinned Deno ${DENO_PIN.version} from npm, the sources and their npm
dependencies. Install it with: apt install ./dist/fwknop-ts_<version>_amd64.deb
`;

if (import.meta.main) {
  const args = [...Deno.args];
  const opt = (name: string) => {
    const i = args.indexOf(name);
    return i < 0 ? undefined : args[i + 1];
  };
  if (args.includes("--help") || args.includes("-h")) {
    // deno-lint-ignore no-console
    console.log(USAGE);
    Deno.exit(0);
  }
  const which = opt("--arch") ?? "all";
  const arches: Arch[] = which === "all" ? ["amd64", "arm64"] : [which as Arch];
  if (!arches.every((a) => a === "amd64" || a === "arm64")) {
    // deno-lint-ignore no-console
    console.error(`Cannot build the package: unknown --arch ${which}\n\n${USAGE}`);
    Deno.exit(2);
  }
  for (const arch of arches) {
    const level = Number(opt("--level") ?? 6);
    let deb: string;
    try {
      deb = await buildDeb(
        arch,
        opt("--version") ?? VERSION,
        opt("--out") ?? `${ROOT}/dist`,
        level,
      );
    } catch (e) {
      // Our own refusals are one line; anything else keeps its stack.
      const m = e instanceof Error && e.message.startsWith("Cannot build the package");
      // deno-lint-ignore no-console
      console.error(m ? (e as Error).message : e);
      Deno.exit(1);
    }
    // deno-lint-ignore no-console
    console.log(`${deb}: ${(Deno.statSync(deb).size / 1e6).toFixed(1)} MB`);
  }
}
