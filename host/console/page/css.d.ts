// esbuild bundles the stylesheets the page imports; to TypeScript they are modules with nothing in them.
declare module '*.css';
