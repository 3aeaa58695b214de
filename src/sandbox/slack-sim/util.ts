export const APP_ID = 'ASIMAPP01';
export const VERIFICATION_TOKEN = 'sim-legacy-verification-token';
export const TEAM_DOMAIN = 'sim';

export const now = () => performance.timeOrigin + performance.now();

/** One counter across all prefixes, so an id's number tells when it was handed out relative to the others. */
export function idSequence(): (prefix: string) => string {
  let idSeq = 0;
  return (prefix) => `${prefix}-${++idSeq}`;
}

export function microsToTs(micros: number): string {
  return `${Math.floor(micros / 1_000_000)}.${String(micros % 1_000_000).padStart(6, '0')}`;
}

export function str(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function dropUndefined(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
