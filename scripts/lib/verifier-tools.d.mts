// Types for verifier-tools.mjs, so the verifiers' tests can import it.
import type { Machine } from "./machine.mjs";

type Found<T> = (T & { problem?: undefined }) | ({ [K in keyof T]?: undefined } & { problem: string });
export function findPython(machine?: Machine): Found<{ path: string }>;
export function findGo(machine?: Machine): Found<{ path: string }>;
export function goLibraryPaths(machine?: Machine): string[];
export function findGoLibraries(machine?: Machine): Found<{ gopath: string[] }>;
