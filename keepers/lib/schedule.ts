import cron, { type ScheduledTask } from "node-cron";
import type { Logger } from "./log.js";

export type Schedule = {
  /** Runs the task now (unless a run is in progress, which it waits for instead). */
  runNow(): Promise<void>;
  /** Stops the schedule and waits for a run in progress to finish. */
  stop(): Promise<void>;
};

/**
 * Runs `task` on a cron schedule (node-cron; six fields allow seconds). Runs never overlap: a tick that
 * comes while the previous run is still going is skipped and logged. Errors are the task's business — they
 * are logged here only as a last resort, so that one bad run never stops the schedule.
 */
export function scheduleTask(options: {
  name: string;
  expression: string;
  task: () => Promise<void>;
  log: Logger;
}): Schedule {
  const log = options.log.child("schedule", { task: options.name });
  let running: Promise<void> | null = null;
  let stopped = false;

  const run = (reason: "scheduled" | "invoked"): Promise<void> => {
    if (running) {
      if (reason === "scheduled") log.warn("previous run still in progress: skipping this tick");
      return running;
    }
    if (stopped) return Promise.resolve();
    running = options
      .task()
      .catch((error) => log.error("run failed", { error }))
      .finally(() => {
        running = null;
      });
    return running;
  };

  const task: ScheduledTask = cron.schedule(options.expression, () => run("scheduled"), {
    name: options.name,
    noOverlap: true,
    logger: {
      info: (message) => log.debug(message),
      warn: (message) => log.warn(message),
      error: (message) => log.error(String(message)),
      debug: (message) => log.debug(String(message)),
    },
  });
  log.info("scheduled", { expression: options.expression });

  return {
    runNow: () => run("invoked"),
    async stop() {
      stopped = true;
      await task.stop();
      await task.destroy();
      if (running) await running;
    },
  };
}
