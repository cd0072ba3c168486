import { PlinthError } from "../../errors.js";

/**
 * Thrown by a rule whose evidence turned out to be missing only once it looked (an engine that keeps
 * no such statistic): the runner lists the rule as not run, with this reason, instead of failed.
 */
export class EvidenceNotAvailable extends PlinthError {
  static override readonly code: string = "PLINTH_EVIDENCE_NOT_AVAILABLE";
  override name = "EvidenceNotAvailable";
}
