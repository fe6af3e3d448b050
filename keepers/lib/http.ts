import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import type { Registry } from "prom-client";
import type { Health } from "./health.js";
import type { Logger } from "./log.js";

export type HttpServer = { port: number; url: string; close(): Promise<void> };

/**
 * The keeper's HTTP face (Hono): `GET /healthz` — 200 while the keeper makes progress, 503 otherwise, with a
 * JSON body saying why — and `GET /metrics` in Prometheus text. `routes` adds the keeper's own read-only
 * routes (e.g. the fee keeper's `/decisions`).
 */
export async function startHttpServer(options: {
  host: string;
  port: number;
  health: Health;
  registry: Registry;
  log: Logger;
  routes?: (app: Hono) => void;
}): Promise<HttpServer> {
  const app = new Hono();
  app.get("/healthz", (c) => {
    const report = options.health.report();
    return c.json(report, report.ok ? 200 : 503);
  });
  app.get("/metrics", async (c) => {
    const body = await options.registry.metrics();
    return c.body(body, 200, { "content-type": options.registry.contentType });
  });
  options.routes?.(app);
  app.notFound((c) => c.json({ error: "not found" }, 404));
  app.onError((error, c) => {
    options.log.error("request failed", { path: c.req.path, error });
    return c.json({ error: "internal error" }, 500);
  });

  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: options.port, hostname: options.host }, () => resolve(s));
    s.once("error", reject);
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${options.host.includes(":") ? `[${options.host}]` : options.host}:${port}`;
  options.log.info("http server listening", { url });
  return {
    port,
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Idle keep-alive connections would hold close() open.
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      }),
  };
}
