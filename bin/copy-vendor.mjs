#!/usr/bin/env node
// Copy the front-end files the pages use from node_modules/ into static/vendor/.
//
// Run it with `npm run vendor` after `npm ci`. It always starts from an empty
// static/vendor/, so a file dropped from the list below does not linger there.
// The pages are served only from static/, never from a CDN.
//
// Plain Node (>= 20), no dependencies.

import fs from "node:fs";
import path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const modules = path.join(root, "node_modules");
const target = path.join(root, "static", "vendor");

// [package, directory inside the package, file names or a file-name test,
//  directory inside static/vendor/]. The icon fonts keep their `fonts/` folder
// next to the stylesheet, since its url() references are relative to it.
const groups = [
  ["bootstrap", "dist/css", ["bootstrap.min.css", "bootstrap.min.css.map"], "bootstrap/css"],
  ["bootstrap", "dist/js", ["bootstrap.bundle.min.js", "bootstrap.bundle.min.js.map"], "bootstrap/js"],
  ["bootstrap-icons", "font", ["bootstrap-icons.min.css"], "bootstrap-icons/font"],
  ["bootstrap-icons", "font/fonts", (name) => /\.woff2?$/.test(name), "bootstrap-icons/font/fonts"],
  ["htmx.org", "dist", ["htmx.min.js"], "htmx"],
];

function fail(message) {
  console.error(`copy-vendor: ${message}`);
  process.exit(1);
}

function show(file) {
  return path.relative(root, file) || ".";
}

if (!fs.existsSync(modules)) {
  fail(`${show(modules)}/ is missing: run \`npm ci\` (or \`npm install\`) first.`);
}

// Work out the whole list before touching static/vendor/, so a broken or
// partial install leaves the previous copy in place.
const copies = [];
const versions = new Map();
for (const [pkg, dir, files, dest] of groups) {
  const pkgRoot = path.join(modules, pkg);
  const manifest = path.join(pkgRoot, "package.json");
  if (!fs.existsSync(manifest)) {
    fail(`${show(pkgRoot)} is missing: run \`npm ci\` (or \`npm install\`) first.`);
  }
  versions.set(pkg, JSON.parse(fs.readFileSync(manifest, "utf8")).version);

  const source = path.join(pkgRoot, dir);
  let names;
  if (Array.isArray(files)) {
    names = files;
  } else {
    names = fs.existsSync(source) ? fs.readdirSync(source).filter(files).sort() : [];
    if (names.length === 0) {
      fail(`no matching files in ${show(source)}: is ${pkg} installed correctly?`);
    }
  }
  for (const name of names) {
    const from = path.join(source, name);
    if (!fs.statSync(from, { throwIfNoEntry: false })?.isFile()) {
      fail(`${show(from)} is missing: is ${pkg} ${versions.get(pkg)} the version package.json names?`);
    }
    copies.push([from, path.join(target, dest, name)]);
  }
}

fs.rmSync(target, { recursive: true, force: true });
for (const [from, to] of copies) {
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.copyFileSync(from, to);
  console.log(`copied ${show(from)} -> ${show(to)} (${fs.statSync(to).size} bytes)`);
}
const summary = [...versions].map(([pkg, version]) => `${pkg} ${version}`).join(", ");
console.log(`copy-vendor: ${copies.length} files from ${summary} into ${show(target)}/`);
