/** One thing wrong with a contact-centre file: where (file and path inside it) and why. */
export interface ContactCentreIssue {
  readonly file: string;
  /** e.g. `groups[1].members[2]`; empty for the document itself. */
  readonly path: string;
  readonly reason: string;
}

export const formatIssue = (issue: ContactCentreIssue): string =>
  `${issue.file}:${issue.path || "(document)"}: ${issue.reason}`;

/** The file was rejected; `issues` holds every problem found, and the message lists them one per line. */
export class ContactCentreConfigError extends Error {
  override readonly name = "ContactCentreConfigError";
  constructor(
    readonly file: string,
    readonly issues: readonly ContactCentreIssue[],
    options?: { cause?: unknown },
  ) {
    super(issues.map(formatIssue).join("\n"), options);
  }
}
