// Time windows of a rule: days of the week and a time of day, in a time zone.

export const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type DayName = (typeof DAY_NAMES)[number];

export interface TimeWindow {
  /** Days the window is open on (0 = Sunday); all days when empty. */
  readonly days: ReadonlySet<number>;
  /** Minutes after midnight; `from` inclusive, `to` exclusive. `to <= from` spans midnight. */
  readonly from: number;
  readonly to: number;
  readonly timezone: string;
}

const TIME_OF_DAY = /^([01]?\d|2[0-3]):([0-5]\d)$/;

/** Minutes after midnight for `HH:MM` (`24:00` is the end of the day), or undefined. */
export function parseTimeOfDay(text: string): number | undefined {
  if (text === '24:00') return 24 * 60;
  const match = TIME_OF_DAY.exec(text);
  return match ? Number(match[1]) * 60 + Number(match[2]) : undefined;
}

/** Day numbers for `mon`, `mon-fri`, `sat-sun`; undefined for anything else. */
export function parseDays(text: string): number[] | undefined {
  const [first, last, extra] = text.toLowerCase().split('-');
  if (extra !== undefined) return undefined;
  const start = DAY_NAMES.indexOf(first as DayName);
  const end = last === undefined ? start : DAY_NAMES.indexOf(last as DayName);
  if (start < 0 || end < 0) return undefined;
  const days: number[] = [];
  for (let day = start; ; day = (day + 1) % 7) {
    days.push(day);
    if (day === end) return days;
  }
}

/** Whether a time zone name is one this runtime knows. */
export function isKnownTimeZone(timezone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Day of the week and minute of the day of `at` in `timezone`. */
export function localTime(at: Date, timezone: string): { day: number; minute: number } {
  let format = formatters.get(timezone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone: timezone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    formatters.set(timezone, format);
  }
  let day = 0;
  let hour = 0;
  let minute = 0;
  for (const part of format.formatToParts(at)) {
    if (part.type === 'weekday') day = DAY_NAMES.indexOf(part.value.toLowerCase() as DayName);
    else if (part.type === 'hour') hour = Number(part.value);
    else if (part.type === 'minute') minute = Number(part.value);
  }
  return { day, minute: hour * 60 + minute };
}

/** Whether `at` falls inside the window. A window spanning midnight belongs to the day it opens on. */
export function inWindow(window: TimeWindow, at: Date): boolean {
  const { day, minute } = localTime(at, window.timezone);
  const dayOpen = (d: number) => window.days.size === 0 || window.days.has(d);
  if (window.from < window.to) return dayOpen(day) && minute >= window.from && minute < window.to;
  // Spans midnight (or the whole day when from === to): the evening part is on its opening day,
  // the early-morning part on the day after it.
  if (minute >= window.from) return dayOpen(day);
  if (minute < window.to) return dayOpen((day + 6) % 7);
  return false;
}
