/**
 * Instants from calendar fields by arithmetic, for the timestamp readers that parse text by
 * position (a list decodes one timestamp per row and column, and the engine's date parser is the
 * largest cost of such a read). Proleptic Gregorian, as Date counts.
 */

const DAYS_BEFORE_MONTH = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const MS_PER_DAY = 86_400_000;

/** The number written in `count` ASCII digits from `at`, or -1 when one is not a digit. */
export function digitsAt(text: string, at: number, count: number): number {
  let n = 0;
  for (let i = at; i < at + count; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/** Milliseconds since the epoch of a UTC date and time, or undefined outside the calendar. */
export function utcMillis(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  ms: number,
): number | undefined {
  if (
    year < 0 ||
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > daysIn(year, month) ||
    hour < 0 ||
    hour > 23 ||
    minute < 0 ||
    minute > 59 ||
    second < 0 ||
    second > 59 ||
    ms < 0
  )
    return undefined;
  return (
    daysSinceEpoch(year, month, day) * MS_PER_DAY + hour * 3_600_000 + minute * 60_000 + second * 1000 + ms
  );
}

/**
 * The date and time written by position at the start of `text` (`YYYY-MM-DD?HH:MM:SS`, any
 * separators, which the caller checked) plus `ms`, read as UTC; undefined outside the calendar.
 */
export function utcMillisAt(text: string, ms: number): number | undefined {
  return utcMillis(
    digitsAt(text, 0, 4),
    digitsAt(text, 5, 2),
    digitsAt(text, 8, 2),
    digitsAt(text, 11, 2),
    digitsAt(text, 14, 2),
    digitsAt(text, 17, 2),
    ms,
  );
}

function leap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function daysIn(year: number, month: number): number {
  return month === 2 && leap(year) ? 29 : DAYS_IN_MONTH[month - 1]!;
}

/** Days from 1970-01-01 to the date. */
function daysSinceEpoch(year: number, month: number, day: number): number {
  const y = year - 1;
  const before = 365 * y + Math.floor(y / 4) - Math.floor(y / 100) + Math.floor(y / 400);
  const inYear = DAYS_BEFORE_MONTH[month - 1]! + (month > 2 && leap(year) ? 1 : 0) + day - 1;
  // 719162: days from 0001-01-01 to 1970-01-01.
  return before + inYear - 719_162;
}
