// Types for scripts/build.mjs (plain JavaScript: it runs before anything is compiled).
export const root: string;
export const SERVER_OUTPUT: string;
export const SERVER_MAIN: string;
export function clientStale(): boolean;
export function serverStale(): boolean;
export function buildClient(): void;
export function buildServer(): Promise<void>;
export function buildStale(opts?: { force?: boolean; log?: (msg: string) => void }): Promise<string[]>;
