/**
 * The web chat at `/`: the page's shell (`chatPageHtml`, in the protocol, shared with any other server
 * that serves the page) and its script, the bundle of web/chat.ts that `make build` writes to
 * dist/web/chat.js and the core serves at `/app.js`. Without the bundle, `/` says how to build it.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { WEB_BUNDLE_PATH } from '../protocol/index.js';

export { CHAT_SCRIPT_PATH, WEB_BUNDLE_PATH, chatPageHtml, scriptJson } from '../protocol/index.js';

/**
 * The bundle's absolute path in this checkout (this module runs from dist/src/server, or from
 * src/server under a TypeScript loader).
 */
export function webBundlePath(): string {
  const root = new URL(import.meta.url.endsWith('.js') ? '../../../' : '../../', import.meta.url);
  return fileURLToPath(new URL(WEB_BUNDLE_PATH, root));
}

/** True when the bundle has been built. */
export function webBundleExists(): boolean {
  return existsSync(webBundlePath());
}

/** The page served at `/` when the bundle is missing (with status 500). */
export function missingBundleHtml(): string {
  const path = webBundlePath().replace(/&/g, '&amp;').replace(/</g, '&lt;');
  return `<!doctype html><html><head><meta charset="utf-8"><title>deliverylab: web chat not built</title></head>
<body><h1>The web chat is not built</h1><p>${path} is missing: run <code>make build</code> (it bundles web/chat.ts after tsc), then reload.</p></body></html>
`;
}
