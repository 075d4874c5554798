// Types for machine.mjs.
export interface Machine {
  /** "/" for this machine; a directory standing for a whole machine in the set-up's own test. */
  root: string;
  env: Record<string, string | undefined>;
  platform: string;
  isRoot: boolean;
  home: string;
}
export function localMachine(): Machine;
export function onDisk(machine: Machine, path: string): string;
export function exists(machine: Machine, path: string): boolean;
export function which(machine: Machine, name: string): string | undefined;
export function run(
  machine: Machine,
  path: string,
  args: string[],
  options?: object,
): { status: number | null; output: string };
