/**
 * Ticks run one at a time. A block that arrives during a tick asks for one more tick after it — any number of
 * blocks arriving meanwhile ask for the same one, which reads the newest block — so the keeper never falls
 * behind by queueing, and never reads a block twice for nothing.
 */
export class BlockLoop<T> {
  #tail: Promise<unknown> = Promise.resolve();
  #queued = false;
  #stopped = false;

  constructor(private readonly run: () => Promise<T>) {}

  onBlock(): void {
    if (this.#stopped || this.#queued) return;
    this.#queued = true;
    this.#tail = this.#tail.then(async () => {
      this.#queued = false;
      if (!this.#stopped) await this.run().catch(() => undefined); // logged and counted by runOnce
    });
  }

  runNow(): Promise<T> {
    const run = this.#tail.then(() => this.run());
    this.#tail = run.catch(() => undefined);
    return run;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#tail;
  }
}
