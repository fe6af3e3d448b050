/**
 * The runtime's error classes. Each carries a `shortMessage` (one line, safe to log), optional `details`,
 * the `cause`, and whether retrying later can help (`retryable`). Code that cannot handle an error lets it
 * propagate; the transaction layer and the keepers' tick loop are the places that classify.
 */
export class KeeperError extends Error {
  override name = "KeeperError";
  readonly shortMessage: string;
  readonly details?: string;
  readonly retryable: boolean;

  constructor(
    shortMessage: string,
    options: { cause?: unknown; details?: string; retryable?: boolean } = {},
  ) {
    super(options.details ? `${shortMessage}\n\nDetails: ${options.details}` : shortMessage, {
      cause: options.cause,
    });
    this.shortMessage = shortMessage;
    this.details = options.details;
    this.retryable = options.retryable ?? false;
  }
}

/** A setting is missing or malformed. `field` names it as the operator writes it (the env variable). */
export class ConfigError extends KeeperError {
  override name = "ConfigError";
  readonly field: string;

  constructor(field: string, problem: string) {
    super(`${field}: ${problem}`);
    this.field = field;
  }
}

/** Exit codes from sysexits(3), mapped onto systemd's `Restart=` policy in `keepers/systemd/`. */
export const ExitCode = {
  ok: 0,
  /** Unexpected failure: systemd restarts the keeper. */
  failure: 1,
  /** Temporary failure at start (e.g. RPC unreachable): systemd restarts the keeper. */
  tempFail: 75,
  /** Bad configuration: restarting cannot help (`RestartPreventExitStatus=78`). */
  config: 78,
} as const;

/** A short, loggable description of any thrown value (never the whole viem message with its request body). */
export function describeError(error: unknown): { name: string; message: string; retryable?: boolean } {
  if (error instanceof KeeperError)
    return { name: error.name, message: error.shortMessage, retryable: error.retryable };
  if (error instanceof Error) {
    const short = (error as { shortMessage?: unknown }).shortMessage;
    return { name: error.name, message: typeof short === "string" ? short : error.message.split("\n")[0]! };
  }
  return { name: typeof error, message: String(error) };
}
