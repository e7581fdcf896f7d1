// Copies the native N-API addons (node-pty, @serialport/bindings-cpp) and their
// run-time dependencies for one Linux architecture into a node_modules tree,
// trimmed to what runs on the device: the prebuilt .node of that architecture and
// the JavaScript that loads it. Everything else the bundles need is inside them.
//
//   node debian/stage-addons.mjs <arm64|amd64> <dest node_modules dir>
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

const ADDONS = ['node-pty', '@serialport/bindings-cpp'];
/** Build-time only (C++ headers for node-gyp): never loaded at run time. */
const BUILD_ONLY = new Set(['node-addon-api']);
/** Debian architecture → Node's process.arch, as in prebuilds/linux-<arch>/. */
const NODE_ARCH = { arm64: 'arm64', amd64: 'x64' };
/** Not needed to run: sources, build files, docs, types, maps, tests. */
const DROP = new Set(['src', 'deps', 'third_party', 'scripts', 'typings', 'test', 'tests', 'docs', 'binding.gyp', 'README.md', 'CHANGELOG.md', 'node_modules']);

const [debArch, dest] = process.argv.slice(2);
const nodeArch = NODE_ARCH[debArch];
if (!nodeArch || !dest) {
  console.error('usage: node debian/stage-addons.mjs <arm64|amd64> <dest node_modules dir>');
  process.exit(2);
}
const root = join(dirname(new URL(import.meta.url).pathname), '..');
const modules = join(root, 'node_modules');

/** The directory Node would load `name` from, seen from package directory `from`. */
function resolvePackage(name, from) {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dir === root || dirname(dir) === dir) throw new Error(`${name} not found from ${from}: run npm ci`);
  }
}

const seen = new Set();
function visit(pkgDir) {
  if (seen.has(pkgDir)) return;
  seen.add(pkgDir);
  const manifest = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
  for (const dep of Object.keys(manifest.dependencies ?? {})) {
    if (!BUILD_ONLY.has(dep)) visit(resolvePackage(dep, pkgDir));
  }
}
for (const addon of ADDONS) visit(join(modules, addon));

rmSync(dest, { recursive: true, force: true });
for (const pkgDir of [...seen].sort()) {
  // Keep the package's place in the tree (nested node_modules included), so each
  // require resolves to the same version it did on the build machine.
  const target = join(dest, relative(modules, pkgDir));
  mkdirSync(target, { recursive: true });
  // Command-line tools a package installs (node-gyp-build's build helpers) are for
  // building, not for loading the addon.
  const manifest = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
  const bins = new Set(Object.values(typeof manifest.bin === 'string' ? { [manifest.name]: manifest.bin } : (manifest.bin ?? {})).map((b) => b.replace(/^\.\//, '')));
  // The entry point's directory stays even when its name is on the drop list (debug
  // keeps its JavaScript in src/).
  const main = String(manifest.main ?? 'index.js').replace(/^\.\//, '').split('/')[0];
  for (const entry of readdirSync(pkgDir)) {
    if (entry !== main && (DROP.has(entry) || bins.has(entry) || entry.endsWith('.map') || entry.endsWith('.d.ts'))) continue;
    cpSync(join(pkgDir, entry), join(target, entry), {
      recursive: true,
      filter: (src) => !src.endsWith('.map') && !src.endsWith('.d.ts') && !src.endsWith('.ts.map'),
    });
  }
  trimPrebuilds(join(target, 'prebuilds'));
}

/** Only prebuilds/linux-<arch>/, and of that only glibc builds (Debian is not musl). */
function trimPrebuilds(dir) {
  if (!existsSync(dir)) return;
  for (const platform of readdirSync(dir)) {
    const path = join(dir, platform);
    if (platform !== `linux-${nodeArch}`) {
      rmSync(path, { recursive: true, force: true });
      continue;
    }
    for (const file of readdirSync(path)) if (file.includes('.musl.')) rmSync(join(path, file));
  }
}

console.log(`staged for linux-${nodeArch}: ${[...seen].map((d) => relative(modules, d)).sort().join(', ')}`);
