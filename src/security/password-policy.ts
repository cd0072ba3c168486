/**
 * A password policy: length, optional character classes, common-password rejection and, when the
 * caller passes them, the user's own details (username, email). Every failing rule is reported, by
 * name, so a form can show them all at once.
 *
 * Defaults follow NIST SP 800-63B: a long minimum, a generous maximum, no composition rules unless a
 * deployment asks for them, and refusal of passwords attackers try first.
 */
import { PlinthError } from "../errors.js";
import { commonPasswords } from "./common-passwords.js";

export type PasswordRule =
  | "minLength"
  | "maxLength"
  | "lowercase"
  | "uppercase"
  | "digit"
  | "symbol"
  | "common"
  | "personal";

export interface PasswordPolicyOptions {
  /** Fewest characters (Unicode code points); default 12. */
  minLength?: number;
  /** Most characters; default 128. */
  maxLength?: number;
  /** Require a lower-case letter. */
  lowercase?: boolean;
  /** Require an upper-case letter. */
  uppercase?: boolean;
  /** Require a digit. */
  digit?: boolean;
  /** Require a character that is neither a letter nor a digit (a space counts). */
  symbol?: boolean;
  /** Refuse common passwords, alone or followed by digits and symbols ("Password123!"); default true. */
  rejectCommon?: boolean;
  /** The list to refuse; plinth's shipped list of 3,410 common passwords unless given. */
  commonPasswords?: Iterable<string>;
}

export interface PasswordContext {
  /** The user's own details (username, email, name): a password containing one is refused. */
  userInputs?: readonly (string | null | undefined)[];
}

export interface PasswordRuleFailure {
  rule: PasswordRule;
  message: string;
}

export interface PasswordPolicyResult {
  ok: boolean;
  failures: PasswordRuleFailure[];
}

/** A password broke the policy; `failures` lists every rule it broke. The password is never in the message. */
export class PasswordPolicyError extends PlinthError {
  static override readonly code: string = "PLINTH_PASSWORD_POLICY_VIOLATION";
  override name = "PasswordPolicyError";
  constructor(readonly failures: PasswordRuleFailure[]) {
    super(`password refused: ${failures.map((f) => `${f.rule} (${f.message})`).join("; ")}`);
  }

  get rules(): PasswordRule[] {
    return this.failures.map((f) => f.rule);
  }
}

const CLASSES = {
  lowercase: { pattern: /\p{Ll}/u, message: "must contain a lower-case letter" },
  uppercase: { pattern: /\p{Lu}/u, message: "must contain an upper-case letter" },
  digit: { pattern: /\p{Nd}/u, message: "must contain a digit" },
  symbol: { pattern: /[^\p{L}\p{N}]/u, message: "must contain a symbol (neither letter nor digit)" },
} as const;

type ClassRule = keyof typeof CLASSES;
const CLASS_RULES = Object.keys(CLASSES) as ClassRule[];

// Digits and symbols people append to a common word to pass composition rules.
const DECORATION = /[^\p{L}]+$/u;
// A user input shorter than this matches too much to be a useful signal ("al" in "totally").
const MIN_PERSONAL = 3;

let defaultList: ReadonlySet<string> | undefined;

export class PasswordPolicy {
  readonly minLength: number;
  readonly maxLength: number;
  private readonly required: ClassRule[];
  private readonly common?: ReadonlySet<string>;

  constructor(options: PasswordPolicyOptions = {}) {
    this.minLength = options.minLength ?? 12;
    this.maxLength = options.maxLength ?? 128;
    if (!Number.isInteger(this.minLength) || this.minLength < 1)
      throw new PlinthError(`password policy: minLength must be a positive integer, got ${this.minLength}`);
    if (!Number.isInteger(this.maxLength) || this.maxLength < this.minLength)
      throw new PlinthError(
        `password policy: maxLength (${this.maxLength}) must be an integer no smaller than minLength (${this.minLength})`,
      );
    this.required = CLASS_RULES.filter((rule) => options[rule]);
    if (options.rejectCommon ?? true)
      this.common = options.commonPasswords ? lowerSet(options.commonPasswords) : defaultCommon();
  }

  /** Every rule `plain` breaks, in a fixed order: length, character classes, common, personal. */
  check(plain: string, context: PasswordContext = {}): PasswordPolicyResult {
    const failures: PasswordRuleFailure[] = [];
    const fail = (rule: PasswordRule, message: string) => failures.push({ rule, message });
    const length = [...plain].length;
    if (length < this.minLength) fail("minLength", `must have at least ${this.minLength} characters`);
    if (length > this.maxLength) fail("maxLength", `must have at most ${this.maxLength} characters`);
    for (const rule of this.required)
      if (!CLASSES[rule].pattern.test(plain)) fail(rule, CLASSES[rule].message);
    if (this.common && this.isCommon(plain)) fail("common", "is a commonly used password");
    if (containsPersonal(plain, context.userInputs ?? []))
      fail("personal", "must not contain your username, email or name");
    return { ok: failures.length === 0, failures };
  }

  /** Throws PasswordPolicyError naming every rule `plain` breaks. */
  assert(plain: string, context: PasswordContext = {}): void {
    const { failures } = this.check(plain, context);
    if (failures.length > 0) throw new PasswordPolicyError(failures);
  }

  private isCommon(plain: string): boolean {
    const lower = plain.normalize("NFKC").toLowerCase();
    if (this.common!.has(lower)) return true;
    const word = lower.replace(DECORATION, "");
    return word.length > 0 && word !== lower && this.common!.has(word);
  }
}

export function passwordPolicy(options: PasswordPolicyOptions = {}): PasswordPolicy {
  return new PasswordPolicy(options);
}

function containsPersonal(plain: string, inputs: readonly (string | null | undefined)[]): boolean {
  const lower = plain.toLowerCase();
  return inputs
    .flatMap((input) => (input ? [input, input.split("@")[0]!] : []))
    .map((input) => input.toLowerCase())
    .some((input) => input.length >= MIN_PERSONAL && lower.includes(input));
}

function lowerSet(words: Iterable<string>): ReadonlySet<string> {
  const set = new Set<string>();
  for (const word of words) set.add(word.toLowerCase());
  return set;
}

function defaultCommon(): ReadonlySet<string> {
  defaultList ??= lowerSet(commonPasswords());
  return defaultList;
}
