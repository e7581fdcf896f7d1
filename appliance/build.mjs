// Bundles the binaries (dist/) and, with --tests, every test file listed in
// test/unit.list (dist-test/, same relative paths). One esbuild step serves both so
// that the tests run the same JavaScript on Node 18 and Node 20.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';

const common = {
  bundle: true,
  platform: 'node',
  target: 'node18',
  format: 'cjs',
  sourcemap: 'linked',
  logLevel: 'warning',
  // N-API addons resolve their .node files relative to their own package: keep them
  // out of the bundle and ship them beside it (see the Debian packaging).
  external: ['node-pty', '@serialport/bindings-cpp'],
  // The bash completion script is printed by `edgesip completion`.
  loader: { '.bash': 'text' },
};

const binaries = {
  edgesipd: 'appliance/main/edgesipd.ts',
  edgesip: 'appliance/main/edgesip.ts',
};

await build({
  ...common,
  entryPoints: binaries,
  outdir: 'dist',
  banner: { js: '#!/usr/bin/env node' },
});

if (process.argv.includes('--tests')) {
  const files = listedTests();
  await build({ ...common, entryPoints: files, outdir: 'dist-test', outbase: '.' });
}

export function listedTests() {
  return readFileSync('test/unit.list', 'utf8')
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter(Boolean);
}
