// Bundles the binaries (dist/) and, with --tests, every test file listed in
// test/unit.list (dist-test/, same relative paths). One esbuild step serves both so
// that the tests run the same JavaScript on Node 18 and Node 20.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';

/**
 * The web admin's UI (appliance/web/ui/), bundled for browsers and embedded in the
 * daemon as the module 'edgesip:web-assets' ({ 'app.js', 'app.css' }).
 */
async function buildWebAssets() {
  const ui = await build({
    entryPoints: { app: 'appliance/web/ui/main.ts', 'app-style': 'appliance/web/ui/styles.css' },
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: ['chrome100', 'firefox100', 'safari15'],
    minify: true,
    legalComments: 'none',
    write: false,
    outdir: 'web',
    logLevel: 'warning',
  });
  const text = (name) => {
    const file = ui.outputFiles.find((f) => f.path.endsWith(name));
    if (!file) throw new Error(`web UI build produced no ${name}`);
    return file.text;
  };
  return { 'app.js': text('/app.js'), 'app.css': text('/app-style.css') };
}

const webAssets = await buildWebAssets();
const webAssetsPlugin = {
  name: 'edgesip-web-assets',
  setup(b) {
    b.onResolve({ filter: /^edgesip:web-assets$/ }, () => ({ path: 'web-assets', namespace: 'edgesip' }));
    b.onLoad({ filter: /.*/, namespace: 'edgesip' }, () => ({ contents: `module.exports = ${JSON.stringify(webAssets)};`, loader: 'js' }));
  },
};

const common = {
  bundle: true,
  platform: 'node',
  target: 'node18',
  format: 'cjs',
  sourcemap: 'linked',
  logLevel: 'warning',
  // N-API addons resolve their .node files relative to their own package: keep them
  // out of the bundle and ship them beside it (see the Debian packaging).
  // playwright-core (browser tests only) loads its own files at run time.
  external: ['node-pty', '@serialport/bindings-cpp', 'playwright-core'],
  plugins: [webAssetsPlugin],
  // The bash completion script is printed by `edgesip completion`.
  loader: { '.bash': 'text' },
};

const binaries = {
  edgesipd: 'appliance/main/edgesipd.ts',
  edgesip: 'appliance/main/edgesip.ts',
  'edgesip-fxs': 'appliance/main/edgesip-fxs.ts',
  // Internal to the appliance image (its boot units run it): no wrapper in /usr/bin.
  'edgesip-image-setup': 'appliance/main/edgesip-image-setup.ts',
};

await build({
  ...common,
  entryPoints: binaries,
  outdir: 'dist',
  banner: { js: '#!/usr/bin/env node' },
});

if (process.argv.includes('--tests')) {
  const files = listedTests('test/unit.list');
  await build({ ...common, entryPoints: files, outdir: 'dist-test', outbase: '.' });
}

// The image tests (make test-image) boot the arm64 image in qemu: their own list.
if (process.argv.includes('--image-tests')) {
  const files = listedTests('test/qemu/image.list');
  await build({ ...common, entryPoints: files, outdir: 'dist-test', outbase: '.' });
}

export function listedTests(list) {
  return readFileSync(list, 'utf8')
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter(Boolean);
}
