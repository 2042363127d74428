/**
 * An error whose message is the whole story for the operator: a configuration or
 * credentials problem (wrong password, untrusted certificate, unreadable key file). Logs
 * and the command line print its message on one line, without a stack trace.
 */
export class UserError extends Error {
  readonly userFacing = true;
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}

export function isUserFacing(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { userFacing?: unknown }).userFacing === true;
}
