#!/usr/bin/env node
// `node bench/bundle-contents.mjs [FILE] [--by file|folder] [--top N]`, after `npm run size`
// (FILE defaults to dist/index.js, with its source map beside it): what each source module or
// package costs the gzipped bundle. A module's cost is the bundle's gzipped size minus the same
// bundle gzipped without that module's bytes (found through the source map), so it counts what
// gzip could not share with the rest. Not part of `npm run bench`; it answers "what is in the
// 60 KiB" (bench/README.md, "Held targets").
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** A source map's `mappings`: per generated line, segments of [column, source, ...] (absolute). */
function decodeMappings(mappings) {
  const state = [0, 0, 0, 0, 0];
  return mappings.split(";").map((line) => {
    state[0] = 0; // the generated column restarts on each line; the other fields carry on
    return line
      .split(",")
      .filter(Boolean)
      .map((segment) => {
        const fields = [];
        let value = 0;
        let shift = 0;
        for (const char of segment) {
          const digit = BASE64.indexOf(char);
          value += (digit & 31) << shift;
          if (digit & 32) shift += 5;
          else {
            fields.push(value & 1 ? -(value >>> 1) : value >>> 1);
            value = shift = 0;
          }
        }
        return fields.map((delta, i) => (state[i] += delta));
      });
  });
}

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const file = args.find((arg, i) => !arg.startsWith("--") && !args[i - 1]?.startsWith("--")) ?? "dist/index.js";
const by = option("--by", "file");
const top = Number(option("--top", 40));

const code = readFileSync(file, "utf8");
const map = JSON.parse(readFileSync(`${file}.map`, "utf8"));
const lines = code.split("\n");

/** `src/proxy/proxy.ts`, or a package by name (`node_modules/hono/dist/context.js` with --by file). */
function owner(source) {
  const path = source.replace(/^.*?(node_modules|src)\//, "$1/");
  if (by === "file") return path;
  if (path.startsWith("node_modules/"))
    return path
      .split("/")
      .slice(0, path.split("/")[1].startsWith("@") ? 3 : 2)
      .join("/");
  return path
    .split("/")
    .slice(0, path.split("/").length > 2 ? 2 : 1)
    .join("/");
}

const ranges = new Map();
decodeMappings(map.mappings).forEach((segments, line) => {
  segments.forEach((segment, i) => {
    if (segment.length < 2) return;
    const end = i + 1 < segments.length ? segments[i + 1][0] : lines[line].length;
    const key = owner(map.sources[segment[1]]);
    if (!ranges.has(key)) ranges.set(key, []);
    ranges.get(key).push([line, segment[0], end]);
  });
});

const total = gzipSync(code).length;
const rows = [...ranges].map(([key, spans]) => {
  const kept = lines.map((text) => [...text]);
  let raw = 0;
  for (const [line, start, end] of spans) {
    for (let c = start; c < end; c++) kept[line][c] = "";
    raw += end - start;
  }
  return { key, raw, gzip: total - gzipSync(kept.map((chars) => chars.join("")).join("\n")).length };
});
rows.sort((a, b) => b.gzip - a.gzip);
console.log(`${file}: ${Buffer.byteLength(code)} bytes, ${total} gzipped (${(total / 1024).toFixed(1)} KiB)`);
console.log(`${"gzip".padStart(6)} ${"raw".padStart(7)}  ${by}`);
for (const { key, raw, gzip } of rows.slice(0, top))
  console.log(`${String(gzip).padStart(6)} ${String(raw).padStart(7)}  ${key}`);
