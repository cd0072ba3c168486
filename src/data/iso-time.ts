/**
 * Reading timestamps stored as ISO-8601 text (SQLite): a list of thousands of rows decodes one per
 * row and column, and the engine's general date parser is the largest cost of such a read. The
 * canonical form plinth writes (`YYYY-MM-DDTHH:MM:SS.sssZ`, what toISOString and SQLite's
 * strftime('%Y-%m-%dT%H:%M:%fZ') print) is read here by position; any other text, and any value
 * outside the calendar, goes to `new Date(text)`, so the result is always the parser's.
 */

const DAYS_BEFORE_MONTH = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const MS_PER_DAY = 86_400_000;

/** The instant `text` names, as `new Date(text)` reads it. */
export function parseIsoTimestamp(text: string): Date {
  if (
    text.length !== 24 ||
    text.charCodeAt(23) !== 90 || // Z
    text.charCodeAt(10) !== 84 || // T
    text.charCodeAt(4) !== 45 ||
    text.charCodeAt(7) !== 45 ||
    text.charCodeAt(13) !== 58 ||
    text.charCodeAt(16) !== 58 ||
    text.charCodeAt(19) !== 46
  )
    return new Date(text);
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  const hour = digits(text, 11, 2);
  const minute = digits(text, 14, 2);
  const second = digits(text, 17, 2);
  const ms = digits(text, 20, 3);
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
    return new Date(text);
  return new Date(
    daysSinceEpoch(year, month, day) * MS_PER_DAY + hour * 3_600_000 + minute * 60_000 + second * 1000 + ms,
  );
}

/** The number written in `count` ASCII digits from `at`, or -1 when one is not a digit. */
function digits(text: string, at: number, count: number): number {
  let n = 0;
  for (let i = at; i < at + count; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

function leap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function daysIn(year: number, month: number): number {
  return month === 2 && leap(year) ? 29 : DAYS_IN_MONTH[month - 1]!;
}

/** Days from 1970-01-01 to the date (proleptic Gregorian, as Date counts them). */
function daysSinceEpoch(year: number, month: number, day: number): number {
  const y = year - 1;
  const before = 365 * y + Math.floor(y / 4) - Math.floor(y / 100) + Math.floor(y / 400);
  const inYear = DAYS_BEFORE_MONTH[month - 1]! + (month > 2 && leap(year) ? 1 : 0) + day - 1;
  // 719162: days from 0001-01-01 to 1970-01-01.
  return before + inYear - 719_162;
}
