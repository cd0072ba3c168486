/**
 * Reading timestamps stored as ISO-8601 text (SQLite): a list of thousands of rows decodes one per
 * row and column, and the engine's general date parser is the largest cost of such a read. The
 * canonical form plinth writes (`YYYY-MM-DDTHH:MM:SS.sssZ`, what toISOString and SQLite's
 * strftime('%Y-%m-%dT%H:%M:%fZ') print) is read here by position; any other text, and any value
 * outside the calendar, goes to `new Date(text)`, so the result is always the parser's.
 */
import { digitsAt, utcMillisAt } from "../dialect/calendar.js";

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
  const ms = utcMillisAt(text, digitsAt(text, 20, 3));
  return ms === undefined ? new Date(text) : new Date(ms);
}
