// The web UI (appliance/web/ui/) bundled by esbuild at build time and embedded in the
// daemon (appliance/build.mjs resolves this module), so the appliance serves it with
// no file to lose and nothing loaded from the internet.
declare module 'edgesip:web-assets' {
  const assets: import('./web-app').WebAssets;
  export default assets;
}
