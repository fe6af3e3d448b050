import { describeError } from "./errors.js";

export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFields = Record<string, unknown>;

export type Logger = {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger for a component: every line it writes carries `at: <component>`. */
  child(at: string, fields?: LogFields): Logger;
};

const order: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

// Keys whose values are never written, whatever a caller passes by mistake.
const secretKey = /private.?key|secret|password|mnemonic|^key$/i;

/** Turns values JSON cannot carry (bigint, errors, secrets) into loggable ones. */
function replacer(key: string, value: unknown): unknown {
  if (key && secretKey.test(key)) return "[redacted]";
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Error) return describeError(value);
  return value;
}

/**
 * JSON logs, one object per line on stdout: `{"time":…,"level":…,"keeper":…,"at":…,"msg":…, …fields}`.
 * `at` names the component (config, tx, store, http, schedule, or the keeper's own parts).
 */
export function createLogger(options: {
  keeper: string;
  level?: LogLevel;
  write?: (line: string) => void;
}): Logger {
  const min = order[options.level ?? "info"];
  const write = options.write ?? ((line: string) => process.stdout.write(line + "\n"));
  const make = (base: LogFields): Logger => {
    const emit = (level: LogLevel, msg: string, fields?: LogFields) => {
      if (order[level] < min) return;
      const record = { time: new Date().toISOString(), level, ...base, msg, ...fields };
      let line: string;
      try {
        line = JSON.stringify(record, replacer);
      } catch {
        line = JSON.stringify({ time: record.time, level, ...base, msg, note: "fields not serializable" });
      }
      write(line);
    };
    return {
      debug: (msg, fields) => emit("debug", msg, fields),
      info: (msg, fields) => emit("info", msg, fields),
      warn: (msg, fields) => emit("warn", msg, fields),
      error: (msg, fields) => emit("error", msg, fields),
      child: (at, fields) => make({ ...base, at, ...fields }),
    };
  };
  return make({ keeper: options.keeper, at: "main" });
}
