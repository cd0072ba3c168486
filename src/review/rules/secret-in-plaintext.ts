import type { ColumnModel, TableModel } from "../../schema/index.js";
import type { Rule, RuleHit } from "../engine/types.js";

/** Rows sampled per table. */
export const SECRET_SAMPLE_ROWS = 200;

/** Names of columns that hold a credential (a hash of one is fine, the thing itself is not). */
const SECRET_NAME =
  /(^|_)(password|passwd|pwd|passphrase|secret|token|api_?key|apikey|private_?key|access_?key|otp_seed)(_|$)/i;
/** …unless the name says it is only a part or a property of the credential. */
const NOT_THE_SECRET = /_(prefix|hint|last4|last_four|type|kind|name|alias|id|scope|scopes|status|label)$/i;

/** Stored forms of a secret that are not the secret: password hashes, plinth ciphertext, hex digests. */
const HASHED = [
  /^\$2[abxy]?\$\d\d\$[./A-Za-z0-9]{53}$/, // bcrypt
  /^\$argon2(id|i|d)\$/, // argon2 PHC
  /^\$(scrypt|pbkdf2[-\w]*|[56])\$/, // scrypt, PBKDF2, SHA-crypt
  /^[0-9a-f]{40,}$/i, // a keyed or plain digest as hex (plinth's TokenHasher)
];
const CIPHERTEXT = /^v\d+:[A-Za-z0-9_-]+:[A-Za-z0-9+/=_-]+/;
const JWT = /\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{10,}/;
/** Credentials whose format announces them: cloud, payment and source-hosting keys, PEM private keys. */
const KNOWN_KEY = [
  /\b[sr]k_(live|test)_[0-9A-Za-z]{16,}/, // Stripe
  /\bgh[pousr]_[A-Za-z0-9]{36,}/, // GitHub
  /\bglpat-[A-Za-z0-9_-]{20,}/, // GitLab
  /\bxox[abposr]-[A-Za-z0-9-]{10,}/, // Slack
  /\b(AKIA|ASIA)[0-9A-Z]{16}\b/, // AWS access key id
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Shortest run without spaces taken for a random token, and the entropy it must reach (bits/char). */
const TOKEN_LENGTH = 32;
const TOKEN_ENTROPY = 4.2;
/** Runs of 13 to 19 digits, spaces or dashes allowed between them. */
const DIGIT_RUN = /(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)/g;

/**
 * Secrets found by content, never printing one: up to 200 rows of each table are read, and the
 * finding counts the values of a column that look like
 * - plaintext in a password-, token- or secret-like column (by name, or declared `col.password()`,
 *   a token or `encrypted`): not a bcrypt / argon2 / scrypt hash, a hex digest or plinth ciphertext;
 *   an `encrypted` column must hold ciphertext only;
 * - a JWT (three base64url parts), in any text column;
 * - a payment card number (a known issuer prefix and length, passing the Luhn check), in any text
 *   column;
 * - a credential by its content in any other text column: a key in a format that announces it
 *   (Stripe, GitHub, GitLab, Slack, AWS, a PEM private key), or a high-entropy token (32 or more
 *   characters without a space, mixing upper case, lower case and digits, over 4.2 bits of entropy
 *   per character; UUIDs, hashes and ciphertext excluded). This last one is a heuristic, so it is a
 *   warning.
 *
 * Bad:  `user.password` holds `hunter2`; `note.body` holds `4111 1111 1111 1111`
 * Good: `user.password` holds `$argon2id$v=19$…`; card numbers are kept by the payment provider
 */
export const secretInPlaintext: Rule = {
  id: "secret-in-plaintext",
  group: "security",
  severity: "error",
  catalog: "Z09",
  needs: ["probe", "catalog"],
  summary: "Sampled rows hold plaintext secrets, JWTs or card numbers.",
  why: "A database dump, a replica or a read-only role becomes a credential leak (and card data puts the database in PCI scope).",
  recipe:
    "hash passwords and tokens (col.password(), TokenHasher) or declare the column encrypted, rewrite the stored values, and rotate every exposed credential",
  check: async (ctx) => {
    const hits: RuleHit[] = [];
    const declared = ctx.declaration?.model;
    for (const live of ctx.catalog!.tables) {
      const decl = declared?.tables.find((t) => t.name === live.name);
      const text = live.columns.filter((c) => c.type.kind === "varchar" || c.type.kind === "text");
      if (text.length === 0) continue;
      const rows = (await ctx
        .db!.selectFrom(live.name)
        .select(text.map((c) => c.name))
        .limit(SECRET_SAMPLE_ROWS)
        .execute()) as Record<string, unknown>[];
      if (rows.length === 0) continue;
      for (const c of text) {
        const values = rows
          .map((r) => r[c.name])
          .filter((v): v is string => typeof v === "string" && v !== "");
        if (values.length === 0) continue;
        const declaredColumn = decl?.columns.find((x) => x.name === c.name);
        const of = `of ${values.length} sampled value(s) of ${live.name}.${c.name}`;
        if (declaredColumn?.encrypted) {
          const plain = values.filter((v) => !CIPHERTEXT.test(v)).length;
          if (plain > 0)
            hits.push(
              hit(
                live,
                c,
                "plaintext",
                `${plain} ${of} are not ciphertext, though the column is declared encrypted`,
              ),
            );
        } else if (secretLike(c, declaredColumn, decl)) {
          const plain = values.filter(
            (v) => !HASHED.some((h) => h.test(v)) && !CIPHERTEXT.test(v) && !JWT.test(v),
          ).length;
          if (plain > 0)
            hits.push(
              hit(
                live,
                c,
                "plaintext",
                `${plain} ${of} look like plaintext secrets (not a password hash, a digest or ciphertext)`,
              ),
            );
        }
        const jwts = values.filter((v) => JWT.test(v)).length;
        if (jwts > 0) hits.push(hit(live, c, "jwt", `${jwts} ${of} hold a JWT (a bearer credential)`));
        if (!secretLike(c, declaredColumn, decl) && !declaredColumn?.encrypted) {
          const tokens = values.filter(holdsCredential).length;
          if (tokens > 0)
            hits.push({
              ...hit(
                live,
                c,
                "token",
                `${tokens} ${of} hold what looks like a credential (a key or a random token)`,
              ),
              severity: "warning",
            });
        }
        const cards = values.filter(holdsCardNumber).length;
        if (cards > 0)
          hits.push(hit(live, c, "card", `${cards} ${of} hold what looks like a payment card number`));
      }
    }
    return hits;
  },
};

function hit(t: TableModel, c: ColumnModel, kind: string, message: string): RuleHit {
  return { object: `${t.name}.${c.name}:${kind}`, table: t.name, message };
}

function secretLike(
  c: ColumnModel,
  declared: ColumnModel | undefined,
  table: TableModel | undefined,
): boolean {
  if (declared?.secret || declared?.hidden) return true;
  if (table?.checks.some((k) => k.predicate.op === "passwordHash" && k.predicate.column === c.name))
    return true;
  return SECRET_NAME.test(c.name) && !NOT_THE_SECRET.test(c.name);
}

/** A key in a known format, or a word of the text that looks like a random token. */
export function holdsCredential(text: string): boolean {
  if (KNOWN_KEY.some((k) => k.test(text))) return true;
  return text.split(/\s+/).some(randomToken);
}

function randomToken(word: string): boolean {
  // Punctuation around a word in prose is not part of it.
  const w = word.replace(/^[("'<[]+|[)"'>\].,;:!?]+$/g, "");
  if (w.length < TOKEN_LENGTH || UUID.test(w) || CIPHERTEXT.test(w) || JWT.test(w)) return false;
  if (HASHED.some((h) => h.test(w))) return false;
  if (!/[A-Z]/.test(w) || !/[a-z]/.test(w) || !/\d/.test(w)) return false;
  return entropy(w) >= TOKEN_ENTROPY;
}

/** Shannon entropy of the characters of `s`, in bits per character. */
function entropy(s: string): number {
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) bits -= (n / s.length) * Math.log2(n / s.length);
  return bits;
}

/** A card number: a known issuer's prefix and length, and the Luhn check digit. */
export function holdsCardNumber(text: string): boolean {
  for (const match of text.matchAll(DIGIT_RUN)) {
    const digits = match[0].replace(/[ -]/g, "");
    if (/^(\d)\1+$/.test(digits)) continue;
    const issuer =
      (/^4/.test(digits) && [13, 16, 19].includes(digits.length)) ||
      (/^(5[1-5]|2(2[2-9]|[3-6]\d|7[01]|720))/.test(digits) && digits.length === 16) ||
      (/^3[47]/.test(digits) && digits.length === 15) ||
      (/^(6011|65)/.test(digits) && digits.length === 16);
    if (issuer && luhn(digits)) return true;
  }
  return false;
}

function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}
