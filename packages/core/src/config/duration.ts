// Parses durations written `250ms`, `30s`, `5m`, `1h` or as a plain integer of milliseconds.

const MILLISECONDS_PER_UNIT = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;
const DURATION_TEXT = /^(\d+)(ms|s|m|h)?$/;

export const DURATION_HINT = 'expected a duration such as 250ms, 30s, 5m, 1h or a number of milliseconds';

/** Returns the duration in milliseconds, or undefined when the value is not a valid duration. */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === 'number') {
    return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  }
  const match = DURATION_TEXT.exec(value.trim());
  if (!match) return undefined;
  const unit = (match[2] ?? 'ms') as keyof typeof MILLISECONDS_PER_UNIT;
  const milliseconds = Number(match[1]) * MILLISECONDS_PER_UNIT[unit];
  return Number.isSafeInteger(milliseconds) ? milliseconds : undefined;
}
