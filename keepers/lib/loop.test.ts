import { describe, expect, it } from "vitest";
import { BlockLoop } from "./loop.js";

/** A run that takes until the test releases it, recording when it started and ended. */
function controlledRuns() {
  const events: string[] = [];
  const releases: (() => void)[] = [];
  let n = 0;
  const run = () => {
    const i = ++n;
    events.push(`start ${i}`);
    return new Promise<number>((resolve) =>
      releases.push(() => {
        events.push(`end ${i}`);
        resolve(i);
      }),
    );
  };
  const release = async () => {
    for (let i = 0; i < 20 && releases.length === 0; i++) await Promise.resolve();
    releases.shift()!();
    await new Promise((r) => setTimeout(r, 0));
  };
  /** Runs started and not released. */
  const waiting = () => releases.length;
  return { events, run, release, waiting };
}

describe("block loop", () => {
  it("never overlaps ticks, and folds every block that arrives during one into a single next tick", async () => {
    const c = controlledRuns();
    const loop = new BlockLoop(c.run);
    loop.onBlock();
    await new Promise((r) => setTimeout(r, 0)); // the first run starts
    expect(c.waiting()).toBe(1);
    loop.onBlock();
    loop.onBlock();
    loop.onBlock();
    await c.release();
    expect(c.waiting()).toBe(1);
    await c.release();
    expect(c.waiting()).toBe(0);
    await loop.stop();
    expect(c.events).toEqual(["start 1", "end 1", "start 2", "end 2"]);
  });

  it("runs an explicit tick after the one in progress and resolves with its result", async () => {
    const c = controlledRuns();
    const loop = new BlockLoop(c.run);
    loop.onBlock();
    const now = loop.runNow();
    await c.release();
    await c.release();
    expect(await now).toBe(2);
    expect(c.events).toEqual(["start 1", "end 1", "start 2", "end 2"]);
  });

  it("keeps going after a failed tick, and runs nothing once stopped", async () => {
    let calls = 0;
    const loop = new BlockLoop(async () => {
      calls++;
      if (calls === 1) throw new Error("node down");
      return calls;
    });
    loop.onBlock();
    await expect(loop.runNow()).resolves.toBe(2);
    await loop.stop();
    loop.onBlock();
    await new Promise((r) => setTimeout(r, 10));
    expect(calls).toBe(2);
  });
});
