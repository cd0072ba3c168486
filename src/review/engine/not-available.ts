/**
 * Thrown by a rule whose evidence turned out to be missing only once it looked (an engine that keeps
 * no such statistic): the runner lists the rule as not run, with this reason, instead of failed.
 */
export class EvidenceNotAvailable extends Error {}
