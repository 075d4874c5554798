// Types for bundle-size.mjs, so TypeScript tests can import it.
export const BUNDLE_LIMIT_BYTES: number;
export function bundleSize(file: string): { rawBytes: number; gzipBytes: number };
export function kib(bytes: number): string;
