import { createHash } from "node:crypto";

/**
 * A finding's identity: the rule and the object, never the message, so rewording a message or a
 * changed count keeps a baselined finding baselined.
 */
export function fingerprint(rule: string, object: string): string {
  return createHash("sha256").update(`${rule}\u0000${object}`).digest("hex").slice(0, 16);
}
