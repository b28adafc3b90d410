import { createRequire } from 'node:module';
import type * as UWS from 'uWebSockets.js';

/** Thrown when uWebSockets.js did not load its native binary (its JavaScript imitation is never used). */
export class NativeUwsUnavailableError extends Error {
  constructor(readonly detail: string) {
    super(
      `uWebSockets.js is not running on its native binary (${detail}). ` +
        `deliverylab refuses its slow JavaScript fallback: use Node 20 on glibc Linux, macOS or Windows, ` +
        `and reinstall with "npm ci" so node_modules/uWebSockets.js/binaries matches process.versions.modules=${process.versions.modules}.`,
    );
    this.name = 'NativeUwsUnavailableError';
  }
}

/** Loads uWebSockets.js and proves it is the native addon, or throws NativeUwsUnavailableError. */
export function loadNativeUws(): typeof UWS {
  const require = createRequire(import.meta.url);
  const uws = require('uWebSockets.js') as typeof UWS;
  const nativeFile = Object.keys(require.cache).find((k) => /uws_[a-z0-9]+_[a-z0-9]+_\d+\.node$/.test(k));
  const isNative = /\[native code\]/.test(Function.prototype.toString.call(uws.App));
  if (!nativeFile || !isNative) throw new NativeUwsUnavailableError(nativeFile ? 'App is not a native function' : 'no native .node binary was loaded');
  return uws;
}
