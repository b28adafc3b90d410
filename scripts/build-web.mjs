#!/usr/bin/env node
// Bundles the web chat (web/chat.ts, with the client SDK and the protocol) for browsers into
// dist/web/chat.js, which the core serves at /app.js. `make build` runs it after tsc.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * zod's namespace re-exports every locale's messages (`z.locales`), which the page never uses and
 * which would be half the bundle: that one re-export becomes an empty module. (zod's default
 * English messages are imported elsewhere and stay.) If zod moves the file, nothing matches and
 * the bundle is only larger.
 */
const zodWithoutLocales = {
  name: 'zod-without-locales',
  setup(b) {
    b.onResolve({ filter: /\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]/.test(args.importer) ? { path: 'zod-locales', namespace: 'empty' } : undefined);
    b.onLoad({ filter: /.*/, namespace: 'empty' }, () => ({ contents: 'export {};', loader: 'js' }));
  },
};

try {
  const result = await build({
    absWorkingDir: root,
    entryPoints: ['web/chat.ts'],
    outfile: 'dist/web/chat.js',
    tsconfig: 'web/tsconfig.json',
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    sourcemap: 'external',
    legalComments: 'none',
    metafile: true,
    plugins: [zodWithoutLocales],
    logLevel: 'warning',
  });
  const out = result.metafile.outputs['dist/web/chat.js'];
  process.stdout.write(`web chat bundled: dist/web/chat.js (${Math.round((out?.bytes ?? 0) / 1024)} KiB)\n`);
} catch (e) {
  // esbuild has printed the errors; a failed bundle fails the build.
  process.stderr.write(`bundling web/chat.ts failed: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}\n`);
  process.exit(1);
}
