// The bash completion script, bundled as text by esbuild (loader '.bash': 'text', appliance/build.mjs).
declare module '*.bash' {
  const text: string;
  export default text;
}
