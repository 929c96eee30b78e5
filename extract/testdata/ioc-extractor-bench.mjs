// Side-by-side run of the npm package ioc-extractor over the ESET IOC
// write-ups: prints its version, the bytes, the time per pass and the
// IOCs it found (deduplicated, per field) as JSON.
import { extractIOC } from "ioc-extractor";
import { readFileSync, readdirSync, existsSync } from "fs";
import { join } from "path";
const dir = process.argv[2];
let text = "";
for (const d of readdirSync(dir).sort()) {
  const p = join(dir, d, "README.adoc");
  if (existsSync(p)) text += readFileSync(p, "utf8") + "\n";
}
const passes = Number(process.argv[3] || 10);
let out;
const t0 = process.hrtime.bigint();
for (let i = 0; i < passes; i++) out = extractIOC(text);
const secs = Number(process.hrtime.bigint() - t0) / 1e9 / passes;
const version = JSON.parse(readFileSync(new URL("./node_modules/ioc-extractor/package.json", import.meta.url))).version;
console.log(JSON.stringify({ version, bytes: Buffer.byteLength(text), seconds_per_pass: secs, iocs: out }));
