import { describe, expect, it } from "vitest";
import { Health } from "./health.js";
import { startHttpServer } from "./http.js";
import { createLogger } from "./log.js";
import { createMetrics } from "./metrics.js";

describe("http server", () => {
  it("/healthz is 200 while runs complete and 503 with the reason when they stop; /metrics is Prometheus text", async () => {
    let now = 1_000_000;
    const health = new Health(30, () => now);
    const metrics = createMetrics("probe");
    const server = await startHttpServer({
      host: "127.0.0.1",
      port: 0,
      health,
      registry: metrics.registry,
      log: createLogger({ keeper: "probe", write: () => undefined }),
      routes: (app) => app.get("/extra", (c) => c.json({ extra: true })),
    });
    try {
      let r = await fetch(`${server.url}/healthz`);
      expect(r.status).toBe(503);
      expect(await r.json()).toMatchObject({
        ok: false,
        status: "starting",
        reason: "no run has completed yet",
      });

      health.progress();
      metrics.ticks.inc({ result: "ok" });
      metrics.txSent.inc();
      now += 29_000;
      r = await fetch(`${server.url}/healthz`);
      expect(r.status).toBe(200);
      expect(await r.json()).toMatchObject({ ok: true, status: "ok" });

      health.failure(new Error("RPC down"));
      now += 2_000;
      r = await fetch(`${server.url}/healthz`);
      expect(r.status).toBe(503);
      const body = (await r.json()) as { reason: string; lastError: { message: string } };
      expect(body.reason).toBe("last completed run 31 s ago (limit 30 s); last error: RPC down");
      expect(body.lastError.message).toBe("RPC down");

      r = await fetch(`${server.url}/metrics`);
      expect(r.status).toBe(200);
      expect(r.headers.get("content-type")).toContain("text/plain; version=0.0.4");
      const text = await r.text();
      expect(text).toContain('keeper_ticks_total{result="ok",keeper="probe"} 1');
      expect(text).toContain('keeper_tx_sent_total{keeper="probe"} 1');
      expect(text).toContain("# TYPE keeper_tx_replaced_total counter");
      expect(text).toContain("keeper_process_cpu_user_seconds_total");

      expect(await (await fetch(`${server.url}/extra`)).json()).toEqual({ extra: true });
      expect((await fetch(`${server.url}/nope`)).status).toBe(404);
    } finally {
      await server.close();
    }
  });
});
