// Types for capacity.mjs, so TypeScript tests can import it.
export type Kind = "workerRequests" | "kvReads" | "kvWrites" | "kvDeletes" | "kvLists" | "doRequests";
export type FlowCounts = Record<Exclude<Kind, "workerRequests">, number>;
export interface StoreOps {
  flows: Record<
    "kv" | "durable-object",
    Record<"signIn" | "request" | "requestWithRevocationCheck" | "refresh", FlowCounts> & Record<string, FlowCounts>
  >;
}
export interface Settings {
  store: "kv" | "durable-object";
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  revocationCheck: boolean;
}
export const ACTIVE_HOURS_PER_DAY: number;
export const REQUESTS_PER_ACTIVE_HOUR: number;
export function readStoreOps(file?: URL | string): StoreOps;
export function settingsFrom(bindings?: Record<string, unknown>): Settings;
export function usagePerPersonDay(
  ops: StoreOps,
  settings: Settings,
): { refreshes: number; signIns: number; requests: number; usage: Record<Kind, number> };
export function freeCapacity(usage: Record<Kind, number>): {
  people: number;
  limit: Kind;
  limitPerDay: number;
  perPerson: number;
};
export function paidCapacity(usage: Record<Kind, number>): {
  includedPeople: number;
  limit: Kind;
  usdPerThousandPeople: number;
};
export function capacityLine(bindings?: Record<string, unknown>, ops?: StoreOps): string;
export function capacityLines(bindings?: Record<string, unknown>, ops?: StoreOps): string[];
