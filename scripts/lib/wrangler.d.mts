// Types for wrangler.mjs.
export function loadWrangler(): typeof import("wrangler");
