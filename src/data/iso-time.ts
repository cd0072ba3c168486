/**
 * Reading timestamps stored as ISO-8601 text (SQLite): a list of thousands of rows decodes one per
 * row and column, and the engine's general date parser is the largest cost of such a read. The
 * canonical form plinth writes (`YYYY-MM-DDTHH:MM:SS.sssZ`, what toISOString and SQLite's
 * strftime('%Y-%m-%dT%H:%M:%fZ') print) is read here by position; any other text, and any value
 * outside the calendar, goes to `new Date(text)`, so the result is always the parser's.
 */
import { digitsAt, utcMillisAt } from "../dialect/calendar.js";

/**
 * The hour (`YYYY-MM-DDTHH`) of the last timestamp read in full, and its instant. Rows read together
 * mostly fall in the same hour (a page of recent rows, a job's log lines), and then only the
 * minutes, seconds and milliseconds are read: the date and hour were checked when they were read.
 */
let lastHour = "\u0000";
let lastHourMs = 0;

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
  const minute = digitsAt(text, 14, 2);
  const second = digitsAt(text, 17, 2);
  const milli = digitsAt(text, 20, 3);
  const withinHour = minute * 60_000 + second * 1000 + milli;
  if (minute >= 0 && minute <= 59 && second >= 0 && second <= 59 && milli >= 0 && text.startsWith(lastHour))
    return new Date(lastHourMs + withinHour);
  const ms = utcMillisAt(text, milli);
  if (ms === undefined) return new Date(text);
  lastHour = text.slice(0, 13);
  lastHourMs = ms - withinHour;
  return new Date(ms);
}
