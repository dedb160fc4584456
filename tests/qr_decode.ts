/**
 * Reads a QR code the programs print on a terminal back the way a phone
 * would: the half-block text becomes a PNG that zbarimg decodes.
 *
 * @module
 */
import { grayPng } from "./png.ts";

const SCALE = 6;

/** Half-block terminal text to pixels: a drawn half is light, a blank half dark. */
function pixels(text: string): number[][] {
  const rows: number[][] = [];
  const lines = text.split("\n").filter((l) => /[█▀▄]/.test(l));
  for (const l of lines) {
    const top: number[] = [];
    const bottom: number[] = [];
    for (const ch of l) {
      top.push(ch === "█" || ch === "▀" ? 255 : 0);
      bottom.push(ch === "█" || ch === "▄" ? 255 : 0);
    }
    rows.push(top, bottom);
  }
  // A white margin, then each module as SCALE x SCALE pixels.
  const w = Math.max(...rows.map((r) => r.length));
  const pad = Array(w + 8).fill(255);
  const framed = [
    pad,
    pad,
    pad,
    pad,
    ...rows.map((r) => [255, 255, 255, 255, ...r, ...Array(w - r.length + 4).fill(255)]),
    pad,
    pad,
    pad,
    pad,
  ];
  return framed.flatMap((r) => {
    const wide = r.flatMap((p) => Array(SCALE).fill(p));
    return Array.from({ length: SCALE }, () => wide);
  });
}

/** Decodes terminal QR text with zbarimg (Debian zbar-tools): the text it holds, or "". */
export async function zbar(text: string): Promise<string> {
  const f = await Deno.makeTempFile({ suffix: ".png" });
  try {
    await Deno.writeFile(f, grayPng(pixels(text)));
    const r = await new Deno.Command("zbarimg", { args: ["--raw", "-q", f], stdout: "piped" })
      .output();
    return new TextDecoder().decode(r.stdout).trim();
  } finally {
    await Deno.remove(f);
  }
}
