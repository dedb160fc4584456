/** The README commands' set-up: npx's own Deno does not count as Deno on the PATH. */
import { assert } from "./assert.ts";
import { denoOnPath } from "../scripts/setup.ts";

Deno.test("setup: a deno only in npx's cache is not on the PATH; one elsewhere is", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fwknop-setup-" });
  try {
    const npx = `${dir}/.npm/_npx/4b4c/node_modules/.bin`;
    const bin = `${dir}/usr/bin`;
    await Deno.mkdir(npx, { recursive: true });
    await Deno.mkdir(bin, { recursive: true });
    await Deno.writeTextFile(`${npx}/deno`, "");
    assert(!denoOnPath(`${npx}:${bin}`), "npx's deno counted");
    assert(!denoOnPath(""), "an empty PATH has a deno");
    await Deno.writeTextFile(`${bin}/deno`, "");
    assert(denoOnPath(`${npx}:${bin}`), "the deno in usr/bin was not seen");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
